// One remote application's content in a community's page, from its PanelSpec: the items a page
// at a time, one item opened with its replies (or versions, or entries), and the forms members
// use to add to them.
import { useEffect, useState } from "preact/hooks";
import { api, Page } from "../api";
import { formatTime, MessageKey, t } from "../i18n";
import { Item, PanelSpec } from "../panels";
import { ErrorMessage, Field, Pager, useAction, useCursor } from "../ui";

export function Panel(props: { spec: PanelSpec; resource: string; community: string; member: boolean }) {
  const { spec, resource, community } = props;
  const cursor = useCursor();
  const [page, setPage] = useState<Page<Item> | null>(null);
  const [open, setOpen] = useState<Item | null>(null);
  const [reload, setReload] = useState(0);
  const { error, run } = useAction();
  useEffect(() => {
    run(async () => {
      const path = spec.list(resource, community);
      const sep = path.includes("?") ? "&" : "?";
      const r = await api.get<Page<Item> | Item[]>(path + (cursor.after ? sep + "after=" + encodeURIComponent(cursor.after) : ""));
      setPage(Array.isArray(r) ? { items: r, next: null } : r);
    });
  }, [resource, cursor.after, reload]);

  const title = t(spec.title as MessageKey);
  return (
    <section class="card panel" aria-labelledby={"panel-" + resource}>
      <h2 id={"panel-" + resource}>{title}</h2>
      <ErrorMessage error={error} />
      {page && page.items.length === 0 && <p>{t("panel.empty")}</p>}
      <ul class="items">
        {page?.items.map((item) => (
          <li key={item.id}>
            {spec.download ? (
              <a href={spec.download(item)} download={item.name}>
                {spec.label(item)}
              </a>
            ) : (
              <button type="button" class="link" aria-expanded={open?.id === item.id} onClick={() => setOpen(open?.id === item.id ? null : item)}>
                {spec.label(item) || t("panel.untitled")}
              </button>
            )}
            <span class="meta">
              {item.author?.displayName ?? item.authorName ?? ""} {formatTime(item.created)}
              {item.votes !== undefined && spec.vote ? " · " + t("panel.votes", { n: item.votes }) : ""}
              {item.size !== undefined ? " · " + t("panel.bytes", { n: item.size }) : ""}
            </span>
            {open?.id === item.id && (
              <ItemDetails spec={spec} item={item} member={props.member} changed={() => setReload(reload + 1)} />
            )}
          </li>
        ))}
      </ul>
      <Pager
        hasPrevious={cursor.hasPrevious}
        hasNext={!!page?.next}
        onPrevious={cursor.previous}
        onNext={() => page?.next && cursor.next(page.next)}
      />
      {props.member && spec.create && (
        <CreateForm
          title={title}
          path={spec.create.path(resource, community)}
          fields={spec.create.fields}
          created={() => {
            cursor.reset();
            setReload(reload + 1);
          }}
        />
      )}
      {props.member && spec.upload && <Upload path={spec.upload(resource)} uploaded={() => setReload(reload + 1)} />}
    </section>
  );
}

function ItemDetails(props: { spec: PanelSpec; item: Item; member: boolean; changed: () => void }) {
  const { spec, item } = props;
  const [details, setDetails] = useState<Item | null>(null);
  const [children, setChildren] = useState<Item[]>([]);
  const [reload, setReload] = useState(0);
  const { error, run } = useAction();
  useEffect(() => {
    run(async () => {
      const d = spec.detail ? await api.get<Item>(spec.detail(item)) : item;
      setDetails(d);
      if (spec.children?.path) {
        const r = await api.get<Page<Item> | Item[]>(spec.children.path(item));
        setChildren(Array.isArray(r) ? r : r.items);
      } else if (spec.children?.key) {
        setChildren(d[spec.children.key] ?? []);
      } else if (spec.entries) {
        const r = await api.get<Page<Item>>(spec.entries.list(item));
        setChildren(r.items);
      }
    });
  }, [item.id, reload]);
  const changed = () => {
    setReload(reload + 1);
    props.changed();
  };
  return (
    <div class="details">
      <ErrorMessage error={error} />
      {details?.content && <p class="content">{details.content}</p>}
      {spec.vote && props.member && (
        <VoteButton path={spec.vote(item)} votes={details?.votes ?? item.votes} changed={changed} />
      )}
      {(spec.children || spec.entries) && (
        <>
          <h3>{t((spec.children?.title ?? "panel.entries") as MessageKey)}</h3>
          <ul>
            {children.map((c, n) => (
              <li key={c.id ?? n}>
                {spec.todo && c.type === "todo" ? (
                  <TodoToggle path={spec.todo(c)} entry={c} member={props.member} changed={changed} />
                ) : (
                  <span>{c.title ?? c.content ?? t("panel.version", { n: c.version })}</span>
                )}
                <span class="meta">
                  {" "}
                  {c.author?.displayName ?? ""} {formatTime(c.created)}
                </span>
              </li>
            ))}
          </ul>
          {props.member && spec.children?.add && (
            <CreateForm title={t(spec.children.title as MessageKey)} path={spec.children.add(item)} fields={["content"]} created={changed} />
          )}
          {props.member && spec.entries && <EntryForm path={spec.entries.create(item)} created={changed} />}
        </>
      )}
    </div>
  );
}

function CreateForm(props: { title: string; path: string; fields: ("title" | "content")[]; created: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const { busy, error, run } = useAction();
  return (
    <form
      class="create"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          await api.post(props.path, values);
          setValues({});
          props.created();
        });
      }}
    >
      <fieldset>
        <legend>{t("panel.add", { what: props.title })}</legend>
        {props.fields.map((f) => (
          <Field
            key={f}
            label={t(f === "title" ? "panel.title" : "panel.content")}
            value={values[f] ?? ""}
            onInput={(v) => setValues({ ...values, [f]: v })}
            multiline={f === "content"}
            required={f === "title" || props.fields.length === 1}
          />
        ))}
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          {t("panel.submit")}
        </button>
      </fieldset>
    </form>
  );
}

function EntryForm(props: { path: string; created: () => void }) {
  const [title, setTitle] = useState("");
  const [todo, setTodo] = useState(false);
  const { busy, error, run } = useAction();
  return (
    <form
      class="create"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          await api.post(props.path, { title, type: todo ? "todo" : "entry" });
          setTitle("");
          props.created();
        });
      }}
    >
      <fieldset>
        <legend>{t("panel.addEntry")}</legend>
        <Field label={t("panel.title")} value={title} onInput={setTitle} required />
        <div class="field checkbox">
          <input id="entry-todo" type="checkbox" checked={todo} onChange={(e) => setTodo((e.target as HTMLInputElement).checked)} />
          <label for="entry-todo">{t("panel.isTodo")}</label>
        </div>
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          {t("panel.submit")}
        </button>
      </fieldset>
    </form>
  );
}

function VoteButton(props: { path: string; votes: number; changed: () => void }) {
  const { busy, error, run } = useAction();
  return (
    <p>
      <button type="button" disabled={busy} onClick={() => run(async () => {
        await api.post(props.path);
        props.changed();
      })}>
        {t("panel.vote", { n: props.votes ?? 0 })}
      </button>
      <ErrorMessage error={error} />
    </p>
  );
}

function TodoToggle(props: { path: string; entry: Item; member: boolean; changed: () => void }) {
  const { error, run } = useAction();
  const id = "todo-" + props.entry.id;
  return (
    <span>
      <input
        id={id}
        type="checkbox"
        checked={!!props.entry.done}
        disabled={!props.member}
        onChange={(e) => run(async () => {
          await api.put(props.path, { done: (e.target as HTMLInputElement).checked });
          props.changed();
        })}
      />
      <label for={id}>{props.entry.title}</label>
      <ErrorMessage error={error} />
    </span>
  );
}

function Upload(props: { path: string; uploaded: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const { busy, error, run } = useAction();
  return (
    <form
      class="create"
      onSubmit={(e) => {
        e.preventDefault();
        if (!file) return;
        run(async () => {
          await api.upload(props.path + "?name=" + encodeURIComponent(file.name), file);
          props.uploaded();
        });
      }}
    >
      <fieldset>
        <legend>{t("panel.upload")}</legend>
        <div class="field">
          <label for="upload-file">{t("panel.file")}</label>
          <input id="upload-file" type="file" required onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
        </div>
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy || !file}>
          {t("panel.submitUpload")}
        </button>
      </fieldset>
    </form>
  );
}
