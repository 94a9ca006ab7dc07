-- The Communities service's database: the user directory, communities, memberships, widgets.
-- Timestamps are milliseconds since the epoch (UTC). Booleans are 0/1 integers.

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  login         TEXT NOT NULL,
  login_key     TEXT NOT NULL UNIQUE,   -- lower-cased login: logins are case-insensitive
  email         TEXT NOT NULL,
  email_key     TEXT NOT NULL UNIQUE,   -- lower-cased email
  display_name  TEXT NOT NULL,
  password_hash TEXT,                   -- Argon2id; NULL: cannot log in
  is_admin      INTEGER NOT NULL DEFAULT 0,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created       BIGINT NOT NULL
);

CREATE TABLE communities (
  uuid                    TEXT PRIMARY KEY,
  name                    TEXT NOT NULL,
  handle                  TEXT UNIQUE,
  description             TEXT NOT NULL DEFAULT '',
  tags                    TEXT NOT NULL DEFAULT '',  -- newline-separated, normalized
  visibility              TEXT NOT NULL CHECK (visibility IN ('public', 'publicInviteOnly', 'private')),
  list_when_private       INTEGER NOT NULL DEFAULT 0,
  theme                   TEXT NOT NULL DEFAULT 'default',
  owners_approve_content  INTEGER NOT NULL DEFAULT 0,
  viewers_flag_content    INTEGER NOT NULL DEFAULT 0,
  parent_uuid             TEXT REFERENCES communities (uuid),
  created                 BIGINT NOT NULL,
  created_by              TEXT NOT NULL,
  last_mod                BIGINT NOT NULL,
  last_mod_by             TEXT NOT NULL,
  version                 BIGINT NOT NULL DEFAULT 1,
  member_count            BIGINT NOT NULL DEFAULT 0,
  trashed_at              BIGINT,
  trashed_by              TEXT,
  visibility_before_trash TEXT,
  trashed_with_parent     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX communities_by_name ON communities (name);
CREATE INDEX communities_by_parent ON communities (parent_uuid);
CREATE INDEX communities_by_trashed_at ON communities (trashed_at);

CREATE TABLE members (
  community_uuid TEXT NOT NULL REFERENCES communities (uuid) ON DELETE CASCADE,
  user_id        TEXT NOT NULL REFERENCES users (id),
  role           INTEGER NOT NULL CHECK (role IN (0, 1)),  -- 0 member, 1 owner (as in wsadmin)
  added          BIGINT NOT NULL,
  PRIMARY KEY (community_uuid, user_id)
);
CREATE INDEX members_by_user ON members (user_id, community_uuid);

CREATE TABLE widgets (
  instance_id        TEXT PRIMARY KEY,
  community_uuid     TEXT NOT NULL REFERENCES communities (uuid) ON DELETE CASCADE,
  widget_def_id      TEXT NOT NULL,
  remote_resource_id TEXT,              -- the remote application's resource, once it exists
  ui_location        TEXT NOT NULL,
  created            BIGINT NOT NULL,
  UNIQUE (community_uuid, widget_def_id)
);
