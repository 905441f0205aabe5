-- Creator applications: people without an account ask for one and a
-- channel; curators (or the auto-approved e-mail domains) decide.
--
-- email is lower-cased; one pending application per address (the partial
-- unique index). links holds one http(s) URL per line. token_hash is the
-- SHA-256 of the applicant's private status link. decided_by names who
-- decided, for the record: a username, "command line" or
-- "auto: domain X"; decided_by_user is that curator when there is one.
-- user_id and channel_id are what approving created; password_set_at is
-- when the applicant chose a password through the status link (once).
CREATE TABLE applications (
    id              {{id}},
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    username        TEXT NOT NULL,
    channel_handle  TEXT NOT NULL,
    channel_title   TEXT NOT NULL DEFAULT '',
    channel_kind    TEXT NOT NULL CHECK (channel_kind IN ('video', 'podcast')),
    motivation      TEXT NOT NULL,
    links           TEXT NOT NULL DEFAULT '',
    token_hash      TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'approved', 'declined')),
    message         TEXT NOT NULL DEFAULT '',
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_by_user BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at      {{time}},
    user_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    channel_id      BIGINT REFERENCES channels (id) ON DELETE SET NULL,
    password_set_at {{time}},
    created_at      {{time}} NOT NULL,
    updated_at      {{time}} NOT NULL
);
CREATE UNIQUE INDEX applications_pending_email_idx ON applications (email) WHERE state = 'pending';
CREATE INDEX applications_state_idx ON applications (state, id);
CREATE INDEX applications_email_idx ON applications (email);
