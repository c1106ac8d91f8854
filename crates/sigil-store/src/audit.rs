//! The audit trail, and the helper every audited change uses to write its event.

use crate::changes::append_change;
use crate::connect::{db, SqlStore};
use crate::rows::{from_docs, to_doc};
use async_trait::async_trait;
use sigil_core::audit::AuditEvent;
use sigil_core::changes::Change;
use sigil_core::error::CoreResult;
use sigil_core::ids::OrgId;
use sigil_core::page::{Page, PageRequest};
use sigil_core::store::AuditStore;
use sqlx::{Any, Transaction};

/// Writes `event` inside the transaction of the change it records.
pub(crate) async fn insert_event(
    tx: &mut Transaction<'_, Any>,
    event: &AuditEvent,
) -> CoreResult<()> {
    sqlx::query("INSERT INTO audit_events (id, org_id, created, doc, event_type) VALUES ($1, $2, $3, $4, $5)")
        .bind(event.id.to_string())
        .bind(event.org_id.map(|o| o.to_string()))
        .bind(event.created.timestamp())
        .bind(to_doc(event)?)
        .bind(&event.event_type)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    for org in &event.also_org_ids {
        sqlx::query("INSERT INTO audit_event_orgs (event_id, org_id) VALUES ($1, $2)")
            .bind(event.id.to_string())
            .bind(org.to_string())
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    if let Some(change) = Change::of_event(event) {
        append_change(tx, &change, event.created).await?;
    }
    Ok(())
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn record_event(&self, event: &AuditEvent) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn list_events(
        &self,
        org: OrgId,
        include_unscoped: bool,
        page: &PageRequest,
    ) -> CoreResult<Page<AuditEvent>> {
        let affected =
            "org_id = $1 OR id IN (SELECT event_id FROM audit_event_orgs WHERE org_id = $1)";
        let filter = if include_unscoped {
            format!("{affected} OR (org_id IS NULL AND event_type = 'AUTHENTICATION_FAILED')")
        } else {
            affected.to_owned()
        };
        let rows: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT doc FROM audit_events WHERE {filter} ORDER BY seq DESC LIMIT $2 OFFSET $3"
        ))
        .bind(org.to_string())
        .bind(page.limit() as i64)
        .bind(page.offset() as i64)
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        let (total,): (i64,) =
            sqlx::query_as(&format!("SELECT COUNT(*) FROM audit_events WHERE {filter}"))
                .bind(org.to_string())
                .fetch_one(&self.reader)
                .await
                .map_err(db)?;
        Ok(Page {
            items: from_docs(rows)?,
            total: total as u64,
        })
    }
}
