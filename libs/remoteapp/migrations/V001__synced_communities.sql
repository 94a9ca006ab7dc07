-- Every remote application's copy of what it knows about each community it serves: the
-- synced community record. One row per community and remoteAppDefId (the Blogs service keeps
-- Blog and IdeationBlog apart). Shared by all applications (libs/remoteapp).
CREATE TABLE synced_communities (
  community_uuid         TEXT NOT NULL,
  remote_app_def_id      TEXT NOT NULL,
  widget_instance_id     TEXT,            -- NULL: known without a widget (shares)
  resource_id            TEXT,            -- the application's resource bound to the widget
  name                   TEXT NOT NULL,
  visibility             TEXT NOT NULL,
  list_when_private      INTEGER NOT NULL DEFAULT 0,
  theme                  TEXT NOT NULL DEFAULT '',
  owners_approve_content INTEGER NOT NULL DEFAULT 0,
  viewers_flag_content   INTEGER NOT NULL DEFAULT 0,
  in_trash               INTEGER NOT NULL DEFAULT 0,
  version                BIGINT NOT NULL,  -- the Communities version last applied
  applied_at             BIGINT NOT NULL,
  PRIMARY KEY (community_uuid, remote_app_def_id)
);
CREATE INDEX synced_communities_by_resource ON synced_communities (resource_id);

CREATE TABLE synced_members (
  community_uuid    TEXT NOT NULL,
  remote_app_def_id TEXT NOT NULL,
  user_id           TEXT NOT NULL,
  role              INTEGER NOT NULL,  -- 0 member, 1 owner
  PRIMARY KEY (community_uuid, remote_app_def_id, user_id)
);
CREATE INDEX synced_members_by_user ON synced_members (user_id);

-- The highest lifecycle event sequence this application has applied (for replay after a
-- restore), and when.
CREATE TABLE lifecycle_progress (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq   BIGINT NOT NULL,
  applied_at BIGINT NOT NULL
);
