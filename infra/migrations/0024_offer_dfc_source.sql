-- DFC import (docs/federation.md): where an imported offer came from. Importing the same
-- catalog again updates the offers it posted (same item, network and days) instead of
-- posting them twice, and a run's DFC orders name the offer as the producer's own
-- platform does (its dfc-b:Offer @id), so the platform can match each line to its offer.
CREATE TABLE offer_dfc_source (
    offer_id           uuid PRIMARY KEY REFERENCES offer (id) ON DELETE CASCADE,
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    -- the dfc-b:CatalogItem's @id, and the dfc-b:Offer's ('' when it had none of its own)
    item_iri           text NOT NULL CHECK (length(item_iri) BETWEEN 1 AND 2000),
    offer_iri          text NOT NULL DEFAULT '' CHECK (length(offer_iri) <= 2000),
    -- the URL the catalog was fetched from; '' when it was sent in the request
    source_url         text NOT NULL DEFAULT '' CHECK (length(source_url) <= 2000),
    imported_at        timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offer_dfc_source_item_idx ON offer_dfc_source (network_id, item_iri);
