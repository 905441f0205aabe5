-- Curation: the hub's follows of remote actors with their settings, the
-- review of what they bring, and remote files' P2P links.

-- Settings of a follow made by the hub (follower: the instance actor).
CREATE TABLE curated_follows (
    follow_id       BIGINT PRIMARY KEY REFERENCES follows (id) ON DELETE CASCADE,
    target          TEXT NOT NULL,                  -- as the curator gave it
    review          BOOLEAN NOT NULL DEFAULT TRUE,  -- items wait for a curator; false: accepted at once
    languages       TEXT NOT NULL DEFAULT '',       -- comma-separated; '': any
    tags            TEXT NOT NULL DEFAULT '',       -- comma-separated; '': any
    allow_sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    min_duration_ms BIGINT NOT NULL DEFAULT 0,
    created_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at      {{time}} NOT NULL
);

-- Local items are accepted; remote ones come in pending or accepted,
-- and only accepted ones are listed.
ALTER TABLE items ADD COLUMN review_state TEXT NOT NULL DEFAULT 'accepted';
ALTER TABLE items ADD COLUMN via_actor_id BIGINT REFERENCES actors (id) ON DELETE SET NULL;
CREATE INDEX items_review_idx ON items (review_state, created_at);

CREATE TABLE review_decisions (
    id         {{id}},
    item_id    BIGINT REFERENCES items (id) ON DELETE SET NULL,
    item_uri   TEXT NOT NULL,
    title      TEXT NOT NULL,
    decision   TEXT NOT NULL,                       -- accepted | rejected
    user_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_by TEXT NOT NULL,                       -- username, or "auto: …"
    decided_at {{time}} NOT NULL
);
CREATE INDEX review_decisions_item_idx ON review_decisions (item_id);

ALTER TABLE media_files ADD COLUMN torrent_url TEXT NOT NULL DEFAULT '';
ALTER TABLE media_files ADD COLUMN magnet_uri TEXT NOT NULL DEFAULT '';
