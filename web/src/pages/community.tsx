// A community's page: what it is, who is in it, its widgets, and each remote application's
// content. Everything comes from the APIs, which decide what the caller may see: a restricted
// community a non-member asks for is "not found" here exactly as there.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, Page, Session } from "../api";
import { t } from "../i18n";
import { Community, Member, Widget } from "../model";
import { panels } from "../panels";
import { href } from "../router";
import { ErrorMessage, useAction } from "../ui";
import { visibilityLabel } from "./directory";
import { Panel } from "./panel";

export function CommunityPage({ uuid, session }: { uuid: string; session: Session }) {
  const [community, setCommunity] = useState<Community | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [widgets, setWidgets] = useState<Widget[]>([]);
  const [subs, setSubs] = useState<Community[]>([]);
  const [missing, setMissing] = useState(false);
  const [reload, setReload] = useState(0);
  const { error, run } = useAction();
  const base = "/communities/api/communities/" + encodeURIComponent(uuid);

  useEffect(() => {
    setMissing(false);
    run(async () => {
      try {
        const c = await api.get<Community>(base);
        setCommunity(c);
        if (c.access === "full") {
          setMembers((await api.get<Page<Member>>(base + "/members?limit=100")).items);
          setWidgets((await api.get<{ items: Widget[] }>(base + "/widgets")).items);
          setSubs((await api.get<Page<Community>>(base + "/subcommunities?limit=100")).items);
        }
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          setMissing(true);
          return;
        }
        throw e;
      }
    });
  }, [uuid, reload]);

  const join = useAction();
  if (missing) {
    return (
      <>
        <h1 tabIndex={-1}>{t("community.notFound")}</h1>
        <p>{t("community.notFoundText")}</p>
      </>
    );
  }
  if (!community) return <ErrorMessage error={error} />;
  const owners = members.filter((m) => m.role === "owner");
  const isMember = !!community.callerRole || session.user.admin;
  const canOwn = community.callerRole === "owner" || session.user.admin;
  const remote = widgets.filter((w) => w.remote && w.remoteResourceId && panels[w.widgetDefId]);

  return (
    <>
      <h1 tabIndex={-1}>{community.name}</h1>
      <p class="meta">
        {visibilityLabel(community.visibility)}
        {community.memberCount !== undefined ? " · " + (community.memberCount === 1 ? t("directory.oneMember") : t("directory.members", { n: community.memberCount })) : ""}
        {community.callerRole ? " · " + t(community.callerRole === "owner" ? "role.owner" : "role.member") : ""}
      </p>
      {community.description && <p>{community.description}</p>}
      {community.tags.length > 0 && (
        <ul class="tags" aria-label={t("community.tags")}>
          {community.tags.map((tg) => (
            <li key={tg}>{tg}</li>
          ))}
        </ul>
      )}
      <div class="actions">
        {canOwn && <a class="button" href={href("communities", uuid, "settings")}>{t("community.settings")}</a>}
        {!community.callerRole && community.visibility === "public" && community.access === "full" && (
          <button type="button" onClick={() => join.run(async () => {
            await api.post(base + "/members", { user: "me" });
            setReload(reload + 1);
          })}>
            {t("community.join")}
          </button>
        )}
        {community.callerRole === "member" && (
          <button type="button" onClick={() => join.run(async () => {
            await api.del(base + "/members/me");
            setReload(reload + 1);
          })}>
            {t("community.leave")}
          </button>
        )}
      </div>
      <ErrorMessage error={join.error ?? error} />
      {community.access === "listing" ? (
        <p>{t("community.listingText")}</p>
      ) : (
        <div class="columns">
          <aside>
            <section class="card">
              <h2>{t("community.owners")}</h2>
              <ul>
                {owners.map((m) => (
                  <li key={m.userId}>{m.displayName}</li>
                ))}
              </ul>
              <h2>{t("community.members")}</h2>
              <ul>
                {members.filter((m) => m.role === "member").map((m) => (
                  <li key={m.userId}>{m.displayName}</li>
                ))}
              </ul>
            </section>
            <section class="card">
              <h2>{t("community.widgets")}</h2>
              <ul>
                {widgets.map((w) => (
                  <li key={w.instanceId}>{t(("app." + w.widgetDefId) as "app.Blog") ?? w.widgetDefId}</li>
                ))}
              </ul>
            </section>
            {subs.length > 0 && (
              <section class="card">
                <h2>{t("community.subcommunities")}</h2>
                <ul>
                  {subs.map((s) => (
                    <li key={s.uuid}>
                      <a href={href("communities", s.uuid)}>{s.name}</a>
                    </li>
                  ))}
                </ul>
              </section>
            )}
          </aside>
          <div class="content-column">
            {remote.map((w) => (
              <Panel
                key={w.instanceId}
                spec={panels[w.widgetDefId]}
                resource={w.remoteResourceId!}
                community={uuid}
                member={isMember}
              />
            ))}
          </div>
        </div>
      )}
    </>
  );
}
