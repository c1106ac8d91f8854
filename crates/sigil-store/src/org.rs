//! Organizations, federation settings, and the first start's bootstrap.

use crate::audit::insert_event;
use crate::connect::{conflict_or_internal, db, SqlStore};
use crate::federation::insert_connected_org_config;
use crate::rows::{from_docs, one_doc, to_doc};
use crate::user::insert_user;
use async_trait::async_trait;
use sigil_core::audit::AuditEvent;
use sigil_core::directory::org::{FederationSettings, Organization};
use sigil_core::error::CoreResult;
use sigil_core::federation::ConnectedOrgConfig;
use sigil_core::ids::{FederationSettingsId, OrgId};
use sigil_core::page::{Page, PageRequest};
use sigil_core::store::{Bootstrap, OrgStore};
use sqlx::{Any, Transaction};

async fn insert_organization(
    tx: &mut Transaction<'_, Any>,
    org: &Organization,
    settings: &FederationSettings,
    config: &ConnectedOrgConfig,
) -> CoreResult<()> {
    sqlx::query("INSERT INTO federation_settings (id, doc) VALUES ($1, $2)")
        .bind(settings.id.to_string())
        .bind(to_doc(settings)?)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO organizations (id, name, federation_settings_id, doc) VALUES ($1, $2, $3, $4)",
    )
    .bind(org.id.to_string())
    .bind(&org.name)
    .bind(org.federation_settings_id.to_string())
    .bind(to_doc(org)?)
    .execute(&mut **tx)
    .await
    .map_err(|e| conflict_or_internal(e, &format!("an organization named {:?}", org.name)))?;
    insert_connected_org_config(tx, config).await
}

#[async_trait]
impl OrgStore for SqlStore {
    async fn is_bootstrapped(&self) -> CoreResult<bool> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT value FROM meta WHERE key = 'bootstrapped'")
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?;
        Ok(row.is_some())
    }

    async fn bootstrap(&self, b: &Bootstrap) -> CoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Two nodes starting at once on one empty database: the first insert wins.
        let claimed = sqlx::query("INSERT INTO meta (key, value) VALUES ('bootstrapped', $1) ON CONFLICT (key) DO NOTHING")
            .bind(b.org.created_at.to_rfc3339())
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if claimed == 0 {
            tx.rollback().await.map_err(db)?;
            return Ok(false);
        }
        insert_organization(
            &mut tx,
            &b.org,
            &b.federation_settings,
            &b.connected_org_config,
        )
        .await?;
        insert_user(&mut tx, &b.admin).await?;
        for event in &b.events {
            insert_event(&mut tx, event).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn create_organization(
        &self,
        org: &Organization,
        settings: &FederationSettings,
        config: &ConnectedOrgConfig,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        insert_organization(&mut tx, org, settings, config).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_organization(&self, id: OrgId) -> CoreResult<Option<Organization>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM organizations WHERE id = $1",
            &[&id.to_string()],
        )
        .await
    }

    async fn get_organization_by_name(&self, name: &str) -> CoreResult<Option<Organization>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM organizations WHERE name = $1",
            &[name],
        )
        .await
    }

    async fn get_organization_by_federation_settings(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Option<Organization>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM organizations WHERE federation_settings_id = $1",
            &[&fs.to_string()],
        )
        .await
    }

    async fn list_organizations(
        &self,
        only: Option<&[OrgId]>,
        page: &PageRequest,
    ) -> CoreResult<Page<Organization>> {
        match only {
            // A principal belongs to a handful of organizations: read them by id.
            Some(ids) => {
                let mut orgs = vec![];
                for id in ids {
                    orgs.extend(self.get_organization(*id).await?);
                }
                orgs.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(page.slice(&orgs))
            }
            None => {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT doc FROM organizations ORDER BY name LIMIT $1 OFFSET $2",
                )
                .bind(page.limit() as i64)
                .bind(page.offset() as i64)
                .fetch_all(&self.reader)
                .await
                .map_err(db)?;
                let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organizations")
                    .fetch_one(&self.reader)
                    .await
                    .map_err(db)?;
                Ok(Page {
                    items: from_docs(rows)?,
                    total: total as u64,
                })
            }
        }
    }

    async fn get_federation_settings(
        &self,
        id: FederationSettingsId,
    ) -> CoreResult<Option<FederationSettings>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM federation_settings WHERE id = $1",
            &[&id.to_string()],
        )
        .await
    }
}
