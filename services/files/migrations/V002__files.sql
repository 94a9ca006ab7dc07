-- The Files service's metadata; file content is on disk under <data-dir>/files-content, named by
-- file id, with its SHA-256 here. A community library belongs to a community (the Files widget's
-- resource); a personal library to a user. Personal files may be shared with communities; a
-- share records the community's name and visibility as last known
-- (FilesDataIntegrityService.syncAllCommunityShares repairs them).
CREATE TABLE file_libraries (
  id             TEXT PRIMARY KEY,
  community_uuid TEXT,
  owner          TEXT,
  title          TEXT NOT NULL,
  created        BIGINT NOT NULL,
  trashed_at     BIGINT,
  CHECK ((community_uuid IS NULL) <> (owner IS NULL))
);
CREATE INDEX file_libraries_by_community ON file_libraries (community_uuid);
CREATE UNIQUE INDEX file_libraries_by_owner ON file_libraries (owner);

CREATE TABLE folders (
  id         TEXT PRIMARY KEY,
  library_id TEXT NOT NULL REFERENCES file_libraries (id),
  parent_id  TEXT REFERENCES folders (id),
  name       TEXT NOT NULL,
  created    BIGINT NOT NULL
);

CREATE TABLE files (
  id         TEXT PRIMARY KEY,
  library_id TEXT NOT NULL REFERENCES file_libraries (id),
  folder_id  TEXT REFERENCES folders (id),
  name       TEXT NOT NULL,
  owner      TEXT NOT NULL,
  visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
  size       BIGINT NOT NULL,
  sha256     TEXT NOT NULL,
  created    BIGINT NOT NULL,
  trashed_at BIGINT
);
CREATE INDEX files_by_library ON files (library_id, id);

CREATE TABLE file_shares (
  file_id              TEXT NOT NULL REFERENCES files (id),
  community_uuid       TEXT NOT NULL,
  community_name       TEXT NOT NULL,
  community_visibility TEXT NOT NULL,
  shared               BIGINT NOT NULL,
  PRIMARY KEY (file_id, community_uuid)
);
CREATE INDEX file_shares_by_community ON file_shares (community_uuid);
