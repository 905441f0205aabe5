-- Comments: threads (root and depth), local comments, moderation (held
-- comments, watched words, blocks), and the batched inbox.

-- root_id: the top-level comment of the thread (NULL for a top-level one);
-- depth: 0 for a reply to the item. in_reply_to keeps the parent's URI.
ALTER TABLE comments ADD COLUMN root_id BIGINT REFERENCES comments (id) ON DELETE CASCADE;
ALTER TABLE comments ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN in_reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN held_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX comments_root_idx ON comments (root_id, published_at);
CREATE INDEX comments_item_state_idx ON comments (item_id, state, parent_id);

-- Actors a local comment mentions: they receive it.
CREATE TABLE comment_mentions (
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    actor_id   BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    PRIMARY KEY (comment_id, actor_id)
);

-- Words that put a comment on a channel's items on hold, one per line.
ALTER TABLE channels ADD COLUMN watched_words TEXT NOT NULL DEFAULT '';

-- Authors (actor_uri) or whole instances (domain) a channel refuses
-- comments from. Exactly one of the two is set.
CREATE TABLE channel_blocks (
    id         {{id}},
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    actor_uri  TEXT NOT NULL DEFAULT '',
    domain     TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    UNIQUE (channel_id, actor_uri, domain),
    CHECK ((actor_uri = '') <> (domain = ''))
);

-- A remote actor the whole hub refuses ('block'): its activities are
-- refused at the inbox and its comments and reactions purged.
ALTER TABLE actors ADD COLUMN policy TEXT NOT NULL DEFAULT 'none'
    CHECK (policy IN ('none', 'block'));

-- Activities an outbox row goes to when it is not for the actor's
-- followers (a comment goes to its thread): inbox URLs, one per line.
ALTER TABLE outbox_activities ADD COLUMN inboxes TEXT NOT NULL DEFAULT '';

-- The inbox is processed in batches: a drain claims pending rows until
-- claimed_until, and a failed row waits there for its retry.
ALTER TABLE inbox_activities ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox_activities ADD COLUMN claimed_until {{time}};
CREATE INDEX inbox_activities_pending_idx ON inbox_activities (state, id);
