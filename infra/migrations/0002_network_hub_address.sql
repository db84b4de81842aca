-- A network's hub keeps its street address, as organisations and pickups do;
-- 0001 stored only its coordinates and dropped the address a client sent.
ALTER TABLE network
    ADD COLUMN hub_address text NOT NULL DEFAULT '' CHECK (length(hub_address) <= 500);
