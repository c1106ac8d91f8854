//! The application state every handler receives, built once at start.

use crate::auth::Authenticator;
use sigil_core::Core;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub core: Arc<Core>,
    pub auth: Authenticator,
    /// The base of links and the issuer of Sigil's tokens, without a trailing slash.
    pub public_url: String,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(core: Arc<Core>, public_url: String, failure_burst: u32) -> Self {
        Self(Arc::new(Inner {
            auth: Authenticator::new(core.clone(), failure_burst),
            core,
            public_url,
        }))
    }
}
