-- The test application's content: one note per community widget (remote_app_test.cc).
CREATE TABLE notes (
  id             TEXT PRIMARY KEY,
  community_uuid TEXT,
  app            TEXT NOT NULL,
  title          TEXT NOT NULL,
  created        BIGINT NOT NULL,
  trashed_at     BIGINT,
  samples        INTEGER NOT NULL DEFAULT 0
);
