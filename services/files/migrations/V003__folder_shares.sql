-- Personal folders, like personal files, are private or public and may be shared with
-- communities; a file in a shared folder is shared with it.
ALTER TABLE folders ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private';

CREATE TABLE folder_shares (
  folder_id            TEXT NOT NULL REFERENCES folders (id),
  community_uuid       TEXT NOT NULL,
  community_name       TEXT NOT NULL,
  community_visibility TEXT NOT NULL,
  shared               BIGINT NOT NULL,
  PRIMARY KEY (folder_id, community_uuid)
);
CREATE INDEX folder_shares_by_community ON folder_shares (community_uuid);
