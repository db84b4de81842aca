-- An organisation's profile: a short presentation members read in the producer
-- directory, and how precisely its place is shown to the other members of its networks
-- ('exact'; 'approximate': a point a few km off, the same each time; 'municipality':
-- no point at all, only the municipality's name). Coordinators and the organisation
-- itself always see the exact place (routes need it). A farm is often a home, so the
-- default is approximate.
ALTER TABLE organisation
    ADD COLUMN presentation text NOT NULL DEFAULT '' CHECK (length(presentation) <= 2000),
    ADD COLUMN place_precision text NOT NULL DEFAULT 'approximate'
        CHECK (place_precision IN ('exact', 'approximate', 'municipality')),
    ADD COLUMN municipality text NOT NULL DEFAULT '' CHECK (length(municipality) <= 200);
