//! The Cloud Manager v1.0 face (`/api/public/v1.0`, seed 004): service accounts and their
//! secrets. It is the same vendor's API as Atlas v2, so it mounts the service-account
//! handlers the two share (`crate::mongodb`) with its own rules: secrets may live up to 8766 hours, every path also
//! answers with a trailing `/`, and answers are plain `application/json`.

use crate::mongodb::{
    conventions, method_not_allowed_fallback, not_found_fallback, service_accounts,
};
use crate::state::AppState;
use axum::{Extension, Router};
use sigil_core::service_accounts::SecretLifetimeRule;

pub fn router() -> Router<AppState> {
    service_accounts::routes(true)
        .fallback(not_found_fallback)
        .method_not_allowed_fallback(method_not_allowed_fallback)
        .layer(Extension(SecretLifetimeRule::CloudManager))
        .layer(axum::middleware::from_fn(conventions::apply_unversioned))
}
