-- A channel's feed checks its version on every request: the latest change
-- and the count of its published items come from this index.
CREATE INDEX items_channel_state_updated_idx ON items (channel_id, state, updated_at);
