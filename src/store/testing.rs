//! Test support: a fresh store on every backend. PostgreSQL is `$BEIAND_TEST_PG` (default the
//! local server, database `test`); each call gets a database of its own.

use super::Store;

/// The PostgreSQL server tests use.
pub fn pg_admin_url() -> String {
    std::env::var("BEIAND_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A new empty PostgreSQL database on the test server; returns its URL.
pub async fn fresh_pg_database() -> String {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let admin = pg_admin_url();
    let name = format!("beiand_t_{}_{}", std::process::id(), rand_suffix());
    let pool = sqlx::AnyPool::connect(&admin).await.expect("PostgreSQL test server (set BEIAND_TEST_PG)");
    pool.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{name}")
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{:x}{}", t & 0xffff_ffff, N.fetch_add(1, Ordering::Relaxed))
}

/// One fresh store per backend: SQLite in memory, then PostgreSQL.
pub async fn each_backend() -> Vec<Store> {
    let sqlite = Store::open("sqlite::memory:", 1).await.expect("sqlite store");
    let pg = Store::open(&fresh_pg_database().await, 4).await.expect("postgres store");
    vec![sqlite, pg]
}

/// A session on the PostgreSQL database at `url` that holds `table` locked (in a transaction left
/// open) until it is dropped or rolled back: every other query on the table waits, as on a
/// database that hangs.
pub async fn lock_table(url: &str, table: &str) -> sqlx::AnyConnection {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url).await.expect("a second session");
    sqlx::raw_sql(&format!("BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")).execute(&mut conn).await.expect("lock the table");
    conn
}
