//! [`Programmatic`]: the Atlas programmatic API keys service.

use crate::audit::kind;
use crate::directory::Directory;
use crate::error::CoreResult;
use crate::kernel::{ChangeListener, Forget, Kernel};
use async_trait::async_trait;
use std::sync::Arc;

pub struct Programmatic {
    pub(super) kernel: Arc<Kernel>,
    pub(super) directory: Arc<Directory>,
}

impl Programmatic {
    pub(crate) fn new(kernel: Arc<Kernel>, directory: Arc<Directory>) -> Self {
        Self { kernel, directory }
    }
}

#[async_trait]
impl ChangeListener for Programmatic {
    /// A key is verified from the credential caches, which every service empties on
    /// [`Forget::Credentials`]; this service holds no cache of its own.
    async fn apply(
        &self,
        event_type: &str,
        _: Option<&str>,
        _: std::time::Instant,
    ) -> CoreResult<()> {
        if matches!(event_type, kind::API_KEY_UPDATED | kind::API_KEY_DELETED) {
            self.kernel.forget(Forget::Credentials);
        }
        Ok(())
    }

    fn forget(&self, _: Forget) {}
}
