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
  // The plan, every step of it done.
  const runs = (await admin.get("/communities/api/admin/recovery-runs")).items;
  const plan = (await admin.get("/communities/api/admin/recovery-runs/" + runs[0].name)).plan;
  assert.ok(plan.length >= 5, "no plan recorded");
  const steps = page.locator("ol.plan > li");
  assert.equal(await steps.count(), plan.length);
  assert.equal(await steps.filter({ hasText: "(done)" }).count(), plan.length);
  await steps.filter({ hasText: "Verify: a fresh export and report" }).waitFor();
  await page.screenshot({ path: join(artifacts, "admin-recovery-run-1280.png"), fullPage: true });
  await page.context().close();
});

// Drift made on purpose: while Forums is stopped, a community is renamed and the Forum widget
// is taken out of two others, and those deliveries are cleared instead of delivered. The report
// finds one difference and two orphans; the administrator repairs them from the report's page
// (resync, one orphan assigned back, the rest moved to Forums' trash at once: only the orphan,
// not the other forum its community's owner made), and a second report is clean.
test("an administrator repairs a report's differences and orphans from the dashboard", async () => {
  const forumsApi = apiAs(forums, "admin", communities.adminPassword);
  const drifted = await admin.post("/communities/api/communities", { name: "Drifted" });
  const kept = await admin.post("/communities/api/communities", { name: "Orphan kept" });
  const dropped = await admin.post("/communities/api/communities", { name: "Orphan dropped" });
  const forumWidget = async (uuid) =>
    (await admin.get(`/communities/api/communities/${uuid}/widgets`)).items.find((w) => w.widgetDefId === "Forum");
  // The widget is bound once Forums has made the forum.
  const boundForum = async (uuid) => {
    for (let i = 0; i < 100; i++) {
      const id = (await forumWidget(uuid))?.remoteResourceId;
      if (id) return id;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  };
  const keptForum = await boundForum(kept.uuid);
  const droppedForum = await boundForum(dropped.uuid);
  assert.ok(keptForum && droppedForum, "the communities' forums were not made");
  // A second forum of the community whose widget goes: removing a widget trashes every forum of
  // its community, deleting an orphan only that one.
  const sideForum = (await forumsApi.post(`/forums/api/communities/${dropped.uuid}/forums`, { name: "Side forum" })).id;

  await admin.post("/communities/api/admin/scheduler/tasks/" + task + "/pause");
  await forums.stop();
  await admin.put("/communities/api/communities/" + drifted.uuid, { name: "Drifted later" });
  for (const c of [kept, dropped]) {
    await admin.del(`/communities/api/communities/${c.uuid}/widgets/${(await forumWidget(c.uuid)).instanceId}`);
  }
  for (let i = 0; i < 100 && (await queuedForForum()) < 3; i++) await new Promise((r) => setTimeout(r, 100));
  await admin.post("/communities/api/admin/queue/clear", { remoteAppDefId: "Forum" });
  await forums.start();
  await admin.post("/communities/api/admin/scheduler/tasks/" + task + "/resume");

  const page = await signedInPage(browser, communities, "admin", communities.adminPassword);
  await page.goto(communities.url + "/#/admin/sync");
  await page.getByRole("button", { name: "Export and report Forum" }).click();
  await page.getByText("1 communities differ; 2 orphans").waitFor();
  await page.getByText("Drifted", { exact: false }).first().waitFor();
  const reportId = (await admin.get("/communities/api/admin/sync-reports")).items[0].id;
  const base = "/communities/api/admin/sync-reports/" + reportId;

  // Bad requests change nothing: an id the report does not list (the side forum is none: only
  // a widget's forum is exported), an action it does not know.
  const raw = async (body) =>
    (
      await fetch(communities.url + base + "/orphans", {
        method: "POST",
        headers: {
          Authorization: "Basic " + Buffer.from("admin:" + communities.adminPassword).toString("base64"),
          "Content-Type": "application/json",
        },
        body: JSON.stringify(body),
      })
    ).status;
  assert.equal(await raw({ ids: ["not-an-orphan"], action: "delete" }), 400);
  assert.equal(await raw({ ids: [droppedForum], action: "burn" }), 400);
  assert.equal(await raw({ ids: [sideForum], action: "delete" }), 400);
  assert.equal(await raw({ ids: [droppedForum, droppedForum], action: "delete" }), 400);
  assert.equal(await raw({ ids: [droppedForum], action: "delete", dryRun: null }), 400);
  const history = await fetch(communities.url + "/communities/api/admin/metrics/history?scope=bogus", {
    headers: { Authorization: "Basic " + Buffer.from("admin:" + communities.adminPassword).toString("base64") },
  });
  assert.equal(history.status, 400);
  for (const id of [droppedForum, sideForum]) {
    assert.equal((await forumsApi.get("/forums/api/admin/resources/Forum/" + id)).trashed, false);
  }

  // Resync the difference: asked first, naming how many.
  await page.getByRole("button", { name: /Resync the communities that differ/ }).click();
  await page.getByRole("alertdialog").getByText(/Send the whole state of 1 communities to Forum again/).waitFor();
  await page.screenshot({ path: join(artifacts, "admin-sync-repair-1280.png"), fullPage: true });
  await page.getByRole("alertdialog").getByRole("button", { name: "Resync" }).click();
  await page.getByRole("status").filter({ hasText: "Resynced 1 communities" }).waitFor();
  assert.equal((await forumsApi.get("/forums/api/synced/Forum/" + drifted.uuid)).name, "Drifted later");

  // One orphan back in its community.
  await page.getByRole("row").filter({ hasText: keptForum }).getByRole("button", { name: "Assign back to its community" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Assign back to its community" }).click();
  await page.getByRole("status").filter({ hasText: "1 assigned back to their community." }).waitFor();
  assert.equal((await forumWidget(kept.uuid))?.remoteResourceId, keptForum);

  // The rest to Forums' trash at once: the one assigned back since is left alone, and said so.
  await page.getByRole("button", { name: "Move all 2 listed orphans to the application's trash" }).click();
  const question = page.getByRole("alertdialog");
  await question.getByText(/Move 1 resources of Forum/).waitFor();
  assert.ok((await question.textContent()).includes(droppedForum));
  // The one assigned back since is named as left alone.
  assert.match(await question.textContent(), new RegExp(keptForum + " left alone: community .* has claimed it since the report"));
  await question.getByRole("button", { name: "Move to the application's trash" }).click();
  await page.getByRole("status").filter({ hasText: "1 moved to the application's trash." }).waitFor();
  assert.equal((await forumsApi.get("/forums/api/admin/resources/Forum/" + droppedForum)).trashed, true);
  // Only the orphan: the community's other forum, and the one assigned back, are not in the trash.
  assert.equal((await forumsApi.get("/forums/api/admin/resources/Forum/" + sideForum)).trashed, false);
  assert.equal((await forumsApi.get("/forums/api/admin/resources/Forum/" + keptForum)).trashed, false);
  await page.getByRole("heading", { name: "Repairs made from this report" }).waitFor();
  const done = (await admin.get(base)).actions.map((a) => a.action);
  assert.deepEqual(done, ["resync", "reassign", "delete"]);
  for (const line of ["resynced 1 communities", "assigned 1 orphans back", "moved 1 orphans to the trash"]) {
    await page.getByRole("listitem").filter({ hasText: line }).waitFor();
  }

  // A new report: Forums agrees with Communities.
  await page.getByRole("button", { name: "Export and report Forum" }).click();
  await page.getByText("0 communities differ; 0 orphans.").waitFor();
  await page.context().close();
});

// A report made while its application is down fails, says why, and is kept as failed; nothing
// else is left behind and the next report can start.
test("a report of an application that cannot be reached fails with its reason", async () => {
  await forums.stop();
  try {
    const started = await admin.post("/communities/api/admin/sync-reports", { remoteAppDefId: "Forum" });
    assert.equal(started.state, "running");
    let report = started;
    for (let i = 0; i < 300 && report.state === "running"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      report = await admin.get("/communities/api/admin/sync-reports/" + started.id);
    }
    assert.equal(report.state, "failed");
    assert.match(report.error, /127\.0\.0\.1/);
    assert.deepEqual(report.files, []);
    const page = await signedInPage(browser, communities, "admin", communities.adminPassword);
    await page.goto(communities.url + "/#/admin/sync");
    await page.getByRole("row").filter({ hasText: "Forum" }).first().getByText("failed").waitFor();
    await page.context().close();
  } finally {
    await forums.start();
  }
});
