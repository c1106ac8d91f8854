-- The IAM face names identity providers: a name is unique within its federation settings.
ALTER TABLE identity_providers ADD COLUMN iam_name TEXT;
CREATE UNIQUE INDEX identity_providers_iam_name ON identity_providers (federation_settings_id, iam_name);
