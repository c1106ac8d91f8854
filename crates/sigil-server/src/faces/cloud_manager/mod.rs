//! The Cloud Manager v1.0 face (`/api/public/v1.0`): service accounts and their
//! secrets. It is the same vendor's API as Atlas v2, so it mounts the service-account
//! handlers the two share (`crate::mongodb`) with its own rules: secrets may live up to 8766 hours, every path also
//! answers with a trailing `/`, and answers are plain `application/json`.

use crate::mongodb::{self, conventions, service_accounts};
use crate::state::AppState;
use axum::Extension;
use sigil_core::oauth::service_accounts::SecretLifetimeRule;
use utoipa_axum::router::OpenApiRouter;

/// The face's routes, relative to `/api/public/v1.0`. Its operations are the shared
/// service-account handlers' own, under this face's tag and operation ids.
pub fn router() -> OpenApiRouter<AppState> {
    let mut routes = mongodb::with_fallbacks(service_accounts::routes(true))
        .layer(Extension(SecretLifetimeRule::CloudManager))
        .layer(axum::middleware::from_fn(conventions::apply_unversioned));
    describe(routes.get_openapi_mut());
    routes
}

/// The face's tag, an operation id of its own beside Atlas's (`createServiceAccount` ->
/// `createServiceAccountCloudManager`), and its lifetime rule in each description.
fn describe(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
            &mut item.put,
        ]
        .into_iter()
        .flatten()
        {
            op.tags = Some(vec!["cloudManagerServiceAccounts".into()]);
            op.operation_id = op
                .operation_id
                .as_ref()
                .map(|id| format!("{id}CloudManager"));
            op.description = Some(format!(
                "{} Secrets may live 8 to 8766 hours here.",
                op.description.clone().unwrap_or_default()
            ));
        }
    }
}
