-- The applications each logged event was addressed to (the delivery rows it was queued with,
-- which go once delivered), as space-separated remoteAppDefIds: what an administrator compares
-- with what each application applied (GET <service>/api/admin/applied/...). NULL for events
-- logged before Concord recorded it.
ALTER TABLE lifecycle_events ADD COLUMN recipients TEXT;
