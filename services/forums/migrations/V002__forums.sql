-- The Forums service's content. A community may own several forums; the one created for the
-- Forum widget is its resource. A deleted forum goes to the Forums trash.
CREATE TABLE forums (
  id             TEXT PRIMARY KEY,
  community_uuid TEXT NOT NULL,
  name           TEXT NOT NULL,
  created        BIGINT NOT NULL,
  trashed_at     BIGINT
);
CREATE INDEX forums_by_community ON forums (community_uuid);

CREATE TABLE topics (
  id       TEXT PRIMARY KEY,
  forum_id TEXT NOT NULL REFERENCES forums (id),
  author   TEXT NOT NULL,
  title    TEXT NOT NULL,
  content  TEXT NOT NULL,
  created  BIGINT NOT NULL
);
CREATE INDEX topics_by_forum ON topics (forum_id, id);

CREATE TABLE replies (
  id       TEXT PRIMARY KEY,
  topic_id TEXT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
  author   TEXT NOT NULL,
  content  TEXT NOT NULL,
  created  BIGINT NOT NULL
);
CREATE INDEX replies_by_topic ON replies (topic_id, created);
