// The trash: the communities I own (all of them, for administrators) that are in it, each
// restored with the access it had.
import { useEffect, useState } from "preact/hooks";
import { api, Page, query } from "../api";
import { formatTime, t } from "../i18n";
import { Community } from "../model";
import { go } from "../router";
import { ErrorMessage, Pager, useAction, useCursor } from "../ui";

export function TrashPage() {
  const cursor = useCursor();
  const [page, setPage] = useState<Page<Community> | null>(null);
  const { busy, error, run } = useAction();
  useEffect(() => {
    run(async () => setPage(await api.get<Page<Community>>("/communities/api/trash" + query({ after: cursor.after, limit: 50 }))));
  }, [cursor.after]);
  return (
    <>
      <h1 tabIndex={-1}>{t("trash.title")}</h1>
      <ErrorMessage error={error} />
      {page?.items.length === 0 && <p>{t("trash.none")}</p>}
      <ul class="communities">
        {page?.items.map((c) => (
          <li key={c.uuid} class="card">
            <h2>{c.name}</h2>
            <p class="meta">{t("trash.purgeAfter", { when: formatTime(c.trash?.purgeAfter) })}</p>
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  await api.post("/communities/api/trash/" + encodeURIComponent(c.uuid) + "/restore");
                  go("communities", c.uuid);
                })
              }
            >
              {t("trash.restore")}
            </button>
          </li>
        ))}
      </ul>
      <Pager
        hasPrevious={cursor.hasPrevious}
        hasNext={!!page?.next}
        onPrevious={cursor.previous}
        onNext={() => page?.next && cursor.next(page.next)}
      />
    </>
  );
}
