-- Importing a podcast from its RSS feed (curation/podimport): the episodes'
-- feed guids, the imports and their progress, and the files of downloaded
-- episodes that wait for their transcoding to end.

-- A background import of a feed into a channel. channel_id is NULL until
-- the channel is known (or after it is deleted); channel_handle is the one
-- asked for, '' to derive it from the feed. total, done, skipped and failed
-- count episodes; working_on says what runs now (downloads in progress);
-- report is a JSON array of {kind, title, reason} (failures and warnings);
-- error is why the whole import failed.
CREATE TABLE imports (
    id             {{id}},
    channel_id     BIGINT REFERENCES channels (id) ON DELETE SET NULL,
    channel_handle TEXT NOT NULL DEFAULT '',
    feed_url       TEXT NOT NULL,
    feed_title     TEXT NOT NULL DEFAULT '',
    mode           TEXT NOT NULL DEFAULT 'reference'
                   CHECK (mode IN ('reference', 'download')),
    confirm_owner  BOOLEAN NOT NULL DEFAULT FALSE,
    state          TEXT NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'done', 'failed')),
    total          INTEGER NOT NULL DEFAULT 0,
    done           INTEGER NOT NULL DEFAULT 0,
    skipped        INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    working_on     TEXT NOT NULL DEFAULT '',
    report         TEXT NOT NULL DEFAULT '',
    error          TEXT NOT NULL DEFAULT '',
    started_by     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    job_id         BIGINT NOT NULL DEFAULT 0,
    created_at     {{time}} NOT NULL,
    started_at     {{time}},
    finished_at    {{time}},
    updated_at     {{time}} NOT NULL
);
CREATE INDEX imports_feed_url_idx ON imports (feed_url, id);
CREATE INDEX imports_started_by_idx ON imports (started_by, id);
CREATE INDEX imports_channel_idx ON imports (channel_id);

-- feed_guid: the <guid> of the feed item an episode came from ('' for
-- every other item), unique per channel so that a re-import skips the
-- episodes it knows; import_id: the import that brought it.
ALTER TABLE items ADD COLUMN feed_guid TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN import_id BIGINT REFERENCES imports (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX items_feed_guid_idx ON items (channel_id, feed_guid) WHERE feed_guid <> '';
CREATE INDEX items_import_idx ON items (import_id);

-- Files of a downloaded episode (transcript, picture) waiting for its
-- transcoding: finishing a transcoding replaces an item's files but its
-- source, so these join media_files once it is done.
CREATE TABLE import_attachments (
    id          {{id}},
    item_id     BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    rendition   TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL DEFAULT 0,
    sha256      TEXT NOT NULL DEFAULT '',
    storage_key TEXT NOT NULL DEFAULT '',
    remote_url  TEXT NOT NULL DEFAULT '',
    created_at  {{time}} NOT NULL,
    UNIQUE (item_id, rendition),
    CHECK (storage_key <> '' OR remote_url <> '')
);
