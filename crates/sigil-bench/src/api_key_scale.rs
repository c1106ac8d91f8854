//! `apikey-scale`: ApiKey authentication latency, cache misses and hits, as the `api_keys`
//! table grows.
//!
//! The table is seeded directly in the server's database (multi-row INSERTs, never HTTP): each
//! seeded row is a copy of a real key's stored document with its own id, name and key hash.
//! Ids and secrets are derived from a per-run salt and the row's number, so every seeded row
//! is a working key that the bench can present without keeping a million secrets.

use crate::api_keys::{authenticate, create_key, micros, millis, WHOAMI};
use crate::server::Server;
use crate::Args;
use anyhow::{bail, Context};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hdrhistogram::Histogram;
use rand::Rng;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use std::time::{Duration, Instant};

/// Seeding: rows per INSERT statement, statements per transaction.
const ROWS_PER_INSERT: usize = 1_000;
const INSERTS_PER_TRANSACTION: usize = 10;

/// The rows `apikey-scale` inserts: copies of a real key's document.
struct Seeder {
    salt: u64,
    doc: Value,
    username: String,
    realm: String,
    creation: i64,
    /// Rows inserted so far; row `i`'s id and secret derive from `salt` and `i`.
    seeded: usize,
}

impl Seeder {
    fn digest(&self, what: &str, i: usize) -> [u8; 32] {
        Sha256::digest(format!("sigil-bench {what} {} {i}", self.salt)).into()
    }

    /// 20 url-safe characters (15 bytes), as the server makes them.
    fn id(&self, i: usize) -> String {
        URL_SAFE_NO_PAD.encode(&self.digest("id", i)[..15])
    }

    /// 22 url-safe characters (16 bytes), as the server makes them.
    fn secret(&self, i: usize) -> String {
        URL_SAFE_NO_PAD.encode(&self.digest("key", i)[..16])
    }

    /// What `Authorization: ApiKey` carries for row `i`.
    fn encoded(&self, i: usize) -> String {
        STANDARD.encode(format!("{}:{}", self.id(i), self.secret(i)))
    }

    /// Row `i`'s id, name and document.
    fn row(&self, i: usize) -> (String, String, String) {
        let (id, name) = (self.id(i), format!("bench-seed-{i}"));
        let mut doc = self.doc.clone();
        doc["id"] = json!(id);
        doc["name"] = json!(name);
        doc["key_hash"] = json!(hex::encode(Sha256::digest(self.secret(i))));
        (id, name, doc.to_string())
    }

    /// Inserts `n` more rows; answers how long it took.
    async fn seed(&mut self, pool: &AnyPool, n: usize) -> anyhow::Result<Duration> {
        let start = Instant::now();
        let end = self.seeded + n;
        let mut i = self.seeded;
        while i < end {
            let mut tx = pool.begin().await?;
            for _ in 0..INSERTS_PER_TRANSACTION {
                if i >= end {
                    break;
                }
                let rows = (end - i).min(ROWS_PER_INSERT);
                // $1 username, $2 realm, $3 creation; then id, name, doc per row.
                let values: Vec<String> = (0..rows)
                    .map(|r| {
                        let b = 4 + 3 * r;
                        format!("(${b}, ${}, $1, $2, $3, NULL, 0, NULL, ${})", b + 1, b + 2)
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO api_keys (id, name, username, realm, creation, expiration, \
                     invalidated, invalidation, doc) VALUES {}",
                    values.join(", ")
                );
                let mut query = sqlx::query(&sql)
                    .bind(self.username.clone())
                    .bind(self.realm.clone())
                    .bind(self.creation);
                for j in i..i + rows {
                    let (id, name, doc) = self.row(j);
                    query = query.bind(id).bind(name).bind(doc);
                }
                query.execute(&mut *tx).await?;
                i += rows;
            }
            tx.commit().await?;
        }
        self.seeded = end;
        Ok(start.elapsed())
    }
}

async fn row_count(pool: &AnyPool) -> anyhow::Result<usize> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM api_keys")
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    Ok(usize::try_from(n)?)
}

/// The whole database's size on SQLite; the `api_keys` table with its indexes on PostgreSQL.
async fn size_mib(pool: &AnyPool, postgres: bool) -> anyhow::Result<f64> {
    let sql = if postgres {
        "SELECT CAST(pg_total_relation_size('api_keys') AS BIGINT)"
    } else {
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
    };
    let bytes: i64 = sqlx::query(sql).fetch_one(pool).await?.try_get(0)?;
    Ok(bytes as f64 / 1024.0 / 1024.0)
}

/// Presents each credential twice in a row, one request at a time on one connection: the
/// first time the server has never seen it (a cache miss), the second time it holds it (a
/// hit). Interleaved, so that a burst of other load on the machine affects both alike. Every
/// request must be accepted.
async fn measure(
    c: &Client,
    url: &str,
    credentials: &[String],
) -> anyhow::Result<(Histogram<u64>, Histogram<u64>)> {
    let (mut misses, mut hits) = (Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?);
    for encoded in credentials {
        for histogram in [&mut misses, &mut hits] {
            let start = Instant::now();
            let status = authenticate(c, url, encoded).await?;
            if status != StatusCode::OK {
                bail!("a seeded key was refused: {status}");
            }
            histogram.record(micros(start))?;
        }
    }
    Ok((misses, hits))
}

/// `n` distinct numbers taken at random out of `unused`.
fn take_random(unused: &mut Vec<usize>, n: usize) -> Vec<usize> {
    let mut rng = rand::thread_rng();
    (0..n.min(unused.len()))
        .map(|_| unused.swap_remove(rng.gen_range(0..unused.len())))
        .collect()
}

/// `apikey-scale`: for each `--scale-sizes` size, the table is seeded up to that many rows,
/// then `--misses` keys the server has never seen (taken at random among every seeded row) are
/// presented twice each, one request at a time: a cache miss (one read by primary key), then
/// a cache hit.
pub async fn run_scale(server: &Server, args: &Args) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let database = server.database_url();
    let postgres = database.starts_with("postgres");
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&database)
        .await
        .with_context(|| format!("cannot open {database}"))?;
    let c = Client::new();
    let (template, _) = create_key(&c, server, "bench-scale-template").await?;
    let row = sqlx::query("SELECT doc, username, realm, creation FROM api_keys WHERE id = $1")
        .bind(&template)
        .fetch_one(&pool)
        .await
        .context("the template key's row")?;
    let doc: Value = serde_json::from_str(&row.try_get::<String, _>(0)?)?;
    for field in ["id", "name", "key_hash"] {
        if doc.get(field).is_none() {
            bail!("the stored key document has no {field:?}: {doc}");
        }
    }
    let mut seeder = Seeder {
        salt: rand::random(),
        doc,
        username: row.try_get(1)?,
        realm: row.try_get(2)?,
        creation: row.try_get(3)?,
        seeded: 0,
    };
    let url = format!("{}{WHOAMI}", server.url);
    // The connection is open before anything is timed.
    c.get(format!("{}/health", server.url)).send().await?;
    println!(
        "apikey-scale: GET {WHOAMI} with ApiKey, one connection, one request at a time; \
         per size, each key never presented before is sent twice in a row: a cache miss, then \
         a cache hit; store {}",
        server.store_name()
    );
    println!(
        "{:>9} {:>10} {:>9} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "rows",
        "seeding s",
        "size MiB",
        "keys",
        "miss p50",
        "miss p99",
        "miss max",
        "hit p50",
        "hit p99",
        "hit max"
    );
    let mut unused: Vec<usize> = vec![];
    for &size in &args.scale_sizes {
        let before = row_count(&pool).await?;
        let seeding = if before < size {
            let from = seeder.seeded;
            let took = seeder.seed(&pool, size - before).await?;
            unused.extend(from..seeder.seeded);
            format!("{:.1}", took.as_secs_f64())
        } else {
            "-".into()
        };
        let rows = row_count(&pool).await?;
        let mib = size_mib(&pool, postgres).await?;
        let sample = take_random(&mut unused, args.misses);
        let credentials: Vec<String> = sample.iter().map(|&i| seeder.encoded(i)).collect();
        if credentials.is_empty() {
            println!("{rows:>9} {seeding:>10} {mib:>9.0}   (every seeded key was used: none left to measure)");
            continue;
        }
        let (misses, hits) = measure(&c, &url, &credentials).await?;
        println!(
            "{rows:>9} {seeding:>10} {mib:>9.0} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            credentials.len(),
            millis(&misses, 0.5),
            millis(&misses, 0.99),
            misses.max() as f64 / 1000.0,
            millis(&hits, 0.5),
            millis(&hits, 0.99),
            hits.max() as f64 / 1000.0,
        );
    }
    println!(
        "server RSS after the run: {} MiB (peak {} MiB)",
        server.rss_kib() / 1024,
        server.peak_rss_kib() / 1024
    );
    pool.close().await;
    Ok(())
}
