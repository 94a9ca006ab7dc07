// Small pieces every page uses: an error message, a labelled field, a pager, a confirmation.
import { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError } from "./api";
import { t } from "./i18n";

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  let text = String(error);
  if (error instanceof ApiError) {
    text = error.body.message || t("error.generic");
    if (error.body.field) text += " (" + error.body.field + ")";
  }
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

let ids = 0;
export function useId(prefix: string): string {
  const [id] = useState(() => prefix + "-" + ++ids);
  return id;
}

export function Field(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  type?: string;
  multiline?: boolean;
  required?: boolean;
  autocomplete?: string;
  name?: string;
  hint?: string;
}) {
  const id = useId("f");
  const hint = props.hint ? id + "-hint" : undefined;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea
          id={id}
          name={props.name}
          value={props.value}
          required={props.required}
          aria-describedby={hint}
          onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
        />
      ) : (
        <input
          id={id}
          name={props.name}
          type={props.type ?? "text"}
          value={props.value}
          required={props.required}
          autocomplete={props.autocomplete}
          aria-describedby={hint}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        />
      )}
      {props.hint && (
        <p class="hint" id={hint}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId("c");
  return (
    <div class="field checkbox">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
      />
      <label for={id}>{props.label}</label>
    </div>
  );
}

export function Select(props: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (v: string) => void;
}) {
  const id = useId("s");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {props.options.map(([v, l]) => (
          <option value={v} key={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

// Runs an action, showing that it runs and what went wrong.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

export function Pager(props: { hasPrevious: boolean; hasNext: boolean; onPrevious: () => void; onNext: () => void }) {
  if (!props.hasPrevious && !props.hasNext) return null;
  return (
    <nav class="pager" aria-label={t("pager.label")}>
      <button type="button" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        {t("pager.previous")}
      </button>
      <button type="button" disabled={!props.hasNext} onClick={props.onNext}>
        {t("pager.next")}
      </button>
    </nav>
  );
}

// Cursor paging with a way back: the cursors of the pages seen so far.
export function useCursor() {
  const [stack, setStack] = useState<string[]>([""]);
  return {
    after: stack[stack.length - 1],
    hasPrevious: stack.length > 1,
    next: (cursor: string) => setStack([...stack, cursor]),
    previous: () => setStack(stack.slice(0, -1)),
    reset: () => setStack([""]),
  };
}

// A destructive action asks first, saying what it will do.
export function Confirm(props: {
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  return (
    <div class="confirm" role="alertdialog" aria-labelledby="confirm-q">
      <p id="confirm-q">{props.question}</p>
      <button type="button" class="danger" disabled={props.busy} onClick={props.onConfirm}>
        {props.confirmLabel}
      </button>
      <button type="button" onClick={props.onCancel} autofocus>
        {t("action.cancel")}
      </button>
    </div>
  );
}

export function Section(props: { title: string; children: ComponentChildren; level?: 2 | 3 }) {
  const Heading = props.level === 3 ? "h3" : "h2";
  return (
    <section class="card">
      <Heading>{props.title}</Heading>
      {props.children}
    </section>
  );
}
