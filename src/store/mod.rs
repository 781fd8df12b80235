//! Storage on sqlx: SQLite by default, PostgreSQL for several instances. One code path through
//! sqlx's `Any` driver with `$N` placeholders (both backends accept them); each backend has its
//! own embedded migrations because their DDL differs.

use crate::clock;
use crate::filing::{Filing, FilingStatus};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;

#[cfg(test)]
pub mod testing;
pub mod pages;
pub mod queue;
pub mod tickets;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database handle shared by every command.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Rows per multi-row INSERT: keeps the bind count under SQLite's 32,766 limit.
const BATCH: usize = 1000;

/// Which filings a query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilingSelect {
    /// Every filing not removed by `import --prune`.
    All,
    Active,
}

impl FilingSelect {
    /// The SQL condition, ` AND …` or nothing, on the filings table aliased `prefix`.
    fn filter(self, prefix: &str) -> String {
        match self {
            FilingSelect::All => String::new(),
            FilingSelect::Active => format!(" AND {prefix}status = 'active'"),
        }
    }
}

/// A finished per-domain check, in the form it is stored.
#[derive(Debug, Clone)]
pub struct ResultRow {
    pub site_number: String,
    pub domain: String,
    pub checked_at: DateTime<Utc>,
    pub inconclusive: bool,
    pub http_status: Option<u16>,
    pub final_url: Option<String>,
    pub title: Option<String>,
    /// Customer finding codes, space-separated (`scan.inconclusive` excluded).
    pub codes: String,
    /// The whole check as JSON.
    pub evidence: String,
}

/// A scan run as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Run {
    pub id: i64,
    pub profile: String,
    pub probes: String,
    pub state: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub targets: i64,
    pub checked: i64,
    pub inconclusive: i64,
    pub with_findings: i64,
    pub note: Option<String>,
}

/// `($1,$2,…),(…)` for `rows` rows of `cols` columns; `(?,?,…)` on SQLite, where numbered
/// parameters cost a linear name lookup per bind (quadratic in a batch of thousands).
fn placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    s.push('$');
                    s.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

impl Store {
    /// Opens (creating the SQLite file and its folder when needed) and migrates.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if !path.starts_with(":memory:") && !path.is_empty() {
                if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create database folder {}", dir.display()))?;
                }
            }
            let sep = if url.contains('?') { '&' } else { '?' };
            let url = if url.contains("mode=") { url.to_string() } else { format!("{url}{sep}mode=rwc") };
            (url, Backend::Sqlite)
        } else {
            (url.to_string(), Backend::Postgres)
        };
        let memory = url.contains(":memory:");
        let pool = AnyPoolOptions::new()
            // An in-memory SQLite database lives and dies with its one connection.
            .max_connections(if memory { 1 } else { max_connections.max(1) })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory { None } else { Some(std::time::Duration::from_secs(600)) })
            .max_lifetime(if memory { None } else { Some(std::time::Duration::from_secs(1800)) })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        use sqlx::Executor;
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .with_context(|| format!("cannot open database {}", redact(&url)))?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let m = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        m.run(&self.pool).await.context("database migration failed")?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Inserts or updates filings by site number (each once), in one transaction per batch;
    /// returns how many of them were stored already (removed ones too).
    pub async fn upsert_filings(&self, filings: &[Filing], now: DateTime<Utc>) -> Result<usize> {
        let now = clock::stamp(now);
        let mut stored = 0;
        for chunk in filings.chunks(BATCH) {
            let mut tx = self.pool.begin().await?;
            // The domains go first: a write, so that SQLite takes the write lock (waiting for it)
            // before the count reads, which it could not take after them once another wrote.
            let list = placeholders(self.backend, 1, chunk.len());
            let del = format!("DELETE FROM filing_domains WHERE site_number IN {list}");
            with_site_numbers(&del, chunk).execute(&mut *tx).await?;
            let count = format!("SELECT COUNT(*) FROM filings WHERE site_number IN {list}");
            stored += with_site_numbers(&count, chunk).fetch_one(&mut *tx).await?.get::<i64, _>(0) as usize;
            let sql = format!(
                "INSERT INTO filings (site_number, subject_number, site_name, subject_name, subject_nature, \
                 domains, filed_ips, psb_number, status, province, homepage, created_at, updated_at, removed_at) \
                 VALUES {} ON CONFLICT (site_number) DO UPDATE SET subject_number = excluded.subject_number, \
                 site_name = excluded.site_name, subject_name = excluded.subject_name, \
                 subject_nature = excluded.subject_nature, domains = excluded.domains, filed_ips = excluded.filed_ips, \
                 psb_number = excluded.psb_number, status = excluded.status, province = excluded.province, \
                 homepage = excluded.homepage, updated_at = excluded.updated_at, removed_at = NULL",
                placeholders(self.backend, chunk.len(), 14)
            );
            let mut q = sqlx::query(&sql);
            for f in chunk {
                q = q
                    .bind(f.site_number.clone())
                    .bind(f.subject_number.clone())
                    .bind(f.site_name.clone())
                    .bind(f.subject_name.clone())
                    .bind(f.subject_nature.clone())
                    .bind(f.domains.join(";"))
                    .bind(f.filed_ips.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(";"))
                    .bind(f.psb_number.clone())
                    .bind(f.status.as_str())
                    .bind(f.province.clone())
                    .bind(f.homepage.clone())
                    .bind(now.clone())
                    .bind(now.clone())
                    .bind(None::<String>);
            }
            q.execute(&mut *tx).await.context("storing filings")?;
            let pairs: Vec<(&str, &str)> = chunk
                .iter()
                .flat_map(|f| {
                    let mut seen = HashSet::new();
                    f.domains.iter().filter(move |d| seen.insert(d.as_str())).map(move |d| (d.as_str(), f.site_number.as_str()))
                })
                .collect();
            for part in pairs.chunks(BATCH) {
                let sql = format!("INSERT INTO filing_domains (domain, site_number) VALUES {}", placeholders(self.backend, part.len(), 2));
                let mut q = sqlx::query(&sql);
                for (d, s) in part {
                    q = q.bind(d.to_string()).bind(s.to_string());
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Ok(stored)
    }

    /// Marks as removed every filing whose site number is not one to `keep`; returns how many.
    /// The stored site numbers are read as a stream: only those to remove are held.
    pub async fn prune_filings(&self, keep: impl Fn(&str) -> bool, now: DateTime<Utc>) -> Result<usize> {
        let mut gone = Vec::new();
        let mut stored = sqlx::query("SELECT site_number FROM filings WHERE removed_at IS NULL").fetch(&self.pool);
        while let Some(row) = stored.try_next().await? {
            let s: String = row.get(0);
            if !keep(&s) {
                gone.push(s);
            }
        }
        drop(stored);
        let now = clock::stamp(now);
        let mut n = 0;
        let mut tx = self.pool.begin().await?;
        for s in gone {
            n += sqlx::query("UPDATE filings SET removed_at = $1 WHERE site_number = $2 AND removed_at IS NULL")
                .bind(now.clone())
                .bind(s.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(n)
    }

    const FILING_COLUMNS: &'static str = "site_number, subject_number, site_name, subject_name, subject_nature, \
        domains, filed_ips, psb_number, status, province, homepage";

    /// Filings not removed, ordered by site number.
    pub async fn filings(&self, select: FilingSelect) -> Result<Vec<Filing>> {
        let filter = select.filter("");
        let sql = format!(
            "SELECT {} FROM filings WHERE removed_at IS NULL{filter} ORDER BY site_number",
            Self::FILING_COLUMNS
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(filing_from_row).collect()
    }

    /// One page of [`Store::filings`]: up to `limit` filings after site number `after`, so that
    /// a scan of every filing holds one page at a time, not all of them.
    pub async fn filings_after(&self, select: FilingSelect, after: Option<&str>, limit: i64) -> Result<Vec<Filing>> {
        let filter = select.filter("");
        let sql = format!(
            "SELECT {} FROM filings WHERE removed_at IS NULL{filter} AND site_number > $1 ORDER BY site_number LIMIT $2",
            Self::FILING_COLUMNS
        );
        let rows = sqlx::query(&sql).bind(after.unwrap_or("").to_string()).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(filing_from_row).collect()
    }

    /// How many (filing, domain) targets [`Store::filings`] would give.
    pub async fn count_targets(&self, select: FilingSelect) -> Result<usize> {
        let filter = select.filter("f.");
        let sql = format!(
            "SELECT COUNT(*) FROM filing_domains d JOIN filings f ON f.site_number = d.site_number WHERE f.removed_at IS NULL{filter}"
        );
        let n: i64 = sqlx::query(&sql).fetch_one(&self.pool).await?.get(0);
        Ok(n as usize)
    }

    /// One filing by site number (removed ones too).
    pub async fn filing(&self, site_number: &str) -> Result<Option<Filing>> {
        let sql = format!("SELECT {} FROM filings WHERE site_number = $1", Self::FILING_COLUMNS);
        let row = sqlx::query(&sql).bind(site_number.to_string()).fetch_optional(&self.pool).await?;
        row.as_ref().map(filing_from_row).transpose()
    }

    /// Filings (not removed) that list this domain.
    pub async fn filings_by_domain(&self, domain: &str) -> Result<Vec<Filing>> {
        let sql = format!(
            "SELECT {} FROM filings WHERE removed_at IS NULL AND site_number IN \
             (SELECT site_number FROM filing_domains WHERE domain = $1) ORDER BY site_number",
            Self::FILING_COLUMNS
        );
        let rows = sqlx::query(&sql).bind(domain.to_ascii_lowercase()).fetch_all(&self.pool).await?;
        rows.iter().map(filing_from_row).collect()
    }

    /// Counts filings by status (removed ones excluded).
    pub async fn filing_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) FROM filings WHERE removed_at IS NULL GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1))).collect())
    }

    /// Opens a run record and returns its id.
    pub async fn start_run(&self, profile: &str, probes: &str, targets: usize, now: DateTime<Utc>) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO runs (profile, probes, state, started_at, targets) VALUES ($1, $2, 'running', $3, $4) RETURNING id",
        )
        .bind(profile.to_string())
        .bind(probes.to_string())
        .bind(clock::stamp(now))
        .bind(targets as i64)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get::<i64, _>(0))
    }

    /// Stores per-domain results, one transaction per batch.
    pub async fn record_results(&self, run_id: i64, results: &[ResultRow]) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        insert_results(&mut conn, self.backend, run_id, results).await
    }

    /// Closes a run with its state and counts.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_run(
        &self,
        run_id: i64,
        state: &str,
        checked: usize,
        inconclusive: usize,
        with_findings: usize,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE runs SET state = $1, finished_at = $2, checked = $3, inconclusive = $4, with_findings = $5, note = $6 WHERE id = $7",
        )
        .bind(state.to_string())
        .bind(clock::stamp(now))
        .bind(checked as i64)
        .bind(inconclusive as i64)
        .bind(with_findings as i64)
        .bind(note.map(str::to_string))
        .bind(run_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The most recent runs, newest first.
    pub async fn runs(&self, limit: i64) -> Result<Vec<Run>> {
        self.latest_runs("", limit).await
    }

    /// The most recent finished (completed or degraded) runs, newest first: a report's trend,
    /// which a run still going, or one a crashed `beiand scan` left, must not cut short.
    pub async fn finished_runs(&self, limit: i64) -> Result<Vec<Run>> {
        self.latest_runs(" WHERE state <> 'running'", limit).await
    }

    /// The most recent runs that `filter` (a WHERE clause, or nothing) lets through.
    async fn latest_runs(&self, filter: &str, limit: i64) -> Result<Vec<Run>> {
        let sql = format!("SELECT {} FROM runs{filter} ORDER BY id DESC LIMIT $1", Self::RUN_COLUMNS);
        let rows = sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(run_from_row).collect())
    }

    /// One run by id.
    pub async fn run(&self, id: i64) -> Result<Option<Run>> {
        let sql = format!("SELECT {} FROM runs WHERE id = $1", Self::RUN_COLUMNS);
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(run_from_row))
    }

    const RUN_COLUMNS: &'static str =
        "id, profile, probes, state, started_at, finished_at, targets, checked, inconclusive, with_findings, note";

    /// The stored evidence JSON of a run's results, in domain order.
    pub async fn run_evidence(&self, run_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT evidence FROM results WHERE run_id = $1 ORDER BY domain, site_number")
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }
}

/// `sql` with the site numbers of `filings` bound to its parameters, in order.
fn with_site_numbers<'q>(sql: &'q str, filings: &[Filing]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    filings.iter().fold(sqlx::query(sql), |q, f| q.bind(f.site_number.clone()))
}

/// Inserts per-domain results of one run on a connection (or inside a transaction).
async fn insert_results(conn: &mut sqlx::AnyConnection, backend: Backend, run_id: i64, results: &[ResultRow]) -> Result<()> {
    for chunk in results.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO results (run_id, site_number, domain, checked_at, inconclusive, http_status, final_url, \
             title, codes, evidence) VALUES {}",
            placeholders(backend, chunk.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(run_id)
                .bind(r.site_number.clone())
                .bind(r.domain.clone())
                .bind(clock::stamp(r.checked_at))
                .bind(r.inconclusive as i64)
                .bind(r.http_status.map(i64::from))
                .bind(r.final_url.clone())
                .bind(r.title.clone())
                .bind(r.codes.clone())
                .bind(r.evidence.clone());
        }
        q.execute(&mut *conn).await.context("storing scan results")?;
    }
    Ok(())
}

fn run_from_row(r: &AnyRow) -> Run {
    Run {
        id: r.get(0),
        profile: r.get(1),
        probes: r.get(2),
        state: r.get(3),
        started_at: r.get(4),
        finished_at: r.get(5),
        targets: r.get(6),
        checked: r.get(7),
        inconclusive: r.get(8),
        with_findings: r.get(9),
        note: r.get(10),
    }
}

fn filing_from_row(r: &AnyRow) -> Result<Filing> {
    let status: String = r.get(8);
    let split = |s: String| -> Vec<String> { s.split(';').filter(|p| !p.is_empty()).map(str::to_string).collect() };
    Ok(Filing {
        site_number: r.get(0),
        subject_number: r.get(1),
        site_name: r.get(2),
        subject_name: r.get(3),
        subject_nature: r.get(4),
        domains: split(r.get(5)),
        filed_ips: split(r.get(6))
            .iter()
            .map(|s| std::net::IpAddr::from_str(s))
            .collect::<Result<_, _>>()
            .context("stored filed_ips")?,
        psb_number: r.get(7),
        status: FilingStatus::parse(&status).with_context(|| format!("stored status {status:?}"))?,
        province: r.get(9),
        homepage: r.get(10),
    })
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::testing::each_backend;
    use super::*;

    fn filing(n: u32, domains: &[&str]) -> Filing {
        Filing {
            site_number: format!("京ICP备2024000{n:03}号-1"),
            subject_number: format!("京ICP备2024000{n:03}号"),
            site_name: format!("站点{n}"),
            subject_name: Some("某某科技有限公司".into()),
            subject_nature: None,
            domains: domains.iter().map(|s| s.to_string()).collect(),
            filed_ips: vec!["47.93.1.1".parse().unwrap()],
            psb_number: None,
            status: FilingStatus::Active,
            province: Some("北京".into()),
            homepage: None,
        }
    }

    #[tokio::test]
    async fn filings_round_trip_update_and_prune() {
        for store in each_backend().await {
            let now = Utc::now();
            let a = filing(1, &["a.example.cn", "www.a.example.cn"]);
            let mut b = filing(2, &["b.example.cn"]);
            store.upsert_filings(&[a.clone(), b.clone()], now).await.unwrap();
            assert_eq!(store.filings(FilingSelect::All).await.unwrap(), vec![a.clone(), b.clone()]);

            b.status = FilingStatus::Deregistered;
            b.domains = vec!["b2.example.cn".into()];
            store.upsert_filings(&[b.clone()], now).await.unwrap();
            assert_eq!(store.filing(&b.site_number).await.unwrap(), Some(b.clone()));
            assert_eq!(store.filings(FilingSelect::Active).await.unwrap(), vec![a.clone()]);
            assert!(store.filings_by_domain("b.example.cn").await.unwrap().is_empty());
            assert_eq!(store.filings_by_domain("B2.example.cn").await.unwrap(), vec![b.clone()]);

            let keep: HashSet<String> = [a.site_number.clone()].into();
            assert_eq!(store.prune_filings(|s| keep.contains(s), now).await.unwrap(), 1);
            assert_eq!(store.filings(FilingSelect::All).await.unwrap(), vec![a.clone()]);
        }
    }

    #[tokio::test]
    async fn runs_and_results_are_recorded() {
        for store in each_backend().await {
            let now = Utc::now();
            let id = store.start_run("manual", "dns,http,page", 1, now).await.unwrap();
            let row = ResultRow {
                site_number: "京ICP备12345678号-1".into(),
                domain: "a.example.cn".into(),
                checked_at: now,
                inconclusive: false,
                http_status: Some(200),
                final_url: Some("http://a.example.cn/".into()),
                title: Some("<script>".into()),
                codes: "page.number_missing".into(),
                evidence: "{\"x\":1}".into(),
            };
            store.record_results(id, &[row]).await.unwrap();
            store.finish_run(id, "completed", 1, 0, 1, None, now).await.unwrap();
            let runs = store.runs(5).await.unwrap();
            assert_eq!(runs[0].id, id);
            assert_eq!(runs[0].state, "completed");
            assert_eq!(runs[0].with_findings, 1);
            assert_eq!(store.run_evidence(id).await.unwrap(), vec!["{\"x\":1}".to_string()]);
        }
    }

    #[test]
    fn placeholders_number_rows_and_columns() {
        assert_eq!(placeholders(Backend::Postgres, 2, 3), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(placeholders(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
    }
}
