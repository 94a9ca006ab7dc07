-- Several Communities nodes over one database (docs/deployment.md, "Several nodes").
--
-- Every node records itself here every few seconds: what it serves, where, which version, and
-- the maintenance state it enforces. A node not seen for a while is down.
CREATE TABLE deployment_nodes (
  node_id     TEXT PRIMARY KEY,
  url         TEXT NOT NULL,
  services    TEXT NOT NULL,
  version     TEXT NOT NULL,
  details     TEXT NOT NULL,
  started_at  BIGINT NOT NULL,
  last_seen   BIGINT NOT NULL
);

-- Which node delivers each application's lifecycle events, until when: only the holder of an
-- application's lease delivers to it, so its events leave in one order from one place. A lease
-- that is not renewed expires, and another node takes it.
CREATE TABLE delivery_leases (
  remote_app_def_id TEXT PRIMARY KEY,
  node_id           TEXT NOT NULL,
  expires_at        BIGINT NOT NULL
);

-- Settings every node of the deployment shares: the deployment's maintenance state.
CREATE TABLE deployment_settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- The scheduled fire time a node claimed for a task: a run happens once per schedule across
-- nodes (the first node to claim a fire time runs it).
ALTER TABLE scheduled_tasks ADD COLUMN claimed_fire BIGINT;
