-- The change log is stamped by the database's clock, never a node's: nodes read it by sequence
-- number, and prune it and bound how long they wait for a missing sequence number by this
-- stamp. SQLite cannot change a column's default, so the table is rebuilt; its AUTOINCREMENT
-- counter is carried over, so a sequence number a reader has passed is never handed out again.
CREATE TABLE change_log_new (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    doc TEXT NOT NULL
);
INSERT INTO change_log_new (seq, at, doc) SELECT seq, at, doc FROM change_log;
DELETE FROM sqlite_sequence WHERE name = 'change_log_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'change_log_new', seq FROM sqlite_sequence WHERE name = 'change_log';
DROP TABLE change_log;
ALTER TABLE change_log_new RENAME TO change_log;
CREATE INDEX change_log_at ON change_log (at);
