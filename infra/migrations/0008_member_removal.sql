-- Removing an organisation from a network withdraws its offers' listings there. The
-- rows stay (published runs' route sheets and labels still read them); matching and
-- the offer lists read only listings with no `withdrawn_at`, of current members.
ALTER TABLE offer_listing ADD COLUMN withdrawn_at timestamptz;

-- Listings left behind by removals made before this migration.
UPDATE offer_listing l SET withdrawn_at = now()
FROM offer o
WHERE o.id = l.offer_id
  AND NOT EXISTS (SELECT 1 FROM membership m
                  WHERE m.network_id = l.network_id AND m.organisation_id = o.producer_id);

-- An offer listed nowhere any more is withdrawn, as a removal withdraws it from now on.
UPDATE offer o SET withdrawn_at = now(), version = o.version + 1, updated_at = now()
WHERE o.withdrawn_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM offer_listing l
                  WHERE l.offer_id = o.id AND l.withdrawn_at IS NULL);
