-- GET /v1/offers pages through offers oldest first (created_at, id). Without an index
-- in that order each page sorted every visible offer: 63 requests/s and a p99 of
-- 1.4 s with 60,000 offers in `make bench`. With it, a page reads its 50 rows in order.
CREATE INDEX offer_created_idx ON offer (created_at, id);
