-- Curators' actions on single remote actors besides blocking (which is
-- actors.policy): mute keeps their items out of listings; limit does too
-- and sends their items to review.
ALTER TABLE actors ADD COLUMN listing TEXT NOT NULL DEFAULT 'none';
