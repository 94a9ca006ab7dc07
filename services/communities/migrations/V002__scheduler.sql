-- The Communities scheduler's tasks (LifecycleRetryQueuedEvents, EventLogCleanup, fullDelete):
-- whether each is suspended survives restarts, and the last run is kept for getTaskDetails.
CREATE TABLE scheduled_tasks (
  name          TEXT PRIMARY KEY,
  suspended     INTEGER NOT NULL DEFAULT 0,
  last_started  BIGINT,
  last_finished BIGINT,
  last_result   TEXT
);
