//! The change log (see [`sigil_core::store::ChangeStore`]) and, on PostgreSQL, the listener
//! that wakes this node when another appends to it.

use crate::connect::{db, Backend, SqlStore};
use crate::rows::{from_doc, to_doc};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sigil_core::changes::{Change, ChangeRecord};
use sigil_core::error::{CoreError, CoreResult};
use sigil_core::store::ChangeStore;
use sqlx::postgres::PgListener;
use sqlx::{Any, Transaction};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// The channel the `change_log_notify` trigger notifies (migration 0003).
const CHANNEL: &str = "sigil_changes";
/// Pause before listening again after the connection failed.
const RELISTEN_PAUSE: Duration = Duration::from_secs(1);

/// Appends `change` inside the transaction of the change itself.
pub(crate) async fn append_change(
    tx: &mut Transaction<'_, Any>,
    change: &Change,
    at: DateTime<Utc>,
) -> CoreResult<()> {
    sqlx::query("INSERT INTO change_log (at, doc) VALUES ($1, $2)")
        .bind(at.timestamp())
        .bind(to_doc(change)?)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

#[async_trait]
impl ChangeStore for SqlStore {
    async fn changes_since(&self, since: DateTime<Utc>) -> CoreResult<Vec<ChangeRecord>> {
        let rows: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT seq, at, doc FROM change_log WHERE at >= $1 ORDER BY seq")
                .bind(since.timestamp())
                .fetch_all(&self.reader)
                .await
                .map_err(db)?;
        rows.into_iter()
            .map(|(seq, at, doc)| {
                Ok(ChangeRecord {
                    seq,
                    at: DateTime::from_timestamp(at, 0).unwrap_or_default(),
                    change: from_doc(&doc)?,
                })
            })
            .collect()
    }

    async fn prune_changes(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        let done = sqlx::query("DELETE FROM change_log WHERE at < $1")
            .bind(before.timestamp())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn subscribe_changes(&self) -> CoreResult<Option<Arc<Notify>>> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(&self.url)
            .await
            .map_err(|e| CoreError::internal(format!("cannot listen for changes: {e}")))?;
        listener.listen(CHANNEL).await.map_err(db)?;
        let wake = Arc::new(Notify::new());
        tokio::spawn(listen(listener, wake.clone(), self.closed.subscribe()));
        Ok(Some(wake))
    }
}

/// Wakes `wake` on every notification, and after the connection was lost (notifications may
/// have been missed); ends when the store closes.
async fn listen(mut listener: PgListener, wake: Arc<Notify>, mut closed: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = closed.changed() => break,
            received = listener.try_recv() => match received {
                Ok(Some(_)) => wake.notify_one(),
                // The connection dropped; the next call reconnects and listens again.
                Ok(None) => wake.notify_one(),
                Err(e) => {
                    tracing::warn!(error = %e, "listening for changes failed; retrying");
                    wake.notify_one();
                    tokio::time::sleep(RELISTEN_PAUSE).await;
                }
            },
        }
    }
    let _ = listener.unlisten_all().await;
}
