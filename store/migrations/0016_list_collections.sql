-- Collections travel in shared lists: a hub announces what it adds to and
-- removes from its collections; a subscribing hub that applies such a
-- proposal keeps a copy of the collection, tied to its source.
ALTER TABLE collections ADD COLUMN source_uri TEXT NOT NULL DEFAULT ''; -- the other hub's collection this copies ('' : our own)
ALTER TABLE list_proposals ADD COLUMN collection TEXT NOT NULL DEFAULT ''; -- collect | uncollect: the other hub's collection

-- Channels to discover: local or remote channels curators put on the
-- home page, in their order, each with an optional note.
CREATE TABLE home_channels (
    actor_id    BIGINT PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    added_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    added_at    {{time}} NOT NULL
);
CREATE INDEX home_channels_order_idx ON home_channels (position);
