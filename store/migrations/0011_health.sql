-- Federation health: why a host failed and was parked, queue depth per
-- host, and follow counts per instance.

-- last_error: what the latest failed delivery to the host got (an HTTP
-- status or a transport error); parked_reason: the failure that parked it,
-- cleared with parked_until by the next success.
ALTER TABLE instances ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN parked_reason TEXT NOT NULL DEFAULT '';

-- The host of a retry job's inbox, so that the health page counts the
-- retries waiting for each host. Rows recorded before this migration keep
-- '' (they drain within days).
ALTER TABLE delivery_jobs ADD COLUMN host TEXT NOT NULL DEFAULT '';
CREATE INDEX delivery_jobs_host_idx ON delivery_jobs (host);

-- Follow counts per instance, and blocking an instance, look up its actors.
CREATE INDEX actors_instance_idx ON actors (instance_id);
