-- Core schema: accounts, actors (local and remote), channels, items, media,
-- follows and comments. A remote item is the same row as a local one, with an
-- origin; a remote channel is a channel whose actor has a domain.
--
-- Macros, expanded per engine by store/migrate.go:
--   {{id}}    an auto-increment BIGINT primary key
--   {{time}}  a timestamp with time zone (always written in UTC by the store)

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A remote server we know of. The local instance is never a row here.
CREATE TABLE instances (
    id              {{id}},
    domain          TEXT NOT NULL UNIQUE,
    software        TEXT NOT NULL DEFAULT '',
    version         TEXT NOT NULL DEFAULT '',
    policy          TEXT NOT NULL DEFAULT 'none'
                    CHECK (policy IN ('none', 'allow', 'block', 'mute', 'limit')),
    shared_inbox    TEXT NOT NULL DEFAULT '',
    failure_count   INTEGER NOT NULL DEFAULT 0,
    last_success_at {{time}},
    last_failure_at {{time}},
    created_at      {{time}} NOT NULL,
    updated_at      {{time}} NOT NULL
);

-- Every ActivityPub actor, local or remote. Local actors have domain '' and
-- their URIs are derived from the public URL; remote actors carry their URIs.
-- Users and channels share one namespace of handles, as WebFinger requires.
CREATE TABLE actors (
    id               {{id}},
    kind             TEXT NOT NULL
                     CHECK (kind IN ('Person', 'Group', 'Application', 'Service', 'Organization')),
    username         TEXT NOT NULL,
    domain           TEXT NOT NULL DEFAULT '',
    instance_id      BIGINT REFERENCES instances (id) ON DELETE CASCADE,
    uri              TEXT UNIQUE,
    url              TEXT NOT NULL DEFAULT '',
    display_name     TEXT NOT NULL DEFAULT '',
    summary          TEXT NOT NULL DEFAULT '',
    inbox_url        TEXT NOT NULL DEFAULT '',
    outbox_url       TEXT NOT NULL DEFAULT '',
    followers_url    TEXT NOT NULL DEFAULT '',
    shared_inbox_url TEXT NOT NULL DEFAULT '',
    icon_url         TEXT NOT NULL DEFAULT '',
    key_id           TEXT NOT NULL DEFAULT '',
    public_key_pem   TEXT NOT NULL DEFAULT '',
    private_key_pem  TEXT NOT NULL DEFAULT '',
    fetched_at       {{time}},
    created_at       {{time}} NOT NULL,
    updated_at       {{time}} NOT NULL,
    UNIQUE (domain, username),
    CHECK (username = lower(username) OR domain <> ''),
    CHECK ((domain = '') = (uri IS NULL))
);

CREATE TABLE users (
    id            {{id}},
    actor_id      BIGINT NOT NULL UNIQUE REFERENCES actors (id) ON DELETE CASCADE,
    username      TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'curator', 'creator')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at {{time}},
    created_at    {{time}} NOT NULL,
    updated_at    {{time}} NOT NULL
);

CREATE TABLE sessions (
    id           {{id}},
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   {{time}} NOT NULL,
    expires_at   {{time}} NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- A channel is a Group actor. owner_id is NULL for remote channels.
CREATE TABLE channels (
    id              {{id}},
    actor_id        BIGINT NOT NULL UNIQUE REFERENCES actors (id) ON DELETE CASCADE,
    owner_id        BIGINT REFERENCES users (id) ON DELETE RESTRICT,
    kind            TEXT NOT NULL CHECK (kind IN ('video', 'podcast')),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL DEFAULT '',
    explicit        BOOLEAN NOT NULL DEFAULT FALSE,
    avatar_key      TEXT NOT NULL DEFAULT '',
    banner_key      TEXT NOT NULL DEFAULT '',
    comments_policy TEXT NOT NULL DEFAULT 'open'
                    CHECK (comments_policy IN ('open', 'approval', 'closed')),
    created_at      {{time}} NOT NULL,
    updated_at      {{time}} NOT NULL
);
CREATE INDEX channels_owner_idx ON channels (owner_id);

-- A video or an episode. origin_uri is NULL for local items and the
-- ActivityPub id for remote ones.
CREATE TABLE items (
    id              {{id}},
    public_id       TEXT NOT NULL UNIQUE,
    channel_id      BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('video', 'episode')),
    state           TEXT NOT NULL DEFAULT 'draft'
                    CHECK (state IN ('draft', 'processing', 'published', 'failed')),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT '',
    licence         TEXT NOT NULL DEFAULT '',
    sensitive       BOOLEAN NOT NULL DEFAULT FALSE,
    duration_ms     BIGINT NOT NULL DEFAULT 0,
    comments_policy TEXT NOT NULL DEFAULT 'inherit'
                    CHECK (comments_policy IN ('inherit', 'open', 'approval', 'closed')),
    origin_uri      TEXT UNIQUE,
    origin_url      TEXT NOT NULL DEFAULT '',
    published_at    {{time}},
    created_at      {{time}} NOT NULL,
    updated_at      {{time}} NOT NULL
);
CREATE INDEX items_channel_published_idx ON items (channel_id, published_at);
CREATE INDEX items_state_published_idx ON items (state, published_at);

CREATE TABLE item_tags (
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (item_id, tag)
);
CREATE INDEX item_tags_tag_idx ON item_tags (tag);

-- One stored or remote file of an item: the source, a rendition, a picture.
-- Local files have a storage_key; remote ones a remote_url.
CREATE TABLE media_files (
    id          {{id}},
    item_id     BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    rendition   TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL DEFAULT 0,
    sha256      TEXT NOT NULL DEFAULT '',
    storage_key TEXT NOT NULL DEFAULT '',
    remote_url  TEXT NOT NULL DEFAULT '',
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    fps         INTEGER NOT NULL DEFAULT 0,
    bitrate     BIGINT NOT NULL DEFAULT 0,
    created_at  {{time}} NOT NULL,
    UNIQUE (item_id, rendition),
    CHECK (storage_key <> '' OR remote_url <> '')
);

-- follower follows target; either side may be local or remote.
CREATE TABLE follows (
    id                {{id}},
    follower_actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    target_actor_id   BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state             TEXT NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'accepted', 'rejected')),
    activity_uri      TEXT NOT NULL DEFAULT '',
    created_at        {{time}} NOT NULL,
    updated_at        {{time}} NOT NULL,
    UNIQUE (follower_actor_id, target_actor_id)
);
CREATE INDEX follows_target_idx ON follows (target_actor_id, state);

-- Threads: parent_id is NULL for a reply to the item itself.
CREATE TABLE comments (
    id              {{id}},
    item_id         BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    parent_id       BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    author_actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    uri             TEXT UNIQUE,
    url             TEXT NOT NULL DEFAULT '',
    content_html    TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    sensitive       BOOLEAN NOT NULL DEFAULT FALSE,
    state           TEXT NOT NULL DEFAULT 'visible'
                    CHECK (state IN ('visible', 'held', 'deleted')),
    like_count      INTEGER NOT NULL DEFAULT 0,
    share_count     INTEGER NOT NULL DEFAULT 0,
    published_at    {{time}} NOT NULL,
    created_at      {{time}} NOT NULL,
    updated_at      {{time}} NOT NULL
);
CREATE INDEX comments_item_idx ON comments (item_id, published_at);
CREATE INDEX comments_parent_idx ON comments (parent_id);
CREATE INDEX comments_author_idx ON comments (author_actor_id);

-- The diagnostic job ("archipel jobs probe") records its runs here.
CREATE TABLE job_probes (
    id           {{id}},
    token        TEXT NOT NULL UNIQUE,
    attempts     INTEGER NOT NULL DEFAULT 0,
    completed_at {{time}}
);
