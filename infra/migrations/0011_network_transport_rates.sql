-- A network's transport estimate, which weighs carriage against price when the
-- allocation chooses producers (docs/matching.md, "The transport estimate"): handling
-- in öre per kg, distance in öre per tonne-km of road. Integers, as all money is; the
-- defaults are the calibrated ones (services/matcher/engine/allocation/transport.py).
ALTER TABLE network
    ADD COLUMN transport_handling_ore_per_kg integer NOT NULL DEFAULT 125
        CHECK (transport_handling_ore_per_kg BETWEEN 0 AND 10000),
    ADD COLUMN transport_ore_per_tonne_km integer NOT NULL DEFAULT 9500
        CHECK (transport_ore_per_tonne_km BETWEEN 0 AND 100000);
