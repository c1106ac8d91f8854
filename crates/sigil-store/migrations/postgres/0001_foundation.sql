-- Organizations, federation, local users and the audit trail.
-- Columns hold what is looked up or kept unique; `doc` holds the rest of the resource as JSON.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE federation_settings (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE connected_org_configs (
    org_id TEXT PRIMARY KEY REFERENCES organizations (id),
    federation_settings_id TEXT NOT NULL REFERENCES federation_settings (id),
    doc TEXT NOT NULL
);
CREATE INDEX connected_org_configs_fs ON connected_org_configs (federation_settings_id);
CREATE TABLE role_mappings (
    id TEXT PRIMARY KEY,
    federation_settings_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    external_group_name TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (org_id, external_group_name)
);
CREATE TABLE identity_providers (
    id TEXT PRIMARY KEY,
    federation_settings_id TEXT NOT NULL REFERENCES federation_settings (id),
    created_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX identity_providers_fs ON identity_providers (federation_settings_id);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL,
    username TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (realm, username)
);
CREATE TABLE audit_events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT,
    created BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, seq);
