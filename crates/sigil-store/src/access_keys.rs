//! IAM access keys: one row per key, its user and domain as columns beside the document.

use crate::audit::insert_event;
use crate::connect::{db, SqlStore};
use crate::rows::{all_docs, one_doc, to_doc, write_if_touched_with_event};
use async_trait::async_trait;
use sigil_core::audit::AuditEvent;
use sigil_core::error::CoreResult;
use sigil_core::iam::AccessKey;
use sigil_core::ids::{OrgId, UserId};
use sigil_core::store::AccessKeyStore;

#[async_trait]
impl AccessKeyStore for SqlStore {
    async fn insert_access_key(
        &self,
        key: &AccessKey,
        max_per_user: usize,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Writing the user's row first takes its lock (PostgreSQL) or the database's write
        // lock (SQLite), so two concurrent inserts cannot both see room for one more.
        sqlx::query("UPDATE users SET doc = doc WHERE id = $1")
            .bind(key.user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let (held,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_keys WHERE user_id = $1")
            .bind(key.user_id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if usize::try_from(held).unwrap_or(usize::MAX) >= max_per_user {
            tx.rollback().await.map_err(db)?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO access_keys (access, user_id, org_id, created_at, doc) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.access)
        .bind(key.user_id.to_string())
        .bind(key.org_id.to_string())
        .bind(key.created_at.timestamp())
        .bind(to_doc(key)?)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn get_access_key(&self, access: &str) -> CoreResult<Option<AccessKey>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM access_keys WHERE access = $1",
            &[access],
        )
        .await
    }

    async fn list_access_keys(
        &self,
        org: OrgId,
        user: Option<UserId>,
    ) -> CoreResult<Vec<AccessKey>> {
        let org = org.to_string();
        match user {
            Some(user) => {
                all_docs(
                    &self.reader,
                    "SELECT doc FROM access_keys WHERE org_id = $1 AND user_id = $2 ORDER BY created_at, access",
                    &[&org, &user.to_string()],
                )
                .await
            }
            None => {
                all_docs(
                    &self.reader,
                    "SELECT doc FROM access_keys WHERE org_id = $1 ORDER BY created_at, access",
                    &[&org],
                )
                .await
            }
        }
    }

    async fn update_access_key(&self, key: &AccessKey, event: &AuditEvent) -> CoreResult<bool> {
        write_if_touched_with_event(
            &self.pool,
            "UPDATE access_keys SET doc = $1 WHERE access = $2",
            &[&to_doc(key)?, &key.access],
            event,
        )
        .await
    }

    async fn delete_access_key(&self, access: &str, event: &AuditEvent) -> CoreResult<bool> {
        write_if_touched_with_event(
            &self.pool,
            "DELETE FROM access_keys WHERE access = $1",
            &[access],
            event,
        )
        .await
    }
}
