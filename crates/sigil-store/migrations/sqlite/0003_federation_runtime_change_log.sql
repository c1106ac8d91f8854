-- Federation at runtime: providers found by issuer (one per issuer and audience), and the log
-- of changes every node applies to its caches.
ALTER TABLE identity_providers ADD COLUMN issuer_uri TEXT;
ALTER TABLE identity_providers ADD COLUMN audience TEXT;
UPDATE identity_providers SET issuer_uri = json_extract(doc, '$.issuer_uri'), audience = json_extract(doc, '$.audience');
CREATE UNIQUE INDEX identity_providers_issuer_audience ON identity_providers (issuer_uri, audience);
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX change_log_at ON change_log (at);
