-- The version every community's next change is given at least one above. After Communities is
-- restored from a backup older than the applications, they hold versions of some communities
-- that the restored database never reached; `concord recover` raises this floor above the
-- highest of them, so that a change made afterwards is newer to every application than
-- anything it holds, and only the communities that differ need a resync.
CREATE TABLE community_version_floor (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  floor BIGINT NOT NULL
);
