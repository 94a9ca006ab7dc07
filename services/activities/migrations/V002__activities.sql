-- The Activities service's content. A community activity belongs to a community (one community
-- may own several; the widget's own is its resource). A personal activity belongs to a user and
-- may have users and communities as members; for a community member the activity records the
-- community's name and visibility as last known (AccessControlService.syncAllCommunityShares
-- repairs them). A deleted activity goes to the Activities trash.
CREATE TABLE activities (
  id             TEXT PRIMARY KEY,
  community_uuid TEXT,            -- set for a community activity
  owner          TEXT,            -- set for a personal activity
  title          TEXT NOT NULL,
  created        BIGINT NOT NULL,
  trashed_at     BIGINT,
  CHECK ((community_uuid IS NULL) <> (owner IS NULL))
);
CREATE INDEX activities_by_community ON activities (community_uuid);

CREATE TABLE activity_members (
  activity_id        TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
  member_type        TEXT NOT NULL CHECK (member_type IN ('user', 'community')),
  member_id          TEXT NOT NULL,
  community_name     TEXT,          -- for a community member: as last known
  community_visibility TEXT,
  PRIMARY KEY (activity_id, member_type, member_id)
);
CREATE INDEX activity_members_by_member ON activity_members (member_type, member_id);

CREATE TABLE activity_entries (
  id          TEXT PRIMARY KEY,
  activity_id TEXT NOT NULL REFERENCES activities (id),
  kind        TEXT NOT NULL CHECK (kind IN ('entry', 'todo')),
  author      TEXT NOT NULL,
  title       TEXT NOT NULL,
  content     TEXT NOT NULL,
  done        INTEGER NOT NULL DEFAULT 0,
  created     BIGINT NOT NULL
);
CREATE INDEX activity_entries_by_activity ON activity_entries (activity_id, id);
