-- The Libraries service (standing in for an external content manager): each community's
-- document library and its documents. A removed library goes to the Libraries trash.
CREATE TABLE libraries (
  id             TEXT PRIMARY KEY,
  community_uuid TEXT NOT NULL,
  title          TEXT NOT NULL,
  created        BIGINT NOT NULL,
  trashed_at     BIGINT
);
CREATE INDEX libraries_by_community ON libraries (community_uuid);

CREATE TABLE documents (
  id         TEXT PRIMARY KEY,
  library_id TEXT NOT NULL REFERENCES libraries (id),
  title      TEXT NOT NULL,
  content    TEXT NOT NULL,
  author     TEXT NOT NULL,
  created    BIGINT NOT NULL
);
CREATE INDEX documents_by_library ON documents (library_id, id);
