-- Service accounts and secrets, revocations, token-signing keys, programmatic API keys.
CREATE TABLE service_accounts (
    client_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    created_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX service_accounts_org ON service_accounts (org_id, created_at);
CREATE TABLE service_account_secrets (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES service_accounts (client_id),
    expires_at BIGINT NOT NULL,
    -- 1 once housekeeping has audited the expiry; the flag makes that happen once per secret,
    -- however many nodes run housekeeping.
    expiry_recorded BIGINT NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
);
CREATE INDEX service_account_secrets_client ON service_account_secrets (client_id);
CREATE INDEX service_account_secrets_expiry ON service_account_secrets (expiry_recorded, expires_at);
CREATE TABLE revocations (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX revocations_expiry ON revocations (expires_at);
CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, created_at BIGINT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE programmatic_api_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    public_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX programmatic_api_keys_org ON programmatic_api_keys (org_id, created_at);
-- Lets the organization's event list pick the unscoped events it shows (failed authentications).
ALTER TABLE audit_events ADD COLUMN event_type TEXT;
