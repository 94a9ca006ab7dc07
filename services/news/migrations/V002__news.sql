-- The News service's community microblogs (Status Updates): each community's board, its posts
-- and their comments. A board can be closed to new posts (as deleteMicroblogs leaves it).
CREATE TABLE boards (
  id             TEXT PRIMARY KEY,
  community_uuid TEXT NOT NULL,
  created        BIGINT NOT NULL,
  posting_open   INTEGER NOT NULL DEFAULT 1,
  trashed_at     BIGINT
);
CREATE INDEX boards_by_community ON boards (community_uuid);

CREATE TABLE posts (
  id       TEXT PRIMARY KEY,
  board_id TEXT NOT NULL REFERENCES boards (id),
  author   TEXT NOT NULL,
  content  TEXT NOT NULL,
  created  BIGINT NOT NULL
);
CREATE INDEX posts_by_board ON posts (board_id, id);

CREATE TABLE post_comments (
  id      TEXT PRIMARY KEY,
  post_id TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  author  TEXT NOT NULL,
  content TEXT NOT NULL,
  created BIGINT NOT NULL
);
CREATE INDEX post_comments_by_post ON post_comments (post_id, created);
