//! Connected organization configurations, role mappings and identity providers.

use crate::audit::insert_event;
use crate::connect::{conflict_or_internal, db, SqlStore};
use crate::revocations::insert_revocation;
use crate::rows::{all_docs, delete_with_dependents, from_docs, one_doc, to_doc, write_with_event};
use async_trait::async_trait;
use sigil_core::audit::AuditEvent;
use sigil_core::error::{CoreError, CoreResult};
use sigil_core::federation::{ConnectedOrgConfig, IdentityProvider, RoleMapping};
use sigil_core::ids::{FederationSettingsId, IdentityProviderId, OrgId, RoleMappingId};
use sigil_core::revocation::Revocation;
use sigil_core::store::FederationStore;
use sqlx::{Any, Transaction};

pub(crate) async fn insert_connected_org_config(
    tx: &mut Transaction<'_, Any>,
    config: &ConnectedOrgConfig,
) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO connected_org_configs (org_id, federation_settings_id, doc) VALUES ($1, $2, $3)
         ON CONFLICT (org_id) DO UPDATE SET federation_settings_id = excluded.federation_settings_id, doc = excluded.doc",
    )
    .bind(config.org_id.to_string())
    .bind(config.federation_settings_id.to_string())
    .bind(to_doc(config)?)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

fn role_mapping_conflict(mapping: &RoleMapping) -> String {
    format!(
        "a role mapping for the external group {:?}",
        mapping.external_group_name
    )
}

#[async_trait]
impl FederationStore for SqlStore {
    async fn list_connected_org_configs(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Vec<ConnectedOrgConfig>> {
        all_docs(&self.reader, "SELECT doc FROM connected_org_configs WHERE federation_settings_id = $1 ORDER BY org_id", &[&fs.to_string()]).await
    }

    async fn get_connected_org_config(&self, org: OrgId) -> CoreResult<Option<ConnectedOrgConfig>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM connected_org_configs WHERE org_id = $1",
            &[&org.to_string()],
        )
        .await
    }

    async fn put_connected_org_config(
        &self,
        config: &ConnectedOrgConfig,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        insert_connected_org_config(&mut tx, config).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn delete_connected_org_config(
        &self,
        fs: FederationSettingsId,
        org: OrgId,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        let org = org.to_string();
        delete_with_dependents(
            &self.pool,
            "DELETE FROM connected_org_configs WHERE org_id = $1 AND federation_settings_id = $2",
            &[&org, &fs.to_string()],
            &[("DELETE FROM role_mappings WHERE org_id = $1", &[&org])],
            event,
        )
        .await
    }

    async fn list_role_mappings(
        &self,
        fs: FederationSettingsId,
        org: OrgId,
    ) -> CoreResult<Vec<RoleMapping>> {
        all_docs(&self.reader, "SELECT doc FROM role_mappings WHERE federation_settings_id = $1 AND org_id = $2 ORDER BY external_group_name", &[&fs.to_string(), &org.to_string()]).await
    }

    async fn insert_role_mapping(
        &self,
        mapping: &RoleMapping,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO role_mappings (id, federation_settings_id, org_id, external_group_name, doc) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(mapping.id.to_string())
        .bind(mapping.federation_settings_id.to_string())
        .bind(mapping.org_id.to_string())
        .bind(&mapping.external_group_name)
        .bind(to_doc(mapping)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or_internal(e, &role_mapping_conflict(mapping)))?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn update_role_mapping(
        &self,
        mapping: &RoleMapping,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE role_mappings SET external_group_name = $1, doc = $2 WHERE id = $3")
            .bind(&mapping.external_group_name)
            .bind(to_doc(mapping)?)
            .bind(mapping.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or_internal(e, &role_mapping_conflict(mapping)))?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn delete_role_mapping(&self, id: RoleMappingId, event: &AuditEvent) -> CoreResult<bool> {
        let deleted = write_with_event(
            &self.pool,
            "DELETE FROM role_mappings WHERE id = $1",
            &[&id.to_string()],
            event,
        )
        .await?;
        Ok(deleted > 0)
    }

    async fn list_identity_providers(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Vec<IdentityProvider>> {
        all_docs(&self.reader, "SELECT doc FROM identity_providers WHERE federation_settings_id = $1 ORDER BY created_at, id", &[&fs.to_string()]).await
    }

    async fn get_identity_provider(
        &self,
        fs: FederationSettingsId,
        id: IdentityProviderId,
    ) -> CoreResult<Option<IdentityProvider>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM identity_providers WHERE id = $1 AND federation_settings_id = $2",
            &[&id.to_string(), &fs.to_string()],
        )
        .await
    }

    async fn insert_identity_provider(
        &self,
        idp: &IdentityProvider,
        connect: Option<&ConnectedOrgConfig>,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("INSERT INTO identity_providers (id, federation_settings_id, created_at, doc, issuer_uri, audience, iam_name) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(idp.id.to_string())
            .bind(idp.federation_settings_id.to_string())
            .bind(idp.created_at.timestamp())
            .bind(to_doc(idp)?)
            .bind(&idp.issuer_uri)
            .bind(&idp.audience)
            .bind(idp.iam.as_ref().map(|i| i.name.clone()))
            .execute(&mut *tx)
            .await
            .map_err(idp_conflict)?;
        if let Some(config) = connect {
            insert_connected_org_config(&mut tx, config).await?;
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_identity_provider_by_name(
        &self,
        fs: FederationSettingsId,
        name: &str,
    ) -> CoreResult<Option<IdentityProvider>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM identity_providers WHERE federation_settings_id = $1 AND (iam_name = $2 OR id = $2)",
            &[&fs.to_string(), name],
        )
        .await
    }

    async fn update_identity_provider(
        &self,
        idp: &IdentityProvider,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        update_identity_provider(&mut tx, idp).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn find_identity_providers_by_issuer(
        &self,
        issuer: &str,
    ) -> CoreResult<Vec<IdentityProvider>> {
        all_docs(
            &self.reader,
            "SELECT doc FROM identity_providers WHERE issuer_uri = $1 ORDER BY created_at, id",
            &[issuer],
        )
        .await
    }

    async fn record_jwks_revocation(
        &self,
        idp: &IdentityProvider,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        update_identity_provider(&mut tx, idp).await?;
        insert_revocation(&mut tx, revocation).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn delete_identity_provider(
        &self,
        idp: &IdentityProvider,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT doc FROM connected_org_configs WHERE federation_settings_id = $1",
        )
        .bind(idp.federation_settings_id.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for mut config in from_docs::<ConnectedOrgConfig>(rows)? {
            if config.forget_identity_provider(idp.id) {
                insert_connected_org_config(&mut tx, &config).await?;
            }
        }
        sqlx::query("DELETE FROM identity_providers WHERE id = $1")
            .bind(idp.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }
}

/// Two providers may not share an issuer and an audience (a token names exactly one), nor a
/// federation and an IAM name.
fn idp_conflict(e: sqlx::Error) -> CoreError {
    let by_name = e.as_database_error().is_some_and(|d| {
        d.constraint() == Some("identity_providers_iam_name") || d.message().contains("iam_name")
    });
    if by_name {
        conflict_or_internal(e, "an identity provider with this name")
    } else {
        conflict_or_internal(e, "an identity provider with this issuerUri and audience")
    }
}

async fn update_identity_provider(
    tx: &mut Transaction<'_, Any>,
    idp: &IdentityProvider,
) -> CoreResult<()> {
    sqlx::query(
        "UPDATE identity_providers SET doc = $1, issuer_uri = $2, audience = $3, iam_name = $4 WHERE id = $5",
    )
    .bind(to_doc(idp)?)
    .bind(&idp.issuer_uri)
    .bind(&idp.audience)
    .bind(idp.iam.as_ref().map(|i| i.name.clone()))
    .bind(idp.id.to_string())
    .execute(&mut **tx)
    .await
    .map_err(idp_conflict)?;
    Ok(())
}
