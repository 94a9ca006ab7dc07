// What the browser tests share: a Concord server of their own on a fresh data directory, users
// made through the API, and Debian's Chromium driven by Playwright.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";

export const binDir = process.env.CONCORD_BIN_DIR ?? new URL("../../build/bin", import.meta.url).pathname;
export const artifacts =
  process.env.CONCORD_ARTIFACTS ?? new URL("../../build/web-test-artifacts", import.meta.url).pathname;
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitUntilUp(url, child, log) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error("concord serve exited: " + log());
    try {
      const r = await fetch(url + "/api/admin/node");
      if (r.status === 401 || r.status === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("concord serve did not answer: " + log());
}

// One `concord serve` on a data directory of its own; `args` adds options (--services ...).
export async function startConcord({ dataDir, args = [], config = "", port: wanted } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "concord-web-"));
  if (config) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "concord.toml"), config);
  }
  const port = wanted ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(join(binDir, "concord"), ["serve", "--data-dir", dir, "--listen", `127.0.0.1:${port}`, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  await waitUntilUp(url, child, () => output);
  let password = "";
  try {
    password = readFileSync(join(dir, "admin.credentials"), "utf8").match(/^password=(.*)$/m)[1];
  } catch {
    /* an application's process: no administrator here */
  }
  const server = {
    dir,
    url,
    port,
    adminPassword: password,
    log: () => output,
    async start() {
      const again = await startConcord({ dataDir: dir, args, port });
      Object.assign(server, { stop: again.stop, log: again.log });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

// The JSON API as `login` (HTTP Basic), the way scripts call it.
export { freePort };

export function apiAs(server, login, password) {
  const auth = "Basic " + Buffer.from(login + ":" + password).toString("base64");
  const call = async (method, path, body) => {
    const r = await fetch(server.url + path, {
      method,
      headers: { Authorization: auth, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return json;
  };
  return {
    get: (p) => call("GET", p),
    post: (p, b = {}) => call("POST", p, b),
    put: (p, b) => call("PUT", p, b),
    del: (p) => call("DELETE", p),
  };
}

export async function makeUser(admin, login) {
  const password = "pw-" + login + "-2026";
  await admin.post("/communities/api/users", {
    login,
    email: login + "@example.com",
    displayName: login[0].toUpperCase() + login.slice(1) + " Example",
    password,
  });
  return password;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CONCORD_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

// A page signed in through the sign-in form.
export async function signedInPage(browser, server, login, password, { width = 1280, height = 900, locale = "en-US" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale });
  const page = await context.newPage();
  page.on("pageerror", (e) => {
    throw e;
  });
  await page.goto(server.url + "/");
  await page.getByLabel(/login|benutzername|identifiant/i).fill(login);
  await page.getByLabel(/password|passwort|mot de passe/i).fill(password);
  await page.getByRole("button", { name: /sign in|anmelden|se connecter/i }).click();
  await page.getByRole("heading", { level: 1 }).first().waitFor();
  await page.waitForFunction(() => !document.querySelector("form input[type=password]"));
  return page;
}

// No horizontal scroll at the page's width.
export async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
}
