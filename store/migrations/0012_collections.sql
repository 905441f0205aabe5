-- Collections: curated, ordered lists of local and remote items, each
-- entry with an optional curator's note.
CREATE TABLE collections (
    id          {{id}},
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    featured    BOOLEAN NOT NULL DEFAULT FALSE,
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  {{time}} NOT NULL,
    updated_at  {{time}} NOT NULL
);

CREATE TABLE collection_items (
    collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    item_id       BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    added_at      {{time}} NOT NULL,
    PRIMARY KEY (collection_id, item_id)
);
CREATE INDEX collection_items_order_idx ON collection_items (collection_id, position);
