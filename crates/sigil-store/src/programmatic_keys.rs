//! Programmatic API keys.

use crate::audit::insert_event;
use crate::connect::{conflict_or_internal, db, SqlStore};
use crate::rows::{one_doc, page_of_docs, to_doc, write_with_event};
use async_trait::async_trait;
use sigil_core::audit::AuditEvent;
use sigil_core::error::CoreResult;
use sigil_core::ids::{HexId, OrgId};
use sigil_core::page::{Page, PageRequest};
use sigil_core::programmatic::ProgrammaticApiKey;
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
        one_doc(
            &self.reader,
            "SELECT doc FROM programmatic_api_keys WHERE id = $1",
            &[&id.to_string()],
        )
        .await
    }

    async fn get_programmatic_key_by_public(
        &self,
        public_key: &str,
    ) -> CoreResult<Option<ProgrammaticApiKey>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM programmatic_api_keys WHERE public_key = $1",
            &[public_key],
        )
        .await
    }

    async fn list_programmatic_keys(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> CoreResult<Page<ProgrammaticApiKey>> {
        page_of_docs(
            &self.reader,
            ("programmatic_api_keys", "org_id", "created_at, id"),
            &org.to_string(),
            page,
        )
        .await
    }

    async fn update_programmatic_key(
        &self,
        key: &ProgrammaticApiKey,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let doc = to_doc(key)?;
        write_with_event(
            &self.pool,
            "UPDATE programmatic_api_keys SET doc = $1 WHERE id = $2",
            &[&doc, &key.id.to_string()],
            event,
        )
        .await?;
        Ok(())
    }

    async fn delete_programmatic_key(&self, id: HexId, event: &AuditEvent) -> CoreResult<bool> {
        let deleted = write_with_event(
            &self.pool,
            "DELETE FROM programmatic_api_keys WHERE id = $1",
            &[&id.to_string()],
            event,
        )
        .await?;
        Ok(deleted > 0)
    }
}
