-- The change log is stamped by the database's clock, never a node's: nodes read it by sequence
-- number, and prune it and bound how long they wait for a missing sequence number by this
-- stamp, so nodes whose clocks disagree still read one log. Whole seconds, rounded down.
ALTER TABLE change_log ALTER COLUMN at SET DEFAULT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT);
