//! Read-only paged queries for the admin API: each returns one page (`LIMIT`/`OFFSET` in SQL)
//! and the number of rows matching before paging (`COUNT(*)` in SQL), so that a request never
//! loads more than one page of rows whatever the size of the table.

use super::tickets::{ticket_filter_sql, ticket_from_row, TicketFilter, TICKET_COLUMNS};
use super::{filing_from_row, Store};
use crate::filing::{Filing, FilingStatus};
use crate::ticket::Ticket;
use anyhow::{Context, Result};
use sqlx::Row;

/// One page of a list and how many rows match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Matching rows before `limit` and `offset`.
    pub total: i64,
    pub items: Vec<T>,
}

impl Store {
    /// Filings not removed, by site number, optionally of one status and/or listing one domain
    /// (compared in lower case, as [`Store::filings_by_domain`] does): `limit` of them from
    /// `offset`, and the number matching.
    pub async fn filings_page(
        &self,
        status: Option<FilingStatus>,
        domain: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Filing>> {
        let mut filter = String::from("removed_at IS NULL");
        let mut binds: Vec<String> = Vec::new();
        if let Some(s) = status {
            binds.push(s.as_str().to_string());
            filter.push_str(&format!(" AND status = ${}", binds.len()));
        }
        if let Some(d) = domain {
            binds.push(d.to_ascii_lowercase());
            filter.push_str(&format!(
                " AND site_number IN (SELECT site_number FROM filing_domains WHERE domain = ${})",
                binds.len()
            ));
        }
        let from = format!("filings WHERE {filter}");
        self.page_of(&from, Self::FILING_COLUMNS, "site_number", &binds, limit, offset, filing_from_row).await.context("listing filings")
    }

    /// Tickets matching the filter, by id: `limit` of them from `offset`, and the number matching.
    pub async fn tickets_page(&self, f: &TicketFilter, limit: i64, offset: i64) -> Result<Page<Ticket>> {
        let (filter, binds) = ticket_filter_sql(f);
        let from = format!("tickets{filter}");
        self.page_of(&from, TICKET_COLUMNS, "id", &binds, limit, offset, ticket_from_row).await.context("listing tickets")
    }

    /// `COUNT(*)` and one page of `SELECT columns FROM from ORDER BY order`, where `from` is a
    /// table with its `WHERE` clause using `$1…` for `binds`; each row read with `row`.
    #[allow(clippy::too_many_arguments)]
    async fn page_of<T>(
        &self,
        from: &str,
        columns: &str,
        order: &str,
        binds: &[String],
        limit: i64,
        offset: i64,
        row: fn(&sqlx::any::AnyRow) -> Result<T>,
    ) -> Result<Page<T>> {
        let count_sql = format!("SELECT COUNT(*) FROM {from}");
        let mut count = sqlx::query(&count_sql);
        for b in binds {
            count = count.bind(b.clone());
        }
        let total: i64 = count.fetch_one(&self.pool).await.context("counting")?.get(0);
        let n = binds.len();
        let page_sql = format!("SELECT {columns} FROM {from} ORDER BY {order} LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let mut page = sqlx::query(&page_sql);
        for b in binds {
            page = page.bind(b.clone());
        }
        let rows = page.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        let items = rows.iter().map(row).collect::<Result<_>>()?;
        Ok(Page { total, items })
    }

    /// The stored evidence JSON of a run's results in the order of [`Store::run_evidence`]
    /// (domain, then site number; then insertion, so that pages never overlap): `limit` of them
    /// from `offset`, and the number of results of the run.
    pub async fn run_evidence_page(&self, run_id: i64, limit: i64, offset: i64) -> Result<Page<String>> {
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM results WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&self.pool)
            .await
            .context("counting run results")?
            .get(0);
        let rows = sqlx::query(
            "SELECT evidence FROM results WHERE run_id = $1 ORDER BY domain, site_number, id LIMIT $2 OFFSET $3",
        )
        .bind(run_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .context("listing run results")?;
        Ok(Page { total, items: rows.iter().map(|r| r.get::<String, _>(0)).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::each_backend;
    use crate::store::ResultRow;
    use chrono::Utc;

    fn filing(n: u32, domains: &[&str], status: FilingStatus) -> Filing {
        Filing {
            site_number: format!("京ICP备2024000{n:03}号-1"),
            subject_number: format!("京ICP备2024000{n:03}号"),
            site_name: format!("站点{n}"),
            subject_name: None,
            subject_nature: None,
            domains: domains.iter().map(|s| s.to_string()).collect(),
            filed_ips: vec![],
            psb_number: None,
            status,
            province: None,
            homepage: None,
        }
    }

    #[tokio::test]
    async fn filings_are_paged_and_filtered_in_sql() {
        for store in each_backend().await {
            let now = Utc::now();
            let list: Vec<Filing> = (1..=5)
                .map(|n| {
                    let status = if n % 2 == 0 { FilingStatus::Deregistered } else { FilingStatus::Active };
                    filing(n, &[if n <= 3 { "shared.example.cn" } else { "other.example.cn" }], status)
                })
                .collect();
            store.upsert_filings(&list, now).await.unwrap();
            store.prune_filings(|s| list[..4].iter().any(|f| f.site_number == s), now).await.unwrap();

            let p = store.filings_page(None, None, 2, 1).await.unwrap();
            assert_eq!((p.total, p.items), (4, list[1..3].to_vec()), "removed ones are left out");
            let p = store.filings_page(None, None, 10, 4).await.unwrap();
            assert_eq!((p.total, p.items.len()), (4, 0));
            let p = store.filings_page(Some(FilingStatus::Active), None, 10, 0).await.unwrap();
            assert_eq!((p.total, p.items), (2, vec![list[0].clone(), list[2].clone()]));
            let p = store.filings_page(Some(FilingStatus::Active), Some("SHARED.example.cn"), 1, 1).await.unwrap();
            assert_eq!((p.total, p.items), (2, vec![list[2].clone()]));
            let p = store.filings_page(None, Some("other.example.cn"), 10, 0).await.unwrap();
            assert_eq!((p.total, p.items), (1, vec![list[3].clone()]));
        }
    }

    #[tokio::test]
    async fn run_evidence_is_paged_in_domain_order() {
        for store in each_backend().await {
            let now = Utc::now();
            let id = store.start_run("manual", "dns", 3, now).await.unwrap();
            let other = store.start_run("manual", "dns", 1, now).await.unwrap();
            let row = |domain: &str| ResultRow {
                site_number: "京ICP备12345678号-1".into(),
                domain: domain.into(),
                checked_at: now,
                inconclusive: false,
                http_status: None,
                final_url: None,
                title: None,
                codes: String::new(),
                evidence: format!("{{\"d\":\"{domain}\"}}"),
            };
            store.record_results(id, &[row("c.cn"), row("a.cn"), row("b.cn")]).await.unwrap();
            store.record_results(other, &[row("z.cn")]).await.unwrap();
            let all = store.run_evidence(id).await.unwrap();
            let p = store.run_evidence_page(id, 2, 0).await.unwrap();
            assert_eq!((p.total, p.items), (3, all[..2].to_vec()));
            let p = store.run_evidence_page(id, 2, 2).await.unwrap();
            assert_eq!((p.total, p.items), (3, vec!["{\"d\":\"c.cn\"}".to_string()]));
            let p = store.run_evidence_page(id, 2, 3).await.unwrap();
            assert_eq!((p.total, p.items.len()), (3, 0));
            let p = store.run_evidence_page(9999, 2, 0).await.unwrap();
            assert_eq!((p.total, p.items.len()), (0, 0));
        }
    }
}
