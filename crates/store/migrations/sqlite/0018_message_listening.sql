-- What the brand's listening heard in a message (its queries, the nearest geofence and its
-- distance: the decision's listening object, as JSON), for the conversation view (docs/listening.md).
ALTER TABLE messages ADD COLUMN listening TEXT;
