//! Resources are kept as JSON documents beside the columns they are looked up by.

use crate::audit::insert_event;
use crate::connect::db;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sigil_core::audit::AuditEvent;
use sigil_core::error::{CoreError, CoreResult};
use sigil_core::page::{Page, PageRequest};
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyPool};

pub(crate) fn to_doc<T: Serialize>(value: &T) -> CoreResult<String> {
    serde_json::to_string(value).map_err(CoreError::internal)
}

pub(crate) fn from_doc<T: DeserializeOwned>(doc: &str) -> CoreResult<T> {
    serde_json::from_str(doc).map_err(CoreError::internal)
}

pub(crate) fn from_docs<T: DeserializeOwned>(rows: Vec<(String,)>) -> CoreResult<Vec<T>> {
    rows.iter().map(|(doc,)| from_doc(doc)).collect()
}

/// Binds `keys` in order to the `$N` parameters of `sql`.
fn query<'q>(
    sql: &'q str,
    keys: &[&'q str],
) -> sqlx::query::QueryAs<'q, Any, (String,), AnyArguments<'q>> {
    keys.iter().fold(sqlx::query_as(sql), |q, k| q.bind(*k))
}

/// The document of the row `sql` selects with `keys`, if any.
pub(crate) async fn one_doc<T: DeserializeOwned>(
    pool: &AnyPool,
    sql: &str,
    keys: &[&str],
) -> CoreResult<Option<T>> {
    let row = query(sql, keys).fetch_optional(pool).await.map_err(db)?;
    row.map(|(doc,)| from_doc(&doc)).transpose()
}

/// The documents of every row `sql` selects with `keys`.
pub(crate) async fn all_docs<T: DeserializeOwned>(
    pool: &AnyPool,
    sql: &str,
    keys: &[&str],
) -> CoreResult<Vec<T>> {
    from_docs(query(sql, keys).fetch_all(pool).await.map_err(db)?)
}

/// One page of the documents of `table` whose `column` is `key`, in `order`, with the count of
/// them all. `table`, `column` and `order` are the store's own constants, never input.
pub(crate) async fn page_of_docs<T: DeserializeOwned>(
    pool: &AnyPool,
    (table, column, order): (&str, &str, &str),
    key: &str,
    page: &PageRequest,
) -> CoreResult<Page<T>> {
    let rows: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT doc FROM {table} WHERE {column} = $1 ORDER BY {order} LIMIT $2 OFFSET $3"
    ))
    .bind(key)
    .bind(page.limit() as i64)
    .bind(page.offset() as i64)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let (total,): (i64,) =
        sqlx::query_as(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
            .bind(key)
            .fetch_one(pool)
            .await
            .map_err(db)?;
    Ok(Page {
        items: from_docs(rows)?,
        total: total as u64,
    })
}

/// Runs one statement with `keys` and records `event`, in one transaction; answers how many
/// rows the statement touched.
pub(crate) async fn write_with_event(
    pool: &AnyPool,
    sql: &str,
    keys: &[&str],
    event: &AuditEvent,
) -> CoreResult<u64> {
    write_and_record(pool, sql, keys, event, false).await
}

/// Runs one statement with `keys` and, only if it touched a row, records `event`, in one
/// transaction; answers whether it touched one (a conditional write: of concurrent calls, one
/// wins).
pub(crate) async fn write_if_touched_with_event(
    pool: &AnyPool,
    sql: &str,
    keys: &[&str],
    event: &AuditEvent,
) -> CoreResult<bool> {
    Ok(write_and_record(pool, sql, keys, event, true).await? > 0)
}

async fn write_and_record(
    pool: &AnyPool,
    sql: &str,
    keys: &[&str],
    event: &AuditEvent,
    only_if_touched: bool,
) -> CoreResult<u64> {
    let mut tx = pool.begin().await.map_err(db)?;
    let statement = keys.iter().fold(sqlx::query(sql), |q, k| q.bind(*k));
    let touched = statement
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
    if touched == 0 && only_if_touched {
        return Ok(0);
    }
    insert_event(&mut tx, event).await?;
    tx.commit().await.map_err(db)?;
    Ok(touched)
}

/// Deletes a row and what hangs on it, with `event`, in one transaction: each of
/// `dependents` runs with its keys, then `parent` with `parent_keys`; when `parent` deleted
/// no row, nothing is kept. Answers whether the row existed.
pub(crate) async fn delete_with_dependents(
    pool: &AnyPool,
    parent: &str,
    parent_keys: &[&str],
    dependents: &[(&str, &[&str])],
    event: &AuditEvent,
) -> CoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    for (sql, keys) in dependents {
        keys.iter()
            .fold(sqlx::query(sql), |q, k| q.bind(*k))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let statement = parent_keys
        .iter()
        .fold(sqlx::query(parent), |q, k| q.bind(*k));
    if statement
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
        == 0
    {
        tx.rollback().await.map_err(db)?;
        return Ok(false);
    }
    insert_event(&mut tx, event).await?;
    tx.commit().await.map_err(db)?;
    Ok(true)
}
