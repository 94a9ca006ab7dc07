-- Every lifecycle event the application applied, once per remoteAppDefId and seq, written in the
-- transaction that applied it. A second delivery of the same event (Communities did not hear the
-- first answer: it was killed, or timed out) finds its row and changes nothing: each event is
-- applied exactly once. `deliveries` counts how often it arrived. Events without a seq
-- (`concord populate`'s) are not recorded. Rows older than [lifecycle] event_log_retention_days
-- are trimmed (RemoteApplication::TrimAppliedEvents), as Communities trims its event log.
--
-- Not a numbered migration: each application's own sequence includes it (`-- @include`), at the
-- version that is next there.
CREATE TABLE applied_events (
  remote_app_def_id TEXT NOT NULL,
  seq               BIGINT NOT NULL,
  event_id          TEXT NOT NULL,
  event_type        TEXT NOT NULL,
  community_uuid    TEXT NOT NULL,
  changed           INTEGER NOT NULL,  -- 1 if it changed the synced record or a resource
  deliveries        INTEGER NOT NULL DEFAULT 1,
  applied_at        BIGINT NOT NULL,
  PRIMARY KEY (remote_app_def_id, seq)
);
CREATE INDEX applied_events_by_time ON applied_events (applied_at);
