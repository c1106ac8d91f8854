-- The Elasticsearch security face: roles and API keys. Invalidation lives in its columns
-- (one conditional UPDATE decides who invalidated a key); the document holds the rest.
CREATE TABLE roles (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    username TEXT NOT NULL,
    realm TEXT NOT NULL,
    creation BIGINT NOT NULL,
    expiration BIGINT,
    invalidated BIGINT NOT NULL DEFAULT 0,
    invalidation BIGINT,
    doc TEXT NOT NULL
);
CREATE INDEX api_keys_owner ON api_keys (username, realm);
CREATE INDEX api_keys_name ON api_keys (name);
CREATE INDEX api_keys_retired ON api_keys (invalidation);
CREATE INDEX api_keys_expiration ON api_keys (expiration);
