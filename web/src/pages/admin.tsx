// The administrators' dashboard: the deployment and its delivery state, the queued events,
// the scheduler, maintenance mode and users. Each tab reads and acts through the same
// administrators' APIs the console uses.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, Page, query, Session } from "../api";
import { formatTime, language, t } from "../i18n";
import { User } from "../model";
import { href } from "../router";
import { Checkbox, Confirm, ErrorMessage, Field, Pager, Section, useAction, useCursor } from "../ui";
import { Series, TimeChart } from "../charts";

const tabs = ["overview", "queue", "scheduler", "sync", "recovery", "maintenance", "users"] as const;
type Tab = (typeof tabs)[number];

export function Admin({ session, tab }: { session: Session; tab?: string }) {
  if (!session.user.admin) {
    return (
      <>
        <h1 tabIndex={-1}>{t("admin.title")}</h1>
        <p>{t("admin.only")}</p>
      </>
    );
  }
  const current: Tab = (tabs as readonly string[]).includes(tab ?? "") ? (tab as Tab) : "overview";
  return (
    <>
      <h1 tabIndex={-1}>{t("admin.title")}</h1>
      <nav class="tabs" aria-label={t("admin.sections")}>
        {tabs.map((name) => (
          <a key={name} href={href("admin", name)} aria-current={name === current ? "page" : undefined}>
            {t(("admin." + name) as "admin.overview")}
          </a>
        ))}
      </nav>
      {current === "overview" && <Overview />}
      {current === "queue" && <Queue />}
      {current === "scheduler" && <Scheduler />}
      {current === "sync" && <Sync />}
      {current === "recovery" && <Recovery />}
      {current === "maintenance" && <Maintenance />}
      {current === "users" && <Users session={session} />}
    </>
  );
}

type Json = Record<string, any>;

function useRefresh(seconds: number) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((n) => n + 1), seconds * 1000);
    return () => clearInterval(id);
  }, []);
  return tick;
}

// The last hour's samples as chart series: queue depth, and deliveries per second.
function chartData(history: Json | null) {
  const samples: Json[] = history?.samples ?? [];
  const interval = history?.intervalSeconds ?? 10;
  const apps = [...new Set(samples.flatMap((s) => Object.keys(s.apps)))].sort();
  const times = samples.map((s) => s.at / 1000);
  const depth: Series[] = apps.map((app) => ({
    label: app,
    values: samples.map((s) => (s.apps[app] ? s.apps[app].pending + s.apps[app].queued : null)),
  }));
  const rate: Series[] = apps.map((app) => ({
    label: app,
    values: samples.map((s, i) => {
      const prev = samples[i - 1]?.apps[app];
      const cur = s.apps[app];
      if (!prev || !cur) return null;
      const seconds = (s.at - samples[i - 1].at) / 1000 || interval;
      return Math.max(0, (cur.delivered - prev.delivered) / seconds);
    }),
  }));
  const latest = (series: Series[], digits: number) =>
    series.map((x) => `${x.label} ${(x.values[x.values.length - 1] ?? 0).toFixed(digits)}`).join(", ");
  return { times, depth, rate, latest };
}

function Overview() {
  const [view, setView] = useState<Json | null>(null);
  const [history, setHistory] = useState<Json | null>(null);
  const tick = useRefresh(5);
  const { error, run } = useAction();
  useEffect(() => {
    run(async () => {
      setView(await api.get<Json>("/communities/api/admin/deployment"));
      setHistory(await api.get<Json>("/communities/api/admin/metrics/history"));
    });
  }, [tick]);
  const charts = chartData(history);
  const rateOf = (defs: string[]) =>
    charts.rate
      .filter((s) => defs.includes(s.label))
      .reduce((sum, s) => sum + (s.values[s.values.length - 1] ?? 0), 0);
  if (!view) return <ErrorMessage error={error} />;
  return (
    <>
      <ErrorMessage error={error} />
      <Section title={t("admin.nodes")}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("admin.address")}</th>
              <th scope="col">{t("admin.state")}</th>
              <th scope="col">{t("admin.version")}</th>
              <th scope="col">{t("admin.database")}</th>
              <th scope="col">{t("admin.leases")}</th>
            </tr>
          </thead>
          <tbody>
            {view.communities.map((n: Json) => (
              <tr key={n.nodeId}>
                <td>{n.url}</td>
                <td class={n.up ? "up" : "down"}>{n.up ? t("admin.up") : t("admin.down")}</td>
                <td>{n.version}</td>
                <td>{n.databases?.communities ?? ""}</td>
                <td>{(n.leases ?? []).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={t("admin.applications")}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("admin.service")}</th>
              <th scope="col">{t("admin.state")}</th>
              <th scope="col">{t("admin.pending")}</th>
              <th scope="col">{t("admin.queued")}</th>
              <th scope="col">{t("admin.lastApplied")}</th>
              <th scope="col">{t("admin.rate")}</th>
            </tr>
          </thead>
          <tbody>
            {view.applications.map((a: Json) => {
              const up = (a.nodes ?? []).every((n: Json) => n.up);
              const sum = (k: string) =>
                Object.values(a.deliveries ?? {}).reduce((s: number, d: any) => s + (d[k] ?? 0), 0);
              return (
                <tr key={a.service}>
                  <td>
                    {a.service} <span class="meta">{a.url}</span>
                  </td>
                  <td class={up ? "up" : "down"}>{up ? t("admin.up") : t("admin.down")}</td>
                  <td>{sum("pending")}</td>
                  <td>{sum("queued")}</td>
                  <td>{a.lastAppliedEventSeq ?? "?"}</td>
                  <td>{rateOf(a.remoteAppDefIds ?? []).toFixed(1)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>
      <Section title={t("admin.lastHour")}>
        {(history?.otherNodes ?? [])
          .filter((n: Json) => !n.included)
          .map((n: Json) => (
            <p key={n.url} class="down">
              {t("admin.historyMissing", { url: n.url, error: n.error ?? "" })}
            </p>
          ))}
        {charts.times.length < 2 ? (
          <p>{t("admin.chartsSoon")}</p>
        ) : (
          <div class="charts">
            <TimeChart
              title={t("admin.queueDepth")}
              times={charts.times}
              series={charts.depth}
              summary={t("admin.now", { values: charts.latest(charts.depth, 0) })}
            />
            <TimeChart
              title={t("admin.deliveryRate")}
              times={charts.times}
              series={charts.rate}
              summary={t("admin.now", { values: charts.latest(charts.rate, 1) })}
            />
          </div>
        )}
      </Section>
      <p class="meta">
        {t("admin.maintenanceState")}: {view.maintenance?.description ?? t("admin.off")}
      </p>
    </>
  );
}

function Queue() {
  const [app, setApp] = useState("");
  const [community, setCommunity] = useState("");
  const [type, setType] = useState("");
  const [filter, setFilter] = useState<Json>({});
  const cursor = useCursor();
  const [page, setPage] = useState<Page<Json> | null>(null);
  const [summary, setSummary] = useState<Json[]>([]);
  const [outcome, setOutcome] = useState("");
  const [clearing, setClearing] = useState(false);
  const [reload, setReload] = useState(0);
  const { busy, error, run } = useAction();
  useEffect(() => {
    run(async () => {
      setSummary((await api.get<{ items: Json[] }>("/communities/api/admin/queue/summary")).items);
      setPage(
        await api.get<Page<Json>>(
          "/communities/api/admin/queue/events" + query({ ...filter, after: cursor.after, limit: 50 }),
        ),
      );
    });
  }, [filter, cursor.after, reload]);
  // What retry and clear act on: the filter, or every queued community event.
  const body = () => ({
    resourceType: "community",
    ...(filter.remoteAppDefId ? { remoteAppDefId: filter.remoteAppDefId } : {}),
    ...(filter.resourceId ? { resourceId: filter.resourceId } : {}),
  });
  const described = () =>
    [filter.remoteAppDefId, filter.resourceId].filter((x) => x).join(", ") || t("admin.queueAll");
  return (
    <>
      <Section title={t("admin.queueSummary")}>
        {summary.length === 0 ? (
          <p>{t("admin.queueEmpty")}</p>
        ) : (
          <ul>
            {summary.map((s) => (
              <li key={s.remoteAppDefId}>
                {t("admin.queueLine", { app: s.remoteAppDefId, n: s.numEvents, since: formatTime(s.earliestCreated) })}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={t("admin.queue")}>
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            cursor.reset();
            setFilter({
              ...(app ? { remoteAppDefId: app } : {}),
              ...(community ? { resourceType: "community", resourceId: community } : {}),
              ...(type ? { eventType: type } : {}),
            });
          }}
        >
          <Field label={t("admin.application")} value={app} onInput={setApp} />
          <Field label={t("admin.community")} value={community} onInput={setCommunity} />
          <Field label={t("admin.eventType")} value={type} onInput={setType} />
          <button type="submit">{t("admin.filter")}</button>
        </form>
        <ErrorMessage error={error} />
        <table>
          <thead>
            <tr>
              <th scope="col">seq</th>
              <th scope="col">{t("admin.application")}</th>
              <th scope="col">{t("admin.eventType")}</th>
              <th scope="col">{t("admin.community")}</th>
              <th scope="col">{t("admin.state")}</th>
              <th scope="col">{t("admin.lastError")}</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((e) => (
              <tr key={e.seq + e.remoteAppDefId}>
                <td>{e.seq}</td>
                <td>{e.remoteAppDefId}</td>
                <td>{e.eventType}</td>
                <td class="wrap">{e.resourceId}</td>
                <td>{e.state}</td>
                <td class="wrap">{e.lastError ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager
          hasPrevious={cursor.hasPrevious}
          hasNext={!!page?.next}
          onPrevious={cursor.previous}
          onNext={() => page?.next && cursor.next(page.next)}
        />
        <div class="actions">
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              run(async () => {
                const r = await api.post<Json>("/communities/api/admin/queue/retry", body());
                setOutcome(t("admin.retried", { delivered: r.delivered, still: r.stillQueued }));
                setReload(reload + 1);
              })
            }
          >
            {t("admin.retry")}
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => setClearing(true)}>
            {t("admin.clear")}
          </button>
        </div>
        {clearing && (
          <Confirm
            question={t("admin.clearQuestion", { what: described() })}
            confirmLabel={t("admin.clear")}
            onCancel={() => setClearing(false)}
            onConfirm={() =>
              run(async () => {
                const r = await api.post<Json>("/communities/api/admin/queue/clear", body());
                setClearing(false);
                setOutcome(t("admin.cleared", { n: r.cleared }));
                setReload(reload + 1);
              })
            }
          />
        )}
        {outcome && <p role="status">{outcome}</p>}
      </Section>
    </>
  );
}

function Scheduler() {
  const [tasks, setTasks] = useState<Json[]>([]);
  const [reload, setReload] = useState(0);
  const { busy, error, run } = useAction();
  useEffect(() => {
    run(async () => setTasks(await api.get<Json[]>("/communities/api/admin/scheduler/tasks").then((r: any) => r.items ?? r)));
  }, [reload]);
  const act = (name: string, action: string) =>
    run(async () => {
      await api.post("/communities/api/admin/scheduler/tasks/" + encodeURIComponent(name) + "/" + action + (action === "run" ? "?synchronous=true" : ""));
      setReload(reload + 1);
    });
  return (
    <Section title={t("admin.scheduler")}>
      <ErrorMessage error={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t("admin.task")}</th>
            <th scope="col">{t("admin.state")}</th>
            <th scope="col">{t("admin.nextRun")}</th>
            <th scope="col">{t("admin.lastResult")}</th>
            <th scope="col">{t("settings.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => (
            <tr key={task.taskName}>
              <td>{task.taskName}</td>
              <td>{task.status}</td>
              <td>{formatTime(task.nextFireTime)}</td>
              <td>{task.lastResult ?? ""}</td>
              <td>
                {task.status === "SUSPENDED" ? (
                  <button type="button" disabled={busy} onClick={() => act(task.taskName, "resume")}>
                    {t("admin.resume")}
                  </button>
                ) : (
                  <button type="button" disabled={busy} onClick={() => act(task.taskName, "pause")}>
                    {t("admin.pause")}
                  </button>
                )}{" "}
                <button type="button" disabled={busy} onClick={() => act(task.taskName, "run")}>
                  {t("admin.runNow")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

// Synchronization: each application's export compared with Communities (the reports of
// generateSyncReports, made by the server), the last reports, and one opened.
function Sync() {
  const [apps, setApps] = useState<string[]>([]);
  const [reports, setReports] = useState<Json[]>([]);
  const [open, setOpen] = useState<Json | null>(null);
  const [reload, setReload] = useState(0);
  const { busy, error, run } = useAction();
  const base = "/communities/api/admin/sync-reports";
  useEffect(() => {
    run(async () => {
      const view = await api.get<Json>("/communities/api/admin/deployment");
      setApps(view.applications.flatMap((a: Json) => a.remoteAppDefIds ?? []));
      setReports((await api.get<{ items: Json[] }>(base)).items);
    });
  }, [reload]);
  // While a report is being made (here or from another page), the list is asked for again.
  useEffect(() => {
    if (!reports.some((r) => r.state === "running")) return;
    const id = setTimeout(() => {
      // A failed request asks again (a new array: this effect runs once more).
      api.get<{ items: Json[] }>(base).then(
        (list) => setReports(list.items),
        () => setReports([...reports]),
      );
    }, 2000);
    return () => clearTimeout(id);
  }, [reports]);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const latest = (app: string) => reports.find((r) => r.remoteAppDefId === app);
  const show = (id: string) => run(async () => setOpen(await api.get<Json>(base + "/" + encodeURIComponent(id))));
  return (
    <>
      <Section title={t("admin.sync")}>
        <p class="hint">{t("admin.syncHint")}</p>
        <ErrorMessage error={error} />
        {busy && <p role="status">{t("admin.working")}</p>}
        <table>
          <thead>
            <tr>
              <th scope="col">{t("admin.application")}</th>
              <th scope="col">{t("admin.lastReport")}</th>
              <th scope="col">{t("admin.differences")}</th>
              <th scope="col">{t("admin.orphans")}</th>
              <th scope="col">{t("settings.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {apps.map((app) => {
              const r = latest(app);
              return (
                <tr key={app}>
                  <td>{app}</td>
                  <td>
                    {r ? <button type="button" class="link" onClick={() => show(r.id)}>{formatTime(r.created)}</button> : "—"}
                    {r?.state === "running" && <span class="meta"> {t("admin.reportRunning")}</span>}
                    {r?.state === "failed" && <span class="meta down"> {t("admin.reportFailed")}</span>}
                  </td>
                  <td>{r?.differences ?? ""}</td>
                  <td>{r?.orphans ?? ""}</td>
                  <td>
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() =>
                        run(async () => {
                          // Made in the background: asked after until it is done or failed.
                          const started = await api.post<Json>(base, { remoteAppDefId: app, locale: language() });
                          setReload((n) => n + 1);
                          let report = started;
                          let failures = 0;
                          while (report.state === "running" && mounted.current) {
                            await new Promise((r) => setTimeout(r, 1000));
                            try {
                              report = await api.get<Json>(base + "/" + encodeURIComponent(started.id));
                              failures = 0;
                            } catch (e) {
                              if (++failures >= 5) throw e; // a blip is waited out, an outage said
                            }
                          }
                          if (!mounted.current) return;
                          setReload((n) => n + 1);
                          setOpen(report);
                        })
                      }
                    >
                      {t("admin.runReport", { app })}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>
      {open && <ReportView key={open.id} report={open} onChanged={() => show(open.id)} />}
    </>
  );
}

// A confirmation in waiting: what it asks, and what it does when confirmed.
type Pending = { question: string; label: string; go: () => Promise<void> };

function ReportView({ report, onChanged }: { report: Json; onChanged: () => void }) {
  const base = "/communities/api/admin/sync-reports/" + encodeURIComponent(report.id);
  const differences: Json = report.communityDifferences ?? {};
  const orphans: Json = report.orphanedRemoteApplications ?? {};
  const app: string = report.remoteAppDefId;
  const [pending, setPending] = useState<Pending | null>(null);
  const [outcome, setOutcome] = useState("");
  const { busy, error, run } = useAction();
  // Every repair is first asked for as a dry run: the question names what the server will do.
  // `body` is what is asked about; the confirmed request acts on what the dry run planned.
  const ask = (
    path: string,
    body: Json,
    question: (plan: Json) => string,
    label: string,
    said: (r: Json) => string,
    confirmed: (plan: Json) => Json = () => body,
  ) =>
    run(async () => {
      setOutcome("");
      const plan = await api.post<Json>(base + path, { ...body, dryRun: true });
      if ((plan.items ?? []).length === 0) {
        setOutcome(said(plan));
        return;
      }
      setPending({
        question: question(plan),
        label,
        go: async () => {
          setPending(null);
          setOutcome(said(await api.post<Json>(base + path, confirmed(plan))));
          onChanged();
        },
      });
    });
  const refusedText = (r: Json) =>
    (r.refused ?? []).map((x: Json) => t("admin.refusedOrphan", { id: x.id, reason: x.reason })).join(" ");
  const resync = () =>
    ask(
      "/resync",
      {},
      (plan) => t("admin.resyncQuestion", { n: plan.items.length, app }),
      t("admin.resync"),
      (r) =>
        r.dryRun
          ? t("admin.nothingToResync")
          : [
              t("admin.resynced", { n: r.resynced ?? r.communities, events: r.events, still: r.stillQueued }),
              r.error ? t("admin.stoppedBy", { error: r.error }) : "",
            ].join(" "),
    );
  const orphanAction = (ids: string[], action: "delete" | "reassign") =>
    ask(
      "/orphans",
      { ids, action },
      (plan) =>
        [
          t(action === "delete" ? "admin.deleteOrphansQuestion" : "admin.reassignQuestion", {
            n: plan.items.length,
            ids: plan.items.join(", "),
            app,
          }),
          refusedText(plan),
        ].join(" "),
      t(action === "delete" ? "admin.moveToTrash" : "admin.assignBack"),
      (r) =>
        [
          r.dryRun
            ? t("admin.nothingToDo")
            : action === "delete"
              ? t("admin.orphansDeleted", { n: r.deleted ?? 0 })
              : t("admin.orphansReassigned", { n: r.reassigned ?? 0 }),
          refusedText(r),
          r.error ? t("admin.stoppedBy", { error: r.error }) : "",
        ].join(" "),
      (plan) => ({ ids: plan.items, action }),
    );
  const orphanItems: Json[] = orphans.items ?? [];
  return (
    <Section title={t("admin.report", { app, when: formatTime(report.created) })}>
      <p role="status">
        {report.state === "failed"
          ? t("admin.reportFailedBecause", { error: report.error ?? "" })
          : report.state === "running"
            ? t("admin.reportRunning")
            : t("admin.reportSummary", { resources: report.resources, differences: report.differences, orphans: report.orphans })}
      </p>
      <ul class="downloads">
        {(report.files ?? []).map((f: string) => (
          <li key={f}>
            <a href={base + "/files/" + encodeURIComponent(f)} download={f}>
              {f}
            </a>
          </li>
        ))}
      </ul>
      <ErrorMessage error={error} />
      {pending && (
        <Confirm
          question={pending.question}
          confirmLabel={pending.label}
          onCancel={() => setPending(null)}
          onConfirm={() => run(pending.go)}
          busy={busy}
        />
      )}
      {outcome && <p role="status">{outcome}</p>}
      {report.state === "done" && (
        <>
      <h3>{t("admin.differences")}</h3>
      {!differences.available ? (
        <p>{t("admin.seeFiles")}</p>
      ) : differences.count === 0 ? (
        <p>{t("admin.noDifferences")}</p>
      ) : (
        <>
          <ul>
            {(differences.items ?? []).map((d: Json, n: number) => (
              <li key={n}>
                {d.communityName} <span class="meta">({d.status}; {(d.attributes ?? []).map((a: Json) => a.attribute).join(", ")})</span>
              </li>
            ))}
          </ul>
          {differences.count > (differences.items ?? []).length && (
            <p class="hint">{t("admin.moreInFile", { n: differences.count })}</p>
          )}
          <button type="button" disabled={busy} onClick={resync}>
            {t("admin.resyncAll", { n: report.differences })}
          </button>
        </>
      )}
      <h3>{t("admin.orphans")}</h3>
      {!orphans.available ? (
        <p>{t("admin.seeFiles")}</p>
      ) : orphans.count === 0 ? (
        <p>{t("admin.noOrphans")}</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("admin.resource")}</th>
                <th scope="col">{t("admin.orphanWhy")}</th>
                <th scope="col">{t("settings.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {orphanItems.map((o: Json) => (
                <tr key={o.objectIdentifyingId}>
                  <td>
                    {o.nameInApplication ?? ""} <span class="meta">{o.objectIdentifyingId}</span>
                  </td>
                  <td>{t(("admin.orphanReason." + o.reason) as "admin.orphanReason.communityMissing")}</td>
                  <td>
                    {o.reason === "widgetMissing" && (
                      <button type="button" disabled={busy} onClick={() => orphanAction([o.objectIdentifyingId], "reassign")}>
                        {t("admin.assignBack")}
                      </button>
                    )}{" "}
                    <button type="button" class="danger" disabled={busy} onClick={() => orphanAction([o.objectIdentifyingId], "delete")}>
                      {t("admin.moveToTrash")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {orphanItems.length > 1 && (
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() => orphanAction(orphanItems.map((o) => o.objectIdentifyingId), "delete")}
            >
              {t("admin.moveAllToTrash", { n: orphanItems.length })}
            </button>
          )}
        </>
      )}
        </>
      )}
      {(report.actions ?? []).length > 0 && (
        <>
          <h3>{t("admin.repairsDone")}</h3>
          <ul>
            {report.actions.map((a: Json, n: number) => (
              <li key={n}>
                {formatTime(a.at)} {a.by}: {t(("admin.repair." + a.action) as "admin.repair.resync", {
                  n: a.action === "resync" ? (a.resynced ?? a.communities) : a.action === "delete" ? (a.deleted ?? 0) : (a.reassigned ?? 0),
                })}
              </li>
            ))}
          </ul>
        </>
      )}
      <p class="hint">{t("admin.verifyHint")}</p>
    </Section>
  );
}

// The runs of `concord recover` on this deployment: each one's steps, verification and audit log.
function Recovery() {
  const [runs, setRuns] = useState<Json[]>([]);
  const [open, setOpen] = useState<Json | null>(null);
  const tick = useRefresh(5);
  const { error, run } = useAction();
  const base = "/communities/api/admin/recovery-runs";
  useEffect(() => {
    run(async () => {
      setRuns((await api.get<{ items: Json[] }>(base)).items);
      if (open) setOpen(await api.get<Json>(base + "/" + encodeURIComponent(open.name)));
    });
  }, [tick]);
  const verdict = (r: Json) =>
    r.error
      ? t("admin.runDamaged")
      : !r.verification
        ? t("admin.runInProgress")
        : r.verification.clean
          ? t("admin.runClean")
          : t("admin.runNotClean", { differences: r.verification.differences, orphans: r.verification.orphans });
  return (
    <>
      <Section title={t("admin.recovery")}>
        <p class="hint">{t("admin.recoveryHint")}</p>
        <ErrorMessage error={error} />
        {runs.length === 0 ? (
          <p>{t("admin.noRuns")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("admin.started")}</th>
                <th scope="col">{t("admin.restored")}</th>
                <th scope="col">{t("admin.steps")}</th>
                <th scope="col">{t("admin.verification")}</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.name}>
                  <td>
                    <button
                      type="button"
                      class="link"
                      onClick={() => run(async () => setOpen(await api.get<Json>(base + "/" + encodeURIComponent(r.name))))}
                    >
                      {r.started ? formatTime(r.started) : r.name}
                    </button>
                  </td>
                  <td>{(r.restored ?? []).join(", ")}</td>
                  <td>{(r.completed ?? []).length}</td>
                  <td>{verdict(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      {open && (
        <Section title={t("admin.run", { name: open.name })}>
          <p role="status">{verdict(open)}</p>
          <h3>{t("admin.steps")}</h3>
          {(open.plan ?? []).length > 0 ? (
            // The plan, each step done or still to do (the first of those is where it stands).
            <ol class="plan">
              {open.plan.map((step: Json) => {
                const done = (open.completed ?? []).includes(step.id);
                return (
                  <li key={step.id} class={done ? "done" : "todo"}>
                    {step.title} <span class="meta">({done ? t("admin.stepDone") : t("admin.stepToDo")})</span>
                  </li>
                );
              })}
            </ol>
          ) : (
            <ol>
              {(open.completed ?? []).map((step: string) => (
                <li key={step}>{step}</li>
              ))}
            </ol>
          )}
          <h3>{t("admin.audit")}</h3>
          <pre class="audit" tabIndex={0}>{(open.audit ?? []).join("\n")}</pre>
        </Section>
      )}
    </>
  );
}

function Maintenance() {
  const [state, setState] = useState<Json | null>(null);
  const [allow, setAllow] = useState("");
  const [reason, setReason] = useState("");
  const [page, setPage] = useState("");
  const [reload, setReload] = useState(0);
  const { busy, error, run } = useAction();
  useEffect(() => {
    run(async () => {
      const s = await api.get<Json>("/api/admin/maintenance");
      setState(s);
      setAllow((s.allow ?? []).join(", "));
    });
  }, [reload]);
  const put = (enabled: boolean) =>
    run(async () => {
      const body: Json = { enabled };
      if (enabled) {
        body.allow = allow.split(/[\s,]+/).filter((x) => x);
        if (reason) body.reason = reason;
        if (page) body.page = page;
      }
      await api.put("/api/admin/maintenance", body);
      setReload(reload + 1);
    });
  return (
    <Section title={t("admin.maintenance")}>
      <p role="status">{state?.description}</p>
      <Field label={t("admin.allow")} value={allow} onInput={setAllow} hint={t("admin.allowHint")} />
      <Field label={t("admin.reason")} value={reason} onInput={setReason} />
      <Field
        label={t("admin.page")}
        value={page}
        onInput={setPage}
        multiline
        hint={state?.customPage ? t("admin.pageCustom") : t("admin.pageDefault")}
      />
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" class="danger" disabled={busy} onClick={() => put(true)}>
          {state?.enabled ? t("admin.maintenanceUpdate") : t("admin.maintenanceOn")}
        </button>
        <button type="button" disabled={busy || !state?.enabled} onClick={() => put(false)}>
          {t("admin.maintenanceOff")}
        </button>
      </div>
    </Section>
  );
}

function Users({ session }: { session: Session }) {
  const cursor = useCursor();
  const [page, setPage] = useState<Page<User> | null>(null);
  const [reload, setReload] = useState(0);
  const [form, setForm] = useState({ login: "", email: "", displayName: "", password: "" });
  const [admin, setAdmin] = useState(false);
  const { busy, error, run } = useAction();
  useEffect(() => {
    run(async () => setPage(await api.get<Page<User>>("/communities/api/users" + query({ after: cursor.after, limit: 50 }))));
  }, [cursor.after, reload]);
  return (
    <>
      <Section title={t("admin.users")}>
        <ErrorMessage error={error} />
        <table>
          <thead>
            <tr>
              <th scope="col">{t("signIn.login")}</th>
              <th scope="col">{t("admin.displayName")}</th>
              <th scope="col">{t("admin.state")}</th>
              <th scope="col">{t("settings.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((u) => (
              <tr key={u.id}>
                <td>{u.login}</td>
                <td>{u.displayName}</td>
                <td>{u.disabled ? t("admin.disabled") : u.admin ? t("admin.administrator") : t("admin.enabled")}</td>
                <td>
                  {u.id !== session.user.id && (
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() =>
                        run(async () => {
                          await api.post("/communities/api/users/" + encodeURIComponent(u.id) + (u.disabled ? "/enable" : "/disable"));
                          setReload(reload + 1);
                        })
                      }
                    >
                      {u.disabled ? t("admin.enable") : t("admin.disable")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager
          hasPrevious={cursor.hasPrevious}
          hasNext={!!page?.next}
          onPrevious={cursor.previous}
          onNext={() => page?.next && cursor.next(page.next)}
        />
      </Section>
      <Section title={t("admin.createUser")}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            run(async () => {
              await api.post("/communities/api/users", { ...form, admin });
              setForm({ login: "", email: "", displayName: "", password: "" });
              setReload(reload + 1);
            });
          }}
        >
          <Field label={t("signIn.login")} value={form.login} onInput={(v) => setForm({ ...form, login: v })} required />
          <Field label={t("admin.email")} type="email" value={form.email} onInput={(v) => setForm({ ...form, email: v })} required />
          <Field label={t("admin.displayName")} value={form.displayName} onInput={(v) => setForm({ ...form, displayName: v })} required />
          <Field
            label={t("signIn.password")}
            type="password"
            autocomplete="new-password"
            value={form.password}
            onInput={(v) => setForm({ ...form, password: v })}
            required
            hint={t("admin.passwordHint")}
          />
          <Checkbox label={t("admin.administrator")} checked={admin} onChange={setAdmin} />
          <button type="submit" class="primary" disabled={busy}>
            {t("admin.create")}
          </button>
        </form>
      </Section>
    </>
  );
}
