-- When the run review warns that a co-op's transport share is large against the value
-- of its goods: the share over the goods, in per mille (300: 30 %). Shown only; it
-- changes no allocation, route or share (docs/routing.md, "The review's warning").
ALTER TABLE network
    ADD COLUMN transport_warning_permille integer NOT NULL DEFAULT 300
        CHECK (transport_warning_permille BETWEEN 0 AND 10000);
