-- The brand's interactions per platform and hour (Unix seconds / 3600), kept by the writer as it
-- records (the best time to post reads these, never the messages): every message decided for a
-- person or the bot, and the reposts and quotes of the brand's posts (`plan::is_interaction`).
-- Filled here once from the messages already stored.
CREATE TABLE interactions_hourly (
    platform TEXT   NOT NULL,
    hour     BIGINT NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (platform, hour)
);
INSERT INTO interactions_hourly (platform, hour, count)
    SELECT platform, created_ms / 3600000, COUNT(*) FROM messages
    WHERE outcome NOT IN ('ignored', 'invalid')
       OR (',' || reasons || ',') LIKE '%,echo_of_own_post,%'
    GROUP BY platform, created_ms / 3600000;
