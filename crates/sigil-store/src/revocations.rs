//! Revocations and Sigil's token-signing keys.

use crate::audit::insert_event;
use crate::changes::append_change;
use crate::connect::{db, SqlStore};
use crate::rows::{from_docs, to_doc};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sigil_core::audit::AuditEvent;
use sigil_core::changes::Change;
use sigil_core::error::{CoreError, CoreResult};
use sigil_core::oauth::StoredSigningKey;
use sigil_core::revocation::{Revocation, RevocationKind};
use sigil_core::store::TokenStore;
use sqlx::{Any, Transaction};

/// Records a revocation; a later one of the same key moves its cutoff and expiry forward.
pub(crate) async fn insert_revocation(
    tx: &mut Transaction<'_, Any>,
    r: &Revocation,
) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO revocations (kind, key, revoked_at, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (kind, key) DO UPDATE SET
           revoked_at = CASE WHEN excluded.revoked_at > revocations.revoked_at THEN excluded.revoked_at ELSE revocations.revoked_at END,
           expires_at = CASE WHEN excluded.expires_at > revocations.expires_at THEN excluded.expires_at ELSE revocations.expires_at END",
    )
    .bind(r.kind.as_str())
    .bind(&r.key)
    .bind(r.revoked_at.timestamp())
    .bind(r.expires_at.timestamp())
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    append_change(tx, &Change::Revoked(r.clone())).await
}

fn kind_of(text: &str) -> CoreResult<RevocationKind> {
    [
        RevocationKind::Token,
        RevocationKind::Secret,
        RevocationKind::ServiceAccount,
        RevocationKind::IdentityProvider,
    ]
    .into_iter()
    .find(|k| k.as_str() == text)
    .ok_or_else(|| CoreError::internal(format!("unknown revocation kind {text:?}")))
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_revocation(
        &self,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        insert_revocation(&mut tx, revocation).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn list_revocations(&self, now: DateTime<Utc>) -> CoreResult<Vec<Revocation>> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT kind, key, revoked_at, expires_at FROM revocations WHERE expires_at > $1",
        )
        .bind(now.timestamp())
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|(kind, key, revoked_at, expires_at)| {
                Ok(Revocation {
                    kind: kind_of(&kind)?,
                    key,
                    revoked_at: time(revoked_at),
                    expires_at: time(expires_at),
                })
            })
            .collect()
    }

    async fn prune_revocations(&self, now: DateTime<Utc>) -> CoreResult<u64> {
        let done = sqlx::query("DELETE FROM revocations WHERE expires_at <= $1")
            .bind(now.timestamp())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn list_signing_keys(&self) -> CoreResult<Vec<StoredSigningKey>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT doc FROM signing_keys ORDER BY created_at DESC, kid")
                .fetch_all(&self.reader)
                .await
                .map_err(db)?;
        from_docs(rows)
    }

    async fn insert_signing_key(&self, key: &StoredSigningKey) -> CoreResult<()> {
        sqlx::query("INSERT INTO signing_keys (kid, created_at, doc) VALUES ($1, $2, $3)")
            .bind(&key.kid)
            .bind(key.created_at.timestamp())
            .bind(to_doc(key)?)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_signing_key(&self, kid: &str) -> CoreResult<()> {
        sqlx::query("DELETE FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}
