// A community's settings, for its owners (and administrators): what it is and who may see it,
// its members and their roles, its widgets, its subcommunities, and the trash. The API enforces
// every rule; this page explains them before the API has to refuse.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, Page, Session } from "../api";
import { t } from "../i18n";
import { Community, Member, Widget } from "../model";
import { go, href } from "../router";
import { Checkbox, Confirm, ErrorMessage, Field, Section, Select, useAction } from "../ui";

const widgetIds = [
  "Activities", "Blog", "IdeationBlog", "Files", "Forum", "Wiki", "StatusUpdates", "Library",
  "Bookmarks", "Feeds", "Subcommunities", "RelatedCommunities",
];

export function Settings({ uuid }: { uuid: string; session: Session }) {
  const base = "/communities/api/communities/" + encodeURIComponent(uuid);
  const [community, setCommunity] = useState<Community | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [widgets, setWidgets] = useState<Widget[]>([]);
  const [reload, setReload] = useState(0);
  const load = useAction();
  useEffect(() => {
    load.run(async () => {
      setCommunity(await api.get<Community>(base));
      setMembers((await api.get<Page<Member>>(base + "/members?limit=500")).items);
      setWidgets((await api.get<{ items: Widget[] }>(base + "/widgets")).items);
    });
  }, [uuid, reload]);
  const changed = () => setReload(reload + 1);
  if (!community) return <ErrorMessage error={load.error} />;
  return (
    <>
      <h1 tabIndex={-1}>{t("settings.title", { name: community.name })}</h1>
      <p>
        <a href={href("communities", uuid)}>{t("settings.back")}</a>
      </p>
      <Details community={community} base={base} changed={changed} />
      <Members members={members} base={base} changed={changed} />
      <Widgets widgets={widgets} base={base} changed={changed} />
      {!community.parentUuid && <Subcommunity base={base} />}
      <Trash community={community} base={base} />
    </>
  );
}

function Details({ community, base, changed }: { community: Community; base: string; changed: () => void }) {
  const [name, setName] = useState(community.name);
  const [description, setDescription] = useState(community.description);
  const [tags, setTags] = useState(community.tags.join(" "));
  const [theme, setTheme] = useState(community.theme ?? "default");
  const [visibility, setVisibility] = useState<string>(community.visibility);
  const [listWhenPrivate, setListWhenPrivate] = useState(community.listWhenPrivate);
  const [approve, setApprove] = useState(!!community.ownersApproveContent);
  const [flag, setFlag] = useState(!!community.viewersFlagContent);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  return (
    <Section title={t("settings.details")}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          run(async () => {
            await api.put(base, {
              name,
              description,
              tags: tags.split(/[\s,]+/).filter((x) => x),
              theme,
              visibility,
              listWhenPrivate,
              ownersApproveContent: approve,
              viewersFlagContent: flag,
              version: community.version,
            });
            setSaved(true);
            changed();
          });
        }}
      >
        <Field label={t("community.name")} value={name} onInput={setName} required />
        <Field label={t("community.description")} value={description} onInput={setDescription} multiline />
        <Field label={t("community.tags")} value={tags} onInput={setTags} hint={t("settings.tagsHint")} />
        <Field label={t("settings.theme")} value={theme} onInput={setTheme} />
        <Select
          label={t("settings.access")}
          value={visibility}
          onChange={setVisibility}
          options={[
            ["public", t("visibility.public")],
            ["publicInviteOnly", t("visibility.moderated")],
            ["private", t("visibility.private")],
          ]}
        />
        <p class="hint">{t("settings.accessHint")}</p>
        {visibility === "private" && (
          <Checkbox label={t("settings.listWhenPrivate")} checked={listWhenPrivate} onChange={setListWhenPrivate} />
        )}
        <Checkbox label={t("settings.ownersApprove")} checked={approve} onChange={setApprove} />
        <Checkbox label={t("settings.viewersFlag")} checked={flag} onChange={setFlag} />
        <ErrorMessage error={error} />
        {saved && <p role="status">{t("settings.saved")}</p>}
        <button type="submit" class="primary" disabled={busy}>
          {t("action.save")}
        </button>
      </form>
    </Section>
  );
}

function Members({ members, base, changed }: { members: Member[]; base: string; changed: () => void }) {
  const [user, setUser] = useState("");
  const [role, setRole] = useState("member");
  const { busy, error, run } = useAction();
  const owners = members.filter((m) => m.role === "owner").length;
  const explain = (e: unknown) => {
    if (e instanceof ApiError && e.status === 409 && e.body.code === "FAILED_PRECONDITION") {
      throw new Error(t("settings.lastOwner"));
    }
    throw e;
  };
  return (
    <Section title={t("community.members")}>
      <p class="hint">{t("settings.lastOwnerRule")}</p>
      <table>
        <caption class="visually-hidden">{t("community.members")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("settings.member")}</th>
            <th scope="col">{t("settings.role")}</th>
            <th scope="col">{t("settings.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => {
            const last = m.role === "owner" && owners === 1;
            return (
              <tr key={m.userId}>
                <td>
                  {m.displayName} <span class="meta">{m.login}</span>
                </td>
                <td>{t(m.role === "owner" ? "role.owner" : "role.member")}</td>
                <td>
                  <button
                    type="button"
                    disabled={busy || last}
                    title={last ? t("settings.lastOwner") : undefined}
                    onClick={() =>
                      run(async () => {
                        await api
                          .put(base + "/members/" + encodeURIComponent(m.userId), {
                            role: m.role === "owner" ? "member" : "owner",
                          })
                          .catch(explain);
                        changed();
                      })
                    }
                  >
                    {m.role === "owner" ? t("settings.demote") : t("settings.promote")}
                  </button>{" "}
                  <button
                    type="button"
                    disabled={busy || last}
                    onClick={() =>
                      run(async () => {
                        await api.del(base + "/members/" + encodeURIComponent(m.userId)).catch(explain);
                        changed();
                      })
                    }
                  >
                    {t("settings.remove")}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await api.post(base + "/members", { user, role });
            setUser("");
            changed();
          });
        }}
      >
        <Field label={t("settings.addUser")} value={user} onInput={setUser} required hint={t("settings.addUserHint")} />
        <Select
          label={t("settings.role")}
          value={role}
          onChange={setRole}
          options={[
            ["member", t("role.member")],
            ["owner", t("role.owner")],
          ]}
        />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          {t("settings.add")}
        </button>
      </form>
    </Section>
  );
}

function Widgets({ widgets, base, changed }: { widgets: Widget[]; base: string; changed: () => void }) {
  const missing = widgetIds.filter((id) => !widgets.some((w) => w.widgetDefId === id));
  const [add, setAdd] = useState(missing[0] ?? "");
  const [removing, setRemoving] = useState<Widget | null>(null);
  const { busy, error, run } = useAction();
  return (
    <Section title={t("community.widgets")}>
      <ul>
        {widgets.map((w) => (
          <li key={w.instanceId}>
            {t(("app." + w.widgetDefId) as "app.Blog")}{" "}
            {w.widgetDefId !== "Members" && w.widgetDefId !== "RecentUpdates" && (
              <button type="button" disabled={busy} onClick={() => setRemoving(w)}>
                {t("settings.remove")}
              </button>
            )}
          </li>
        ))}
      </ul>
      {removing && (
        <Confirm
          question={t("settings.removeWidgetQuestion", { widget: t(("app." + removing.widgetDefId) as "app.Blog") })}
          confirmLabel={t("settings.remove")}
          onCancel={() => setRemoving(null)}
          onConfirm={() =>
            run(async () => {
              await api.del(base + "/widgets/" + encodeURIComponent(removing.instanceId));
              setRemoving(null);
              changed();
            })
          }
        />
      )}
      {missing.length > 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            run(async () => {
              await api.post(base + "/widgets", { widgetDefId: add || missing[0] });
              changed();
            });
          }}
        >
          <Select
            label={t("settings.addWidget")}
            value={add || missing[0]}
            onChange={setAdd}
            options={missing.map((id) => [id, t(("app." + id) as "app.Blog")])}
          />
          <button type="submit" disabled={busy}>
            {t("settings.add")}
          </button>
        </form>
      )}
      <ErrorMessage error={error} />
    </Section>
  );
}

function Subcommunity({ base }: { base: string }) {
  const [name, setName] = useState("");
  const { busy, error, run } = useAction();
  return (
    <Section title={t("community.subcommunities")}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            const c = await api.post<Community>(base + "/subcommunities", { name });
            go("communities", c.uuid);
          });
        }}
      >
        <Field label={t("settings.subcommunityName")} value={name} onInput={setName} required />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          {t("settings.createSubcommunity")}
        </button>
      </form>
    </Section>
  );
}

function Trash({ community, base }: { community: Community; base: string }) {
  const [asking, setAsking] = useState(false);
  const { busy, error, run } = useAction();
  return (
    <Section title={t("settings.trash")}>
      <p class="hint">{t("settings.trashHint")}</p>
      {asking ? (
        <Confirm
          question={t("settings.trashQuestion", { name: community.name })}
          confirmLabel={t("settings.moveToTrash")}
          onCancel={() => setAsking(false)}
          onConfirm={() =>
            run(async () => {
              await api.del(base);
              go("trash");
            })
          }
        />
      ) : (
        <button type="button" class="danger" disabled={busy} onClick={() => setAsking(true)}>
          {t("settings.moveToTrash")}
        </button>
      )}
      <ErrorMessage error={error} />
    </Section>
  );
}
