// The pages' one way to the data: the same JSON APIs the console and scripts use
// (docs/http-api.md), authenticated by the session cookie, with the session's CSRF token on
// every change (docs/adr/0020-web-pages.md).

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
  accepted?: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
  }
}

export interface Session {
  user: { id: string; login: string; displayName: string; admin: boolean };
  csrfToken: string;
  expires: string;
}

let csrfToken = "";
let onSignedOut: () => void = () => {};

export function setSession(session: Session | null, signedOut: () => void) {
  csrfToken = session?.csrfToken ?? "";
  onSignedOut = signedOut;
}

async function call<T>(method: string, path: string, body?: unknown, raw?: Blob): Promise<T> {
  const headers: Record<string, string> = { "X-Requested-With": "concord-web" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (raw !== undefined) headers["Content-Type"] = "application/octet-stream";
  const reply = await fetch(path, {
    method,
    headers,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    credentials: "same-origin",
  });
  if (reply.status === 204) return undefined as T;
  const text = await reply.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!reply.ok) {
    const err: ApiErrorBody = json?.error ?? { code: "HTTP_" + reply.status, message: text };
    if (reply.status === 401) onSignedOut();
    throw new ApiError(reply.status, err);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string) => call<T>("GET", path),
  post: <T>(path: string, body: unknown = {}) => call<T>("POST", path, body),
  put: <T>(path: string, body: unknown) => call<T>("PUT", path, body),
  del: <T>(path: string) => call<T>("DELETE", path),
  upload: <T>(path: string, content: Blob) => call<T>("POST", path, undefined, content),
};

// Signs in with the login and password (HTTP Basic, once, so the server's sign-in throttle
// applies as for the API); the session cookie is set by the answer.
export async function signIn(login: string, password: string): Promise<Session> {
  const basic = btoa(String.fromCharCode(...new TextEncoder().encode(login + ":" + password)));
  const reply = await fetch("/communities/api/session", {
    method: "POST",
    headers: { Authorization: "Basic " + basic, "X-Requested-With": "concord-web" },
    credentials: "same-origin",
  });
  const json = await reply.json().catch(() => undefined);
  if (!reply.ok) {
    throw new ApiError(reply.status, json?.error ?? { code: "HTTP_" + reply.status, message: "" });
  }
  return json as Session;
}

export async function currentSession(): Promise<Session | null> {
  const reply = await fetch("/communities/api/session", {
    headers: { "X-Requested-With": "concord-web" },
    credentials: "same-origin",
  });
  if (reply.status === 401) return null;
  if (!reply.ok) throw new ApiError(reply.status, (await reply.json()).error);
  return (await reply.json()) as Session;
}

export async function signOut(): Promise<void> {
  await call<void>("DELETE", "/communities/api/session");
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}
