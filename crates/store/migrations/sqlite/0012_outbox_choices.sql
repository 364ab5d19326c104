-- The choices a bot's question offers (`93200 (Saint-Denis, Seine-Saint-Denis)`, one per
-- line), so that platforms with quick replies (Messenger, Instagram) send them as buttons.
ALTER TABLE outbox ADD COLUMN choices TEXT;
