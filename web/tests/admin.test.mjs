// The administrators' dashboard in a real browser, with Forums in a process of its own: pausing
// the retry task, watching the queue of the stopped application grow, retrying once it is back,
// and running a synchronization report and opening it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { apiAs, artifacts, binDir, freePort, launchBrowser, signedInPage, startConcord } from "./harness.mjs";

let communities, forums, browser, admin;

before(async () => {
  const forumsPort = await freePort();
  const communitiesPort = await freePort();
  communities = await startConcord({
    args: ["--services", "communities,blogs,wikis,news,libraries,activities,files"],
    port: communitiesPort,
    config: `[lifecycle.handlers]\nForum = "http://127.0.0.1:${forumsPort}/forums/api/lifecycle/Forum"\n`,
  });
  forums = await startConcord({
    args: ["--services", "forums"],
    port: forumsPort,
    config: `[services]\ncommunities_url = "http://127.0.0.1:${communitiesPort}"\n`,
  });
  admin = apiAs(communities, "admin", communities.adminPassword);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await forums?.stop();
  await communities?.stop();
  forums?.remove();
  communities?.remove();
});

const task = "LifecycleRetryQueuedEvents";
const queuedForForum = async () =>
  (await admin.get("/communities/api/admin/queue/summary")).items.find((i) => i.remoteAppDefId === "Forum")
    ?.numEvents ?? 0;

test("an administrator pauses the retries, watches a stopped application's queue, retries it, and reports", async () => {
  const c = await admin.post("/communities/api/communities", { name: "Watched" });
  const page = await signedInPage(browser, communities, "admin", communities.adminPassword);

  // Pause the scheduled retries from the dashboard.
  await page.goto(communities.url + "/#/admin/scheduler");
  const row = page.getByRole("row").filter({ hasText: task });
  await row.getByRole("button", { name: "Pause" }).click();
  await row.getByText("SUSPENDED").waitFor();
  assert.equal((await admin.get("/communities/api/admin/scheduler/tasks/" + task)).status, "SUSPENDED");

  // Forums stops; changes to the community queue up for it, and the dashboard shows them.
  await forums.stop();
  for (let i = 0; i < 3; i++) {
    await admin.put("/communities/api/communities/" + c.uuid, { name: "Watched " + i });
  }
  for (let i = 0; i < 100 && (await queuedForForum()) < 3; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok((await queuedForForum()) >= 3, "the events did not wait for Forums");
  await page.goto(communities.url + "/#/admin/queue");
  await page.getByText(/Forum: [0-9]+ events/).waitFor();
  await page.getByRole("cell", { name: "Forum" }).first().waitFor();
  await page.screenshot({ path: join(artifacts, "admin-queue-waiting-1280.png"), fullPage: true });

  // Forums is back: a retry from the dashboard delivers them all.
  await forums.start();
  await page.getByRole("button", { name: "Retry" }).click();
  await page.getByRole("status").filter({ hasText: /Delivered [0-9]+; 0 still queued/ }).waitFor();
  assert.equal(await queuedForForum(), 0);
  const forumsApi = apiAs(forums, "admin", communities.adminPassword);
  assert.equal((await forumsApi.get("/forums/api/synced/Forum/" + c.uuid)).name, "Watched 2");

  // Resume the task.
  await page.goto(communities.url + "/#/admin/scheduler");
  await page.getByRole("row").filter({ hasText: task }).getByRole("button", { name: "Resume" }).click();
  await page.getByRole("row").filter({ hasText: task }).getByText("SCHEDULED").waitFor();

  // A report of Forums, run and opened from the dashboard: Forums agrees with Communities.
  await page.goto(communities.url + "/#/admin/sync");
  await page.getByRole("button", { name: "Export and report Forum" }).click();
  await page.getByRole("heading", { name: /Report of Forum/ }).waitFor();
  await page.getByText("None: the application agrees with Communities.").waitFor();
  const download = page.getByRole("link", { name: "Forum_communityDifferences.html" });
  assert.ok(await download.count());
  const href = await download.getAttribute("href");
  const status = await page.evaluate(async (h) => (await fetch(h)).status, href);
  assert.equal(status, 200);
  await page.screenshot({ path: join(artifacts, "admin-sync-1280.png"), fullPage: true });
  await page.context().close();
});

test("a recovery run from the command line shows on the dashboard with its steps, verification and audit log", async () => {
  const { stdout } = await promisify(execFile)(
    join(binDir, "concord"),
    ["recover", "--restored", "forums", "--data-dir", communities.dir],
    { timeout: 300000 },
  );
  assert.match(stdout, /Recovered: 0 communities differ, 0 orphans/);
  const page = await signedInPage(browser, communities, "admin", communities.adminPassword);
  await page.goto(communities.url + "/#/admin/recovery");
  const row = page.getByRole("row").filter({ hasText: "forums" });
  await row.getByText("Verified: no difference, no orphan.").waitFor();
  await row.getByRole("button").click();
  await page.getByRole("heading", { name: "Audit log" }).waitFor();
  assert.match(await page.locator("pre.audit").textContent(), /concord recover --restored forums/);
  assert.ok((await page.getByRole("listitem").filter({ hasText: "verify" }).count()) > 0);
  await page.screenshot({ path: join(artifacts, "admin-recovery-1280.png"), fullPage: true });
  await page.context().close();
});
