-- Which of the brand's accounts a conversation belongs to (`PLATFORM:ID`, the channel it was
-- addressed to): the inbox filters by it, teams may be limited to some channels, and the outbox
-- answers through that account. Conversations stored before this are NULL until `serve` fills
-- them for platforms that have a single channel.
ALTER TABLE conversations ADD COLUMN channel TEXT;

-- The channels a team works on, comma-separated keys; empty: every channel.
ALTER TABLE teams ADD COLUMN channels TEXT NOT NULL DEFAULT '';
