-- Federation settings belong to the organization created with them: look it up by column.
ALTER TABLE organizations ADD COLUMN federation_settings_id TEXT;
UPDATE organizations SET federation_settings_id = (doc::jsonb ->> 'federation_settings_id');
CREATE INDEX organizations_fs ON organizations (federation_settings_id);
-- An audit event of a change that affects several organizations (a settings-wide federation
-- change) is listed under each of them, not only under its own org_id.
CREATE TABLE audit_event_orgs (
    event_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    PRIMARY KEY (org_id, event_id)
);
