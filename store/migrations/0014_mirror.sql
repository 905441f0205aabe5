-- Mirroring: a follow may ask for copies of its items' media, stored and
-- seeded here like local files (PeerTube's redundancy).
ALTER TABLE curated_follows ADD COLUMN mirror BOOLEAN NOT NULL DEFAULT FALSE;
