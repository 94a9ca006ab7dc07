-- Polls (a test application): one poll per community. A removed poll goes to the trash.
CREATE TABLE polls (
  id             TEXT PRIMARY KEY,
  community_uuid TEXT NOT NULL,
  title          TEXT NOT NULL,
  created        BIGINT NOT NULL,
  trashed_at     BIGINT
);
CREATE INDEX polls_by_community ON polls (community_uuid);
