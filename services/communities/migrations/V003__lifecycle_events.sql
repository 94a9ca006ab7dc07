-- Widget lifecycle events. Each change writes its events here in the same transaction.
--
-- lifecycle_events is the event log: every event Communities produced, in `seq` order, kept
-- for a configurable time (EventLogCleanup trims it).
-- event_queue holds the deliveries not yet acknowledged (the reference's LC_EVENT_REPLAY):
-- 'pending' ones the dispatcher has not tried yet, 'queued' ones that failed and wait for
-- LifecycleRetryQueuedEvents or an administrator's retry. A delivered row is deleted.
CREATE TABLE lifecycle_events (
  seq            BIGINT PRIMARY KEY,
  event_id       TEXT NOT NULL UNIQUE,
  event_type     TEXT NOT NULL,
  community_uuid TEXT NOT NULL,
  created        BIGINT NOT NULL,
  payload        TEXT NOT NULL
);
CREATE INDEX lifecycle_events_by_created ON lifecycle_events (created);
CREATE INDEX lifecycle_events_by_community ON lifecycle_events (community_uuid, seq);

CREATE TABLE event_queue (
  seq               BIGINT NOT NULL REFERENCES lifecycle_events (seq),
  remote_app_def_id TEXT NOT NULL,
  community_uuid    TEXT NOT NULL,
  event_type        TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('pending', 'queued')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT,
  last_attempt      BIGINT,
  inserted          BIGINT NOT NULL,
  PRIMARY KEY (seq, remote_app_def_id)
);
CREATE INDEX event_queue_by_app ON event_queue (remote_app_def_id, state, seq);
CREATE INDEX event_queue_by_community ON event_queue (community_uuid, remote_app_def_id, seq);
