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

/// Appends `change` inside the transaction of the change itself. The entry's time is the
/// database's (the column's default, migration 0007), never this node's clock.
pub(crate) async fn append_change(
    tx: &mut Transaction<'_, Any>,
    change: &Change,
) -> CoreResult<()> {
    sqlx::query("INSERT INTO change_log (doc) VALUES ($1)")
        .bind(to_doc(change)?)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

fn records(rows: Vec<(i64, i64, String)>) -> CoreResult<Vec<ChangeRecord>> {
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

#[async_trait]
impl ChangeStore for SqlStore {
    async fn database_now(&self) -> CoreResult<DateTime<Utc>> {
        // The same expression as the change log's default `at` (migration 0007).
        let sql = match self.backend() {
            Backend::Postgres => {
                "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)"
            }
            Backend::Sqlite => "SELECT CAST(strftime('%s', 'now') AS INTEGER)",
        };
        let (now,): (i64,) = sqlx::query_as(sql)
            .fetch_one(&self.reader)
            .await
            .map_err(db)?;
        DateTime::from_timestamp(now, 0)
            .ok_or_else(|| CoreError::internal(format!("the database's clock reads {now}")))
    }

    async fn changes_after(&self, after: i64, limit: i64) -> CoreResult<Vec<ChangeRecord>> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT seq, at, doc FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        records(rows)
    }

    async fn changes_in(&self, seqs: &[i64]) -> CoreResult<Vec<ChangeRecord>> {
        if seqs.is_empty() {
            return Ok(vec![]);
        }
        let placeholders: Vec<String> = (1..=seqs.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT seq, at, doc FROM change_log WHERE seq IN ({}) ORDER BY seq",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as(&sql);
        for seq in seqs {
            query = query.bind(*seq);
        }
        let rows: Vec<(i64, i64, String)> = query.fetch_all(&self.reader).await.map_err(db)?;
        records(rows)
    }

    async fn change_floor(&self, before: DateTime<Utc>) -> CoreResult<Option<i64>> {
        let (floor,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(seq) FROM change_log WHERE at < $1")
                .bind(before.timestamp())
                .fetch_one(&self.reader)
                .await
                .map_err(db)?;
        Ok(floor)
    }

    async fn prune_changes(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        // The newest entry older than `before` stays: it is the floor a reader that starts
        // afresh begins after (`change_floor`), so pruning never makes it read old entries
        // again or take pruned sequence numbers for missing ones.
        let done = sqlx::query(
            "DELETE FROM change_log WHERE at < $1
               AND seq < (SELECT MAX(seq) FROM change_log WHERE at < $1)",
        )
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
