//! Service accounts and their secrets.

use crate::audit::insert_event;
use crate::connect::{db, SqlStore};
use crate::revocations::insert_revocation;
use crate::rows::{all_docs, from_doc, from_docs, one_doc, page_of_docs, to_doc, write_with_event};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sigil_core::audit::{kind, Actor, AuditEvent};
use sigil_core::error::CoreResult;
use sigil_core::ids::{HexId, OrgId};
use sigil_core::oauth::service_accounts::{ServiceAccount, ServiceAccountSecret};
use sigil_core::page::{Page, PageRequest};
use sigil_core::revocation::Revocation;
use sigil_core::store::ServiceAccountStore;
use sqlx::{Any, Transaction};

async fn insert_secret_row(
    tx: &mut Transaction<'_, Any>,
    secret: &ServiceAccountSecret,
) -> CoreResult<()> {
    sqlx::query("INSERT INTO service_account_secrets (id, client_id, expires_at, doc) VALUES ($1, $2, $3, $4)")
        .bind(secret.id.to_string())
        .bind(&secret.client_id)
        .bind(secret.expires_at.timestamp())
        .bind(to_doc(secret)?)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

const SECRETS_OF: &str =
    "SELECT doc FROM service_account_secrets WHERE client_id = $1 ORDER BY expires_at, id";

async fn secrets_of(
    tx: &mut Transaction<'_, Any>,
    client_id: &str,
) -> CoreResult<Vec<ServiceAccountSecret>> {
    let rows: Vec<(String,)> = sqlx::query_as(SECRETS_OF)
        .bind(client_id)
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
    from_docs(rows)
}

#[async_trait]
impl ServiceAccountStore for SqlStore {
    async fn insert_service_account(
        &self,
        account: &ServiceAccount,
        secret: &ServiceAccountSecret,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("INSERT INTO service_accounts (client_id, org_id, created_at, doc) VALUES ($1, $2, $3, $4)")
            .bind(&account.client_id)
            .bind(account.org_id.to_string())
            .bind(account.created_at.timestamp())
            .bind(to_doc(account)?)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_secret_row(&mut tx, secret).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_service_account(&self, client_id: &str) -> CoreResult<Option<ServiceAccount>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM service_accounts WHERE client_id = $1",
            &[client_id],
        )
        .await
    }

    async fn list_service_accounts(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> CoreResult<Page<ServiceAccount>> {
        page_of_docs(
            &self.reader,
            ("service_accounts", "org_id", "created_at, client_id"),
            &org.to_string(),
            page,
        )
        .await
    }

    async fn update_service_account(
        &self,
        account: &ServiceAccount,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        let doc = to_doc(account)?;
        write_with_event(
            &self.pool,
            "UPDATE service_accounts SET doc = $1 WHERE client_id = $2",
            &[&doc, &account.client_id],
            event,
        )
        .await?;
        Ok(())
    }

    async fn delete_service_account(
        &self,
        client_id: &str,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("DELETE FROM service_account_secrets WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let deleted = sqlx::query("DELETE FROM service_accounts WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if deleted == 0 {
            tx.rollback().await.map_err(db)?;
            return Ok(false);
        }
        insert_revocation(&mut tx, revocation).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn list_secrets(&self, client_id: &str) -> CoreResult<Vec<ServiceAccountSecret>> {
        all_docs(&self.reader, SECRETS_OF, &[client_id]).await
    }

    async fn insert_secret(
        &self,
        secret: &ServiceAccountSecret,
        max_live: usize,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Writing the account row first takes its lock (PostgreSQL) or the database's write
        // lock (SQLite), so two concurrent inserts cannot both see room for one more.
        sqlx::query("UPDATE service_accounts SET created_at = created_at WHERE client_id = $1")
            .bind(&secret.client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let live = secrets_of(&mut tx, &secret.client_id)
            .await?
            .iter()
            .filter(|s| s.is_live(now))
            .count();
        if live >= max_live {
            tx.rollback().await.map_err(db)?;
            return Ok(false);
        }
        insert_secret_row(&mut tx, secret).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn delete_secret(
        &self,
        client_id: &str,
        secret_id: HexId,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let deleted =
            sqlx::query("DELETE FROM service_account_secrets WHERE id = $1 AND client_id = $2")
                .bind(secret_id.to_string())
                .bind(client_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        if deleted == 0 {
            tx.rollback().await.map_err(db)?;
            return Ok(false);
        }
        insert_revocation(&mut tx, revocation).await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn touch_secret(&self, secret_id: HexId, at: DateTime<Utc>) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let row: Option<(String,)> =
            sqlx::query_as("SELECT doc FROM service_account_secrets WHERE id = $1")
                .bind(secret_id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        if let Some((doc,)) = row {
            let mut secret: ServiceAccountSecret = from_doc(&doc)?;
            secret.last_used_at = Some(at);
            sqlx::query("UPDATE service_account_secrets SET doc = $1 WHERE id = $2")
                .bind(to_doc(&secret)?)
                .bind(secret_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn record_expired_secrets(&self, now: DateTime<Utc>) -> CoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT s.doc, a.org_id FROM service_account_secrets s JOIN service_accounts a ON a.client_id = s.client_id
             WHERE s.expiry_recorded = 0 AND s.expires_at <= $1",
        )
        .bind(now.timestamp())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let mut marked = 0;
        for (doc, org) in rows {
            let mut secret: ServiceAccountSecret = from_doc(&doc)?;
            secret.expiry_recorded = true;
            // Only the node whose update flips the flag audits the expiry.
            let flipped = sqlx::query("UPDATE service_account_secrets SET expiry_recorded = 1, doc = $1 WHERE id = $2 AND expiry_recorded = 0")
                .bind(to_doc(&secret)?)
                .bind(secret.id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
            if flipped == 0 {
                continue;
            }
            let org = HexId::parse("org_id", &org).ok();
            insert_event(
                &mut tx,
                &Actor::default().event(
                    kind::SERVICE_ACCOUNT_SECRET_EXPIRED,
                    now,
                    org,
                    Some(secret.id.to_string()),
                ),
            )
            .await?;
            marked += 1;
        }
        tx.commit().await.map_err(db)?;
        Ok(marked)
    }
}
