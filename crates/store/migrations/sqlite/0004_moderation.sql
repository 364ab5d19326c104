-- The moderation queue: messages hidden by the bot or triaged toxic, newest first, found through
-- a partial index rather than by reading every conversation.
CREATE INDEX messages_moderation ON messages (seq)
    WHERE outcome = 'hidden' OR triage LIKE '%"toxic":true%';
