-- Media: uploads become items whose transcoding runs as a River job, and
-- personal API tokens for the JSON API.

ALTER TABLE items ADD COLUMN publish_when_ready BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE items ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN error_tail TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN job_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN source_name TEXT NOT NULL DEFAULT '';

CREATE UNIQUE INDEX media_files_storage_key_idx ON media_files (storage_key) WHERE storage_key <> '';

CREATE TABLE api_tokens (
    id           {{id}},
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    last_used_at {{time}},
    created_at   {{time}} NOT NULL
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
