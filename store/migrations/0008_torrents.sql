-- P2P: each stored video or audio rendition is a single-file torrent. The
-- info dictionary is kept as hashed (its infohash never changes); the
-- .torrent and the magnet link are made from it with the current tracker
-- and web-seed URLs.
CREATE TABLE torrents (
    media_file_id BIGINT PRIMARY KEY REFERENCES media_files (id) ON DELETE CASCADE,
    item_id       BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    info_hash     TEXT NOT NULL UNIQUE,
    piece_length  BIGINT NOT NULL,
    info          {{blob}} NOT NULL,
    created_at    {{time}} NOT NULL
);
CREATE INDEX torrents_item_idx ON torrents (item_id);
