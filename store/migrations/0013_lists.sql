-- Shared curation lists: a hub's follows and blocks, announced to the
-- hubs that follow its instance actor; what a subscribed list changes
-- becomes a proposal here, applied at once or reviewed.
ALTER TABLE curated_follows ADD COLUMN list_mode TEXT NOT NULL DEFAULT 'off'; -- off | review | auto

CREATE TABLE list_proposals (
    id          {{id}},
    follow_id   BIGINT NOT NULL REFERENCES follows (id) ON DELETE CASCADE, -- our follow of the list's hub
    action      TEXT NOT NULL,   -- follow | unfollow | block | unblock
    target      TEXT NOT NULL,   -- an actor URI, or a host
    activity    TEXT NOT NULL,   -- the Add or Remove that proposed it
    state       TEXT NOT NULL DEFAULT 'pending', -- pending | applied | dismissed | failed
    note        TEXT NOT NULL DEFAULT '',
    decided_by  TEXT NOT NULL DEFAULT '',
    created_at  {{time}} NOT NULL,
    decided_at  {{time}},
    UNIQUE (follow_id, activity)
);
CREATE INDEX list_proposals_state_idx ON list_proposals (state, created_at);
