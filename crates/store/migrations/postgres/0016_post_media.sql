-- The images of a scheduled post (docs/publishing.md), in order, kept in the store itself so
-- that a post and its images are written, backed up and replicated together. `token` names
-- the image's public address (`/media/TOKEN.EXT`), served only while its post is publishing
-- or published: Instagram fetches images from there. `link`: a post's public address when the
-- platform alone knows it (Instagram's permalink).
CREATE TABLE post_media (
    post_id      TEXT    NOT NULL,
    position     BIGINT  NOT NULL,
    content_type TEXT    NOT NULL,
    width        BIGINT  NOT NULL,
    height       BIGINT  NOT NULL,
    size         BIGINT  NOT NULL,
    alt          TEXT    NOT NULL DEFAULT '',
    token        TEXT    NOT NULL UNIQUE,
    bytes        BYTEA   NOT NULL,
    created_ms   BIGINT  NOT NULL,
    PRIMARY KEY (post_id, position)
);
ALTER TABLE posts ADD COLUMN link TEXT;
