-- The Wikis service's content: each community's wiki library, its pages, and every version of
-- every page. A removed wiki goes to the Wikis trash.
CREATE TABLE wikis (
  id             TEXT PRIMARY KEY,
  community_uuid TEXT NOT NULL,
  title          TEXT NOT NULL,
  created        BIGINT NOT NULL,
  trashed_at     BIGINT
);
CREATE INDEX wikis_by_community ON wikis (community_uuid);

CREATE TABLE pages (
  id      TEXT PRIMARY KEY,
  wiki_id TEXT NOT NULL REFERENCES wikis (id),
  title   TEXT NOT NULL,
  author  TEXT NOT NULL,
  created BIGINT NOT NULL,
  UNIQUE (wiki_id, title)
);

CREATE TABLE page_versions (
  page_id TEXT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  author  TEXT NOT NULL,
  content TEXT NOT NULL,
  created BIGINT NOT NULL,
  PRIMARY KEY (page_id, version)
);
