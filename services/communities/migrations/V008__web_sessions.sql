-- Signed-in sessions of the web pages (docs/adr/0020-web-pages.md). The cookie carries a random
-- token; only its SHA-256 is kept, so that a copy of the database signs nobody in. Each
-- session has its CSRF token, which every change made with the cookie must carry. A session
-- ends when its user signs out, is disabled, or leaves it idle past `idle_until`, and at
-- `expires_at` in any case.
CREATE TABLE web_sessions (
  token_hash  TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  csrf_token  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  idle_until  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
