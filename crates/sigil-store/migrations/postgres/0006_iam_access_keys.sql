-- IAM access keys (SDK-HMAC-SHA256): the secret key sealed with the master key in the document.
CREATE TABLE access_keys (
    access TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (user_id);
CREATE INDEX access_keys_org ON access_keys (org_id, user_id);
