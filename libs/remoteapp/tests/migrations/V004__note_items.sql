-- The test application's items (content_test.cc): items on a note, replies on an item, likes.
CREATE TABLE note_items (
  id      TEXT PRIMARY KEY,
  note_id TEXT NOT NULL REFERENCES notes (id),
  author  TEXT NOT NULL,
  title   TEXT NOT NULL,
  content TEXT NOT NULL,
  created BIGINT NOT NULL
);
CREATE TABLE note_replies (
  id      TEXT PRIMARY KEY,
  item_id TEXT NOT NULL REFERENCES note_items (id) ON DELETE CASCADE,
  author  TEXT NOT NULL,
  content TEXT NOT NULL,
  created BIGINT NOT NULL
);
CREATE TABLE note_likes (
  item_id TEXT NOT NULL REFERENCES note_items (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  PRIMARY KEY (item_id, user_id)
);
