// The communities directory: mine, public ones, or all I may see (restricted ones only when I
// am a member, or as a listing when their owners allow it: the API decides), searched by name
// and tag, a page at a time; and a new community.
import { useEffect, useState } from "preact/hooks";
import { api, Page, query, Session } from "../api";
import { t } from "../i18n";
import { Community } from "../model";
import { go, href } from "../router";
import { ErrorMessage, Field, Pager, Section, useAction, useCursor } from "../ui";

type Scope = "mine" | "public" | "all";

export function visibilityLabel(v: string): string {
  return t(v === "public" ? "visibility.public" : v === "private" ? "visibility.private" : "visibility.moderated");
}

export function Directory(_: { session: Session }) {
  const [scope, setScope] = useState<Scope>("mine");
  const [name, setName] = useState("");
  const [tag, setTag] = useState("");
  const [search, setSearch] = useState({ name: "", tag: "" });
  const cursor = useCursor();
  const [page, setPage] = useState<Page<Community> | null>(null);
  const { error, run } = useAction();

  useEffect(() => {
    run(async () => {
      setPage(
        await api.get<Page<Community>>(
          "/communities/api/communities" +
            query({
              member: scope === "mine" ? "me" : undefined,
              visibility: scope === "public" ? "public" : undefined,
              q: search.name || undefined,
              tag: search.tag || undefined,
              after: cursor.after,
              limit: 20,
            }),
        ),
      );
    });
  }, [scope, search, cursor.after]);

  const choose = (s: Scope) => {
    setScope(s);
    cursor.reset();
  };
  return (
    <>
      <h1 tabIndex={-1}>{t("directory.title")}</h1>
      <div class="tabs" role="group" aria-label={t("directory.scope")}>
        {(["mine", "public", "all"] as Scope[]).map((s) => (
          <button type="button" key={s} aria-pressed={scope === s} onClick={() => choose(s)}>
            {t(("directory." + s) as "directory.mine")}
          </button>
        ))}
      </div>
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          cursor.reset();
          setSearch({ name: name.trim(), tag: tag.trim().toLowerCase() });
        }}
      >
        <Field label={t("directory.searchName")} value={name} onInput={setName} name="q" />
        <Field label={t("directory.searchTag")} value={tag} onInput={setTag} name="tag" />
        <button type="submit">{t("directory.search")}</button>
      </form>
      <ErrorMessage error={error} />
      {page && page.items.length === 0 && <p>{t("directory.none")}</p>}
      <ul class="communities">
        {page?.items.map((c) => (
          <li key={c.uuid} class="card">
            <h2>
              <a href={href("communities", c.uuid)}>{c.name}</a>
            </h2>
            <p class="meta">
              {visibilityLabel(c.visibility)}
              {c.access === "listing" ? " · " + t("directory.listingOnly") : ""}
              {c.memberCount !== undefined ? " · " + (c.memberCount === 1 ? t("directory.oneMember") : t("directory.members", { n: c.memberCount })) : ""}
              {c.callerRole ? " · " + t(c.callerRole === "owner" ? "role.owner" : "role.member") : ""}
            </p>
            {c.description && <p>{c.description}</p>}
            {c.tags.length > 0 && (
              <ul class="tags" aria-label={t("community.tags")}>
                {c.tags.map((tg) => (
                  <li key={tg}>{tg}</li>
                ))}
              </ul>
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
      <NewCommunity />
    </>
  );
}

function NewCommunity() {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const { busy, error, run } = useAction();
  return (
    <Section title={t("directory.create")}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            const c = await api.post<Community>("/communities/api/communities", {
              name,
              description,
            });
            go("communities", c.uuid);
          });
        }}
      >
        <Field label={t("community.name")} value={name} onInput={setName} required />
        <Field label={t("community.description")} value={description} onInput={setDescription} multiline />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {t("directory.createSubmit")}
        </button>
      </form>
    </Section>
  );
}
