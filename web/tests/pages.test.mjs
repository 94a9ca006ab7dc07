// The pages in a real browser (Debian's Chromium, headless): signing in and out, what a
// non-member never sees, an owner's settings reaching every application, members writing
// through the pages, the CSRF token, every page at 1280 and 360 pixels wide, and an
// accessibility check of each. Screenshots land in build/web-test-artifacts/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { apiAs, artifacts, fitsWidth, launchBrowser, makeUser, signedInPage, startConcord } from "./harness.mjs";

let server, browser, admin;
const users = {};

before(async () => {
  server = await startConcord();
  admin = apiAs(server, "admin", server.adminPassword);
  for (const login of ["olivia", "mike", "nora"]) users[login] = await makeUser(admin, login);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.remove();
});

const as = (login) => apiAs(server, login, users[login]);

async function community(owner, body) {
  const c = await as(owner).post("/communities/api/communities", body);
  return c.uuid;
}

// Serious or critical accessibility violations on the page as it is now.
async function axeViolations(page) {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

describe("signing in", () => {
  test("/ without credentials is the sign-in page, not a Basic prompt; sign-in sets a session cookie", async () => {
    const r = await fetch(server.url + "/");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("www-authenticate"), null);
    assert.match(r.headers.get("content-type"), /text\/html/);
    const csp = r.headers.get("content-security-policy");
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.ok(r.headers.get("referrer-policy"));
    // The API still asks scripts for Basic credentials.
    const api = await fetch(server.url + "/communities/api/communities");
    assert.equal(api.status, 401);
    assert.match(api.headers.get("www-authenticate"), /Basic/);

    const page = await signedInPage(browser, server, "olivia", users.olivia);
    assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Communities");
    const cookie = (await page.context().cookies()).find((c) => c.name === "concord_session");
    assert.ok(cookie, "no session cookie");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    await page.screenshot({ path: join(artifacts, "directory-1280.png"), fullPage: true });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Concord" }).waitFor();
    await page.screenshot({ path: join(artifacts, "sign-in-1280.png") });
    // The old cookie no longer works.
    const reuse = await fetch(server.url + "/communities/api/session", {
      headers: { Cookie: "concord_session=" + cookie.value, "X-Requested-With": "concord-web" },
    });
    assert.equal(reuse.status, 401);
    await page.context().close();
  });

  test("a wrong password is refused with a message, and the form stays", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url + "/");
    await page.getByLabel("Login").fill("olivia");
    await page.getByLabel("Password").fill("not-her-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    assert.match(await page.getByRole("alert").textContent(), /wrong/);
    await context.close();
  });
});

describe("access", () => {
  test("a non-member never sees a restricted community: directory, search or direct address", async () => {
    const secret = await community("olivia", { name: "Secret Garden", visibility: "private", tags: ["hidden"] });
    const page = await signedInPage(browser, server, "mike", users.mike);
    await page.getByRole("button", { name: "All I can see" }).click();
    await page.getByLabel("Name contains").fill("Secret");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("No community matches.").waitFor();
    await page.getByLabel("Name contains").fill("");
    await page.getByLabel("Tag").fill("hidden");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("No community matches.").waitFor();
    await page.goto(server.url + "/#/communities/" + secret);
    await page.getByRole("heading", { name: "Community not found" }).waitFor();
    assert.equal(await page.getByText("Secret Garden").count(), 0);
    // Its owner finds it by name and by tag.
    const owner = await signedInPage(browser, server, "olivia", users.olivia);
    await owner.getByLabel("Name contains").fill("secret");
    await owner.getByRole("button", { name: "Search" }).click();
    await owner.getByRole("link", { name: "Secret Garden" }).waitFor();
    await page.context().close();
    await owner.context().close();
  });

  test("a change without the session's CSRF token is refused (403) and changes nothing", async () => {
    const uuid = await community("olivia", { name: "Guarded" });
    const page = await signedInPage(browser, server, "olivia", users.olivia);
    const status = await page.evaluate(async (uuid) => {
      const r = await fetch("/communities/api/communities/" + uuid, {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-Requested-With": "concord-web" },
        body: JSON.stringify({ name: "Forged" }),
      });
      return r.status;
    }, uuid);
    assert.equal(status, 403);
    assert.equal((await as("olivia").get("/communities/api/communities/" + uuid)).name, "Guarded");
    await page.context().close();
  });
});

describe("owners and members", () => {
  test("an owner switches a community to restricted and back, and every application hears it", async () => {
    const uuid = await community("olivia", { name: "Switching" });
    for (const w of ["Blog", "Wiki", "Library", "Activities"]) {
      await as("olivia").post(`/communities/api/communities/${uuid}/widgets`, { widgetDefId: w });
    }
    const page = await signedInPage(browser, server, "olivia", users.olivia);
    await page.goto(server.url + `/#/communities/${uuid}/settings`);
    await page.getByRole("heading", { name: "Settings of Switching" }).waitFor();
    await page.screenshot({ path: join(artifacts, "settings-1280.png"), fullPage: true });
    const synced = async () => {
      const out = {};
      for (const [service, app] of [
        ["blogs", "Blog"],
        ["wikis", "Wiki"],
        ["forums", "Forum"],
        ["files", "Files"],
        ["news", "StatusUpdates"],
        ["libraries", "Library"],
        ["activities", "Activities"],
      ]) {
        out[app] = (await admin.get(`/${service}/api/synced/${app}/${uuid}`)).visibility;
      }
      return out;
    };
    const waitFor = async (visibility) => {
      for (let i = 0; i < 100; i++) {
        const v = await synced();
        if (Object.values(v).every((x) => x === visibility)) return v;
        await new Promise((r) => setTimeout(r, 100));
      }
      return synced();
    };
    for (const [label, visibility] of [["Restricted", "private"], ["Public", "public"]]) {
      await page.getByLabel("Access").selectOption({ label });
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
      const v = await waitFor(visibility);
      for (const [app, got] of Object.entries(v)) assert.equal(got, visibility, app);
    }
    await page.context().close();
  });

  test("a member writes a blog entry and a forum topic through the pages", async () => {
    const uuid = await community("olivia", { name: "Writers" });
    await as("olivia").post(`/communities/api/communities/${uuid}/widgets`, { widgetDefId: "Blog" });
    await as("olivia").post(`/communities/api/communities/${uuid}/members`, { user: "nora" });
    const page = await signedInPage(browser, server, "nora", users.nora);
    await page.goto(server.url + `/#/communities/${uuid}`);
    await page.getByRole("heading", { name: "Writers" }).waitFor();
    const blog = page.getByRole("region", { name: "Blog" });
    await blog.getByLabel("Title").fill("Hello from the page");
    await blog.getByLabel("Text").fill("Written in a browser.");
    await blog.getByRole("button", { name: "Post" }).click();
    await blog.getByRole("button", { name: "Hello from the page" }).waitFor();
    const forum = page.getByRole("region", { name: "Forum" });
    await forum.getByLabel("Title").fill("First topic");
    await forum.getByRole("button", { name: "Post" }).click();
    await forum.getByRole("button", { name: "First topic" }).waitFor();
    await page.screenshot({ path: join(artifacts, "community-1280.png"), fullPage: true });
    // The applications have them, by their own APIs.
    const widgets = (await as("nora").get(`/communities/api/communities/${uuid}/widgets`)).items;
    const blogId = widgets.find((w) => w.widgetDefId === "Blog").remoteResourceId;
    const forumId = widgets.find((w) => w.widgetDefId === "Forum").remoteResourceId;
    const entries = (await as("nora").get(`/blogs/api/blogs/${blogId}/entries`)).items;
    assert.ok(entries.some((e) => e.title === "Hello from the page"));
    const topics = (await as("nora").get(`/forums/api/forums/${forumId}/topics`)).items;
    assert.ok(topics.some((e) => e.title === "First topic"));
    await page.context().close();
  });
});

describe("every page", () => {
  test("fits 1280 and 360 pixels without horizontal scroll, with no serious accessibility violation", async () => {
    const uuid = await community("olivia", { name: "Showcase", description: "A community to look at", tags: ["demo"] });
    await as("olivia").post(`/communities/api/communities/${uuid}/widgets`, { widgetDefId: "Blog" });
    const pages = [
      ["directory", "/#/"],
      ["community", `/#/communities/${uuid}`],
      ["settings", `/#/communities/${uuid}/settings`],
      ["trash", "/#/trash"],
    ];
    const adminPages = ["overview", "queue", "scheduler", "sync", "recovery", "maintenance", "users"].map((t) => ["admin-" + t, "/#/admin/" + t]);
    const problems = [];
    for (const width of [1280, 360]) {
      const signInContext = await browser.newContext({ viewport: { width, height: 800 } });
      const signIn = await signInContext.newPage();
      await signIn.goto(server.url + "/");
      await signIn.getByRole("heading", { name: "Sign in to Concord" }).waitFor();
      if (!(await fitsWidth(signIn))) problems.push(`sign-in at ${width}: horizontal scroll`);
      problems.push(...(await axeViolations(signIn)).map((v) => `sign-in: ${v}`));
      await signIn.screenshot({ path: join(artifacts, `sign-in-${width}.png`), fullPage: true });
      await signInContext.close();
      for (const [who, password, list] of [["olivia", users.olivia, pages], ["admin", server.adminPassword, adminPages]]) {
        const page = await signedInPage(browser, server, who, password, { width });
        for (const [name, path] of list) {
          await page.goto(server.url + path);
          await page.getByRole("heading", { level: 1 }).first().waitFor();
          await page.waitForLoadState("networkidle");
          if (!(await fitsWidth(page))) problems.push(`${name} at ${width}: horizontal scroll`);
          if (width === 1280) problems.push(...(await axeViolations(page)).map((v) => `${name}: ${v}`));
          await page.screenshot({ path: join(artifacts, `${name}-${width}.png`), fullPage: true });
        }
        await page.context().close();
      }
    }
    assert.deepEqual(problems, []);
  });

  test("the pages speak German and French from the browser's language", async () => {
    for (const [locale, heading] of [["de-DE", "Communitys"], ["fr-FR", "Communautés"]]) {
      const page = await signedInPage(browser, server, "mike", users.mike, { locale });
      assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), heading);
      assert.equal(await page.evaluate(() => document.documentElement.lang), locale.slice(0, 2));
      await page.context().close();
    }
  });
});
