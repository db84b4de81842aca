-- A coordinator retires a product from the network's catalogue instead of deleting it:
-- offers and demand lines that already name it keep it (and runs that bought it keep
-- their history), but the catalogue members choose from no longer shows it, and its
-- name is free for a new product.
ALTER TABLE product ADD COLUMN retired_at timestamptz;

DROP INDEX product_name_key;
CREATE UNIQUE INDEX product_name_key ON product (network_id, lower(name)) WHERE retired_at IS NULL;
