-- Merging two incidents: the merged one points at the incident that absorbed
-- it (and leaves lists, boards and metrics), and each timeline entry that
-- moved keeps the title of the incident it came from.

ALTER TABLE incidents ADD COLUMN merged_into TEXT;
ALTER TABLE incident_events ADD COLUMN origin TEXT;
