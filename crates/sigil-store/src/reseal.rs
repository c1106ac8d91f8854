//! Re-sealing every sealed value in one transaction (a rotation of the master key).

use crate::connect::{db, SqlStore};
use crate::rows::{from_doc, to_doc};
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sigil_core::error::CoreResult;
use sigil_core::iam::AccessKey;
use sigil_core::oauth::StoredSigningKey;
use sigil_core::programmatic::ProgrammaticApiKey;
use sigil_core::store::{Resealer, SealedStore};
use sigil_core::user::{SealedHa1, User};
use sqlx::{Any, Transaction};

fn reseal_ha1(ha1: &mut SealedHa1, reseal: Resealer<'_>) -> CoreResult<bool> {
    let mut changed = false;
    for field in [&mut ha1.md5, &mut ha1.sha256] {
        if let Some(new) = reseal(field)? {
            *field = new;
            changed = true;
        }
    }
    Ok(changed)
}

fn reseal_one(field: &mut String, reseal: Resealer<'_>) -> CoreResult<bool> {
    Ok(match reseal(field)? {
        Some(new) => {
            *field = new;
            true
        }
        None => false,
    })
}

/// Rewrites the documents of `table` (keyed by `key`) whose sealed values `apply` changed.
async fn reseal_table<T, F>(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    key: &str,
    apply: F,
) -> CoreResult<u64>
where
    T: DeserializeOwned + Serialize,
    F: Fn(&mut T) -> CoreResult<bool>,
{
    let rows: Vec<(String, String)> = sqlx::query_as(&format!("SELECT {key}, doc FROM {table}"))
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
    let mut changed = 0;
    for (id, doc) in rows {
        let mut value: T = from_doc(&doc)?;
        if apply(&mut value)? {
            sqlx::query(&format!("UPDATE {table} SET doc = $1 WHERE {key} = $2"))
                .bind(to_doc(&value)?)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            changed += 1;
        }
    }
    Ok(changed)
}

#[async_trait]
impl SealedStore for SqlStore {
    async fn reseal_all(&self, reseal: Resealer<'_>) -> CoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut changed = 0;
        changed += reseal_table(&mut tx, "users", "id", |u: &mut User| {
            reseal_ha1(&mut u.digest_ha1, reseal)
        })
        .await?;
        changed += reseal_table(
            &mut tx,
            "programmatic_api_keys",
            "id",
            |k: &mut ProgrammaticApiKey| reseal_ha1(&mut k.digest_ha1, reseal),
        )
        .await?;
        changed += reseal_table(
            &mut tx,
            "signing_keys",
            "kid",
            |k: &mut StoredSigningKey| reseal_one(&mut k.private_sealed, reseal),
        )
        .await?;
        changed += reseal_table(&mut tx, "access_keys", "access", |k: &mut AccessKey| {
            reseal_one(&mut k.sealed_secret, reseal)
        })
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(changed)
    }
}
