-- A deployment admin starts a network from the pages and invites its coordinator:
-- accepting founds the network's coordinating organisation, as a producer's or a
-- co-op's invitation founds theirs.
ALTER TABLE invitation DROP CONSTRAINT invitation_organisation_kind_check;
ALTER TABLE invitation ADD CONSTRAINT invitation_organisation_kind_check
    CHECK (organisation_kind IN ('producer', 'coop', 'coordinator'));
