-- Podcast feeds: what a channel's feed says of the show, and of each
-- episode. Transcripts are media files of rendition 'transcript'.

-- podcast_guid: '' until set (an imported show keeps its own); the feed
-- then derives it from its URL. locked: podcast:locked, on by default so
-- that nobody else can import the show without its owner.
ALTER TABLE channels ADD COLUMN podcast_guid TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN feed_type TEXT NOT NULL DEFAULT 'episodic'
    CHECK (feed_type IN ('episodic', 'serial'));
ALTER TABLE channels ADD COLUMN locked BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE channels ADD COLUMN funding_url TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN funding_text TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN license TEXT NOT NULL DEFAULT '';

ALTER TABLE items ADD COLUMN season INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN episode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN episode_type TEXT NOT NULL DEFAULT 'full'
    CHECK (episode_type IN ('full', 'trailer', 'bonus'));
-- JSON chapters (Podcasting 2.0 format), '' for none.
ALTER TABLE items ADD COLUMN chapters TEXT NOT NULL DEFAULT '';
