//! Programmatic API keys.

use crate::audit::insert_event;
use crate::connect::{conflict_or_internal, db, SqlStore};
use crate::rows::{from_doc, from_docs, to_doc};
use async_trait::async_trait;
use sigil_core::audit::AuditEvent;
use sigil_core::error::CoreResult;
use sigil_core::ids::{HexId, OrgId};
use sigil_core::page::{Page, PageRequest};
use sigil_core::programmatic_keys::ProgrammaticApiKey;
use sigil_core::store::ProgrammaticKeyStore;

#[async_trait]
impl ProgrammaticKeyStore for SqlStore {
    async fn insert_programmatic_key(
        &self,
        key: &ProgrammaticApiKey,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("INSERT INTO programmatic_api_keys (id, org_id, public_key, created_at, doc) VALUES ($1, $2, $3, $4, $5)")
            .bind(key.id.to_string())
            .bind(key.org_id.to_string())
            .bind(&key.public_key)
            .bind(key.created_at.timestamp())
            .bind(to_doc(key)?)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or_internal(e, "an API key with this public key"))?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_programmatic_key(&self, id: HexId) -> CoreResult<Option<ProgrammaticApiKey>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT doc FROM programmatic_api_keys WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?;
        row.map(|(doc,)| from_doc(&doc)).transpose()
    }

    async fn get_programmatic_key_by_public(
        &self,
        public_key: &str,
    ) -> CoreResult<Option<ProgrammaticApiKey>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT doc FROM programmatic_api_keys WHERE public_key = $1")
                .bind(public_key)
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?;
        row.map(|(doc,)| from_doc(&doc)).transpose()
    }

    async fn list_programmatic_keys(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> CoreResult<Page<ProgrammaticApiKey>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT doc FROM programmatic_api_keys WHERE org_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3")
                .bind(org.to_string())
                .bind(page.limit() as i64)
                .bind(page.offset() as i64)
                .fetch_all(&self.reader)
                .await
                .map_err(db)?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM programmatic_api_keys WHERE org_id = $1")
                .bind(org.to_string())
                .fetch_one(&self.reader)
                .await
                .map_err(db)?;
        Ok(Page {
            items: from_docs(rows)?,
            total: total as u64,
        })
    }

    async fn update_programmatic_key(
        &self,
        key: &ProgrammaticApiKey,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE programmatic_api_keys SET doc = $1 WHERE id = $2")
            .bind(to_doc(key)?)
            .bind(key.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn delete_programmatic_key(&self, id: HexId, event: &AuditEvent) -> CoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let deleted = sqlx::query("DELETE FROM programmatic_api_keys WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(deleted > 0)
    }
}
