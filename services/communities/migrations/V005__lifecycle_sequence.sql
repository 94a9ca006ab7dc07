-- The highest lifecycle event seq ever assigned, beyond what the log still holds: trimming the
-- log, or restoring Communities from a backup older than an application (the runbook advances
-- it past every application's last applied seq), never makes a seq come round twice.
CREATE TABLE lifecycle_sequence (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  floor BIGINT NOT NULL
);
