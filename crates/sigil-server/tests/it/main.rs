//! Integration tests: the real server on an ephemeral port, spoken to over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api_keys;
mod atlas_conventions;
mod atlas_events;
mod atlas_federation;
mod atlas_identity_providers;
mod atlas_limits;
mod atlas_orgs;
mod atlas_role_mappings;
mod atlas_support;
mod auth;
mod auth_properties;
mod authz;
mod bearer;
mod clients;
mod clock_skew;
mod cloud_manager;
mod credentials_support;
mod es_api_keys;
mod es_security;
mod es_support;
mod escalations;
mod expiry;
mod federation_oidc_provider;
mod federation_revoke;
mod federation_support;
mod federation_tokens;
mod hostile_input;
mod housekeeping;
mod iam_access_keys;
mod iam_login;
mod iam_oidc_config;
mod iam_providers;
mod iam_support;
mod iam_tokens;
mod master_key_rotation;
mod multi_node;
mod oauth;
mod openapi;
mod restart;
mod revocation;
mod schemathesis;
mod server_limits;
mod service_accounts;
mod smoke;
