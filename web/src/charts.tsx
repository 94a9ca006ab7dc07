// The dashboard's charts (uPlot, on a canvas): queue depth and delivery rate per application
// over the last hour, from GET /communities/api/admin/metrics/history (the same counters as
// /metrics). Each chart also says its latest values in words, for those who cannot see it.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  values: (number | null)[];
}

const palette = ["#0b5cad", "#a3161b", "#1d6b32", "#7a4a00", "#5b2a86", "#00666b", "#6b4f00", "#333333"];

export function TimeChart(props: { title: string; times: number[]; series: Series[]; summary: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || props.times.length === 0) return;
    const width = Math.max(260, Math.min(el.clientWidth, 900));
    const plot = new uPlot(
      {
        width,
        height: 220,
        series: [
          {},
          ...props.series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2 })),
        ],
        axes: [{}, { size: 50 }],
        legend: { show: true },
      },
      [props.times, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [props.times, props.series]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={props.title + ": " + props.summary} />
      <p class="meta">{props.summary}</p>
    </figure>
  );
}
