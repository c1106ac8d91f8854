-- Federation at runtime: providers found by issuer (one per issuer and audience), and the log
-- of changes every node applies to its caches. Each new entry wakes every listening node.
ALTER TABLE identity_providers ADD COLUMN issuer_uri TEXT, ADD COLUMN audience TEXT;
UPDATE identity_providers SET issuer_uri = doc::json->>'issuer_uri', audience = doc::json->>'audience';
CREATE UNIQUE INDEX identity_providers_issuer_audience ON identity_providers (issuer_uri, audience);
CREATE TABLE change_log (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX change_log_at ON change_log (at);
CREATE FUNCTION sigil_change_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('sigil_changes', NEW.seq::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER change_log_notify AFTER INSERT ON change_log
    FOR EACH ROW EXECUTE FUNCTION sigil_change_notify();
