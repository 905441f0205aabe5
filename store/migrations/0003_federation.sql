-- Federation: actor fields ActivityPub needs, the durable inbox, the outbox
-- (activities we publish and deliver), reactions with counters, tombstones of
-- deleted objects, and per-host delivery health.

ALTER TABLE actors ADD COLUMN following_url TEXT NOT NULL DEFAULT '';
ALTER TABLE actors ADD COLUMN image_url TEXT NOT NULL DEFAULT '';
ALTER TABLE actors ADD COLUMN manually_approves BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE items ADD COLUMN like_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN share_count INTEGER NOT NULL DEFAULT 0;

-- The host part (host[:port]) of remote actors and inboxes, lower-case.
-- parked_until: a host that keeps failing is not tried before this time.
ALTER TABLE instances ADD COLUMN parked_until {{time}};
ALTER TABLE instances ADD COLUMN delivered_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN failed_count BIGINT NOT NULL DEFAULT 0;

-- Every accepted inbox POST, stored before we answer 202. activity_uri is
-- unique, so a replayed activity is refused; processing runs as a job.
CREATE TABLE inbox_activities (
    id           {{id}},
    activity_uri TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    actor_uri    TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    body         TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'done', 'ignored', 'failed')),
    note         TEXT NOT NULL DEFAULT '',
    received_at  {{time}} NOT NULL,
    processed_at {{time}}
);
CREATE INDEX inbox_activities_actor_idx ON inbox_activities (actor_uri);

-- Activities a local actor published. item_id ties Create/Update to their
-- item so that deleting it cancels their pending deliveries (job_ids lists
-- the jobs delivering them). public: listed in the actor's outbox.
CREATE TABLE outbox_activities (
    id         {{id}},
    actor_id   BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    object_uri TEXT NOT NULL DEFAULT '',
    item_id    BIGINT REFERENCES items (id) ON DELETE SET NULL,
    public     BOOLEAN NOT NULL DEFAULT TRUE,
    body       TEXT NOT NULL,
    created_at {{time}} NOT NULL
);
CREATE INDEX outbox_activities_actor_idx ON outbox_activities (actor_id, id);
CREATE INDEX outbox_activities_item_idx ON outbox_activities (item_id);

-- River jobs delivering an outbox activity (the fan-out job and per-inbox
-- retries), so they can be cancelled.
CREATE TABLE delivery_jobs (
    job_id      BIGINT PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
    inbox       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX delivery_jobs_activity_idx ON delivery_jobs (activity_id);

-- A Like or an Announce of a local item or comment by a remote actor.
CREATE TABLE reactions (
    id           {{id}},
    kind         TEXT NOT NULL CHECK (kind IN ('like', 'share')),
    actor_id     BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    object_uri   TEXT NOT NULL,
    item_id      BIGINT REFERENCES items (id) ON DELETE CASCADE,
    comment_id   BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    activity_uri TEXT NOT NULL UNIQUE,
    created_at   {{time}} NOT NULL,
    UNIQUE (kind, actor_id, object_uri)
);
CREATE INDEX reactions_object_idx ON reactions (object_uri, kind);

-- A deleted local object: its URL answers 410 with a Tombstone.
CREATE TABLE tombstones (
    uri         TEXT PRIMARY KEY,
    former_type TEXT NOT NULL,
    deleted_at  {{time}} NOT NULL
);
