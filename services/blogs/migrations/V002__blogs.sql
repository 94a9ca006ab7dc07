-- The Blogs service's content: blogs (type Blog or IdeationBlog), entries (ideas, in an
-- ideation blog), comments, and votes on ideas. A removed blog goes to the Blogs trash.
CREATE TABLE blogs (
  id                TEXT PRIMARY KEY,
  remote_app_def_id TEXT NOT NULL CHECK (remote_app_def_id IN ('Blog', 'IdeationBlog')),
  community_uuid    TEXT NOT NULL,
  title             TEXT NOT NULL,
  created           BIGINT NOT NULL,
  trashed_at        BIGINT
);
CREATE INDEX blogs_by_community ON blogs (community_uuid);

CREATE TABLE entries (
  id       TEXT PRIMARY KEY,
  blog_id  TEXT NOT NULL REFERENCES blogs (id),
  author   TEXT NOT NULL,
  title    TEXT NOT NULL,
  content  TEXT NOT NULL,
  created  BIGINT NOT NULL
);
CREATE INDEX entries_by_blog ON entries (blog_id, created);

CREATE TABLE comments (
  id       TEXT PRIMARY KEY,
  entry_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
  author   TEXT NOT NULL,
  content  TEXT NOT NULL,
  created  BIGINT NOT NULL
);
CREATE INDEX comments_by_entry ON comments (entry_id, created);

CREATE TABLE votes (
  entry_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
  user_id  TEXT NOT NULL,
  created  BIGINT NOT NULL,
  PRIMARY KEY (entry_id, user_id)
);
