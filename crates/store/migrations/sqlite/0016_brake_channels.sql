-- The crisis brake for chosen channels only: their keys, comma-separated (NULL: every channel).
ALTER TABLE brake ADD COLUMN channels TEXT;
