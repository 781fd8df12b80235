//! Storage of rectification tickets, their history, and what each applied run did to them.
//!
//! Every change to a ticket is written together with its history entry in one transaction, and
//! only over the version it was computed from (`UPDATE … WHERE id = $ AND version = $`): a
//! concurrent writer makes the change fail instead of being silently overwritten. The partial
//! unique index `tickets_one_active` guarantees at most one open or overdue ticket per
//! (site_number, code) even between processes.

use super::{filing_from_row, Store};
use crate::clock;
use crate::filing::Filing;
use crate::finding::Code;
use crate::ticket::evidence::TicketEvidence;
use crate::ticket::lifecycle::Change;
use crate::ticket::observe::{Probes, ResultObs};
use crate::ticket::{Action, AppealState, HistoryEntry, State, Ticket};
use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

/// Site numbers per `IN (…)` list.
const CHUNK: usize = 500;

pub(super) const TICKET_COLUMNS: &str = "id, site_number, subject_number, code, state, opened_at, notice_date, deadline, period, \
    period_start, appeal_period, appeal_state, escalation_level, escalation_from, first_seen_at, last_seen_at, evidence, \
    closed_at, updated_at, version";

/// The `WHERE` clause (empty, or starting with a space) of a [`TicketFilter`] and its
/// parameters, `$1` on.
pub(super) fn ticket_filter_sql(f: &TicketFilter) -> (String, Vec<String>) {
    let mut conds = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if !f.states.is_empty() {
        conds.push(format!("state IN ({})", params(binds.len() + 1, f.states.len())));
        binds.extend(f.states.iter().map(|s| s.as_str().to_string()));
    }
    if let Some(c) = f.code {
        binds.push(c.as_str().to_string());
        conds.push(format!("code = ${}", binds.len()));
    }
    if let Some(s) = &f.subject_number {
        binds.push(s.clone());
        conds.push(format!("subject_number = ${}", binds.len()));
    }
    if let Some(s) = &f.site_number {
        binds.push(s.clone());
        conds.push(format!("site_number = ${}", binds.len()));
    }
    let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    (filter, binds)
}

/// `$from,$from+1,…` for `n` parameters.
fn params(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

/// The run facts the ticket engine needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub id: i64,
    pub state: String,
    pub started_at: DateTime<Utc>,
    pub probes: Probes,
}

/// Which tickets `tickets list` shows.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub states: Vec<State>,
    pub code: Option<Code>,
    pub subject_number: Option<String>,
    pub site_number: Option<String>,
}

/// What applying one run did, and the totals after it (one row per run).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TicketRunRow {
    pub run_id: i64,
    pub applied_at: String,
    pub skipped: Option<String>,
    pub opened: i64,
    pub resolved: i64,
    pub superseded: i64,
    pub overdue: i64,
    pub escalated: i64,
    pub pending: i64,
    pub open_total: i64,
    pub overdue_total: i64,
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("stored date {s:?}"))
}

fn time(s: &str) -> Result<DateTime<Utc>> {
    clock::parse_stamp(s).ok_or_else(|| anyhow!("stored time {s:?}"))
}

pub(super) fn ticket_from_row(r: &AnyRow) -> Result<Ticket> {
    let code: String = r.get(3);
    let state: String = r.get(4);
    let appeal_state: Option<String> = r.get(11);
    let escalation_from: Option<String> = r.get(13);
    let evidence: String = r.get(16);
    let closed_at: Option<String> = r.get(17);
    Ok(Ticket {
        id: r.get(0),
        site_number: r.get(1),
        subject_number: r.get(2),
        code: Code::parse(&code).ok_or_else(|| anyhow!("stored ticket code {code:?}"))?,
        state: State::parse(&state).ok_or_else(|| anyhow!("stored ticket state {state:?}"))?,
        opened_at: time(&r.get::<String, _>(5))?,
        notice_date: date(&r.get::<String, _>(6))?,
        deadline: date(&r.get::<String, _>(7))?,
        period: r.get(8),
        period_start: date(&r.get::<String, _>(9))?,
        appeal_period: r.get(10),
        appeal_state: appeal_state.as_deref().map(|a| AppealState::parse(a).ok_or_else(|| anyhow!("stored appeal state {a:?}"))).transpose()?,
        escalation_level: r.get(12),
        escalation_from: escalation_from.as_deref().map(date).transpose()?,
        first_seen_at: time(&r.get::<String, _>(14))?,
        last_seen_at: time(&r.get::<String, _>(15))?,
        // Evidence is informative: an unreadable one must not hide the ticket.
        evidence: serde_json::from_str(&evidence).unwrap_or_default(),
        closed_at: closed_at.as_deref().map(time).transpose()?,
        updated_at: time(&r.get::<String, _>(18))?,
        version: r.get(19),
    })
}

fn entry_from_row(r: &AnyRow) -> Result<HistoryEntry> {
    let action: String = r.get(2);
    let from: Option<String> = r.get(3);
    let to: String = r.get(4);
    let detail: Option<String> = r.get(6);
    Ok(HistoryEntry {
        at: time(&r.get::<String, _>(0))?,
        actor: r.get(1),
        action: Action::parse(&action).ok_or_else(|| anyhow!("stored history action {action:?}"))?,
        from_state: from.as_deref().map(|s| State::parse(s).ok_or_else(|| anyhow!("stored state {s:?}"))).transpose()?,
        to_state: State::parse(&to).ok_or_else(|| anyhow!("stored state {to:?}"))?,
        reason: r.get(5),
        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
    })
}

async fn insert_entry(tx: &mut Transaction<'_, Any>, ticket_id: i64, e: &HistoryEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_history (ticket_id, at, actor, action, from_state, to_state, reason, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ticket_id)
    .bind(clock::stamp(e.at))
    .bind(e.actor.clone())
    .bind(e.action.as_str())
    .bind(e.from_state.map(|s| s.as_str().to_string()))
    .bind(e.to_state.as_str())
    .bind(e.reason.clone())
    .bind(e.detail.as_ref().map(|d| d.to_string()))
    .execute(&mut **tx)
    .await
    .context("storing ticket history")?;
    Ok(())
}

impl Store {
    /// A run's id, state, start and probes.
    pub async fn run_info(&self, run_id: i64) -> Result<Option<RunInfo>> {
        let row = sqlx::query("SELECT id, state, started_at, probes FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(RunInfo {
                id: r.get(0),
                state: r.get(1),
                started_at: time(&r.get::<String, _>(2))?,
                probes: Probes::parse(&r.get::<String, _>(3)),
            })
        })
        .transpose()
    }

    /// The site numbers a run checked.
    pub async fn run_site_numbers(&self, run_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT site_number FROM results WHERE run_id = $1 ORDER BY site_number")
            .bind(run_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    /// Results of completed runs (degraded and unfinished runs never count) for these sites,
    /// from runs started at or after `since` up to run `up_to`; newest run first per site.
    pub async fn result_history(&self, sites: &[String], since: DateTime<Utc>, up_to: i64) -> Result<HashMap<String, Vec<ResultObs>>> {
        let mut out: HashMap<String, Vec<ResultObs>> = HashMap::new();
        for chunk in sites.chunks(CHUNK) {
            let sql = format!(
                "SELECT r.run_id, u.started_at, u.probes, r.site_number, r.domain, r.inconclusive, r.http_status, r.codes \
                 FROM results r JOIN runs u ON u.id = r.run_id \
                 WHERE u.state = 'completed' AND u.started_at >= $1 AND r.run_id <= $2 AND r.site_number IN ({}) \
                 ORDER BY r.site_number, r.run_id DESC, r.domain",
                params(3, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(clock::stamp(since)).bind(up_to);
            for s in chunk {
                q = q.bind(s.clone());
            }
            for r in q.fetch_all(self.pool()).await? {
                let codes: String = r.get(7);
                let obs = ResultObs {
                    run_id: r.get(0),
                    run_at: time(&r.get::<String, _>(1))?,
                    probes: Probes::parse(&r.get::<String, _>(2)),
                    site_number: r.get(3),
                    domain: r.get(4),
                    inconclusive: r.get::<i64, _>(5) != 0,
                    http_status: r.get::<Option<i64>, _>(6).and_then(|s| u16::try_from(s).ok()),
                    codes: codes.split_whitespace().filter_map(Code::parse).collect(),
                };
                out.entry(obs.site_number.clone()).or_default().push(obs);
            }
        }
        Ok(out)
    }

    /// The stored evidence JSON of a run's conclusive checks with findings, for these sites:
    /// (site_number, evidence).
    pub async fn run_checks_with_findings(&self, run_id: i64, sites: &[String]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for chunk in sites.chunks(CHUNK) {
            let sql = format!(
                "SELECT site_number, evidence FROM results WHERE run_id = $1 AND inconclusive = 0 AND codes <> '' \
                 AND site_number IN ({}) ORDER BY site_number, domain",
                params(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(run_id);
            for s in chunk {
                q = q.bind(s.clone());
            }
            out.extend(q.fetch_all(self.pool()).await?.iter().map(|r| (r.get::<String, _>(0), r.get::<String, _>(1))));
        }
        Ok(out)
    }

    /// Filings by site number, removed ones included: site_number → (filing, removed).
    pub async fn filings_by_numbers(&self, sites: &[String]) -> Result<HashMap<String, (Filing, bool)>> {
        let mut out = HashMap::new();
        for chunk in sites.chunks(CHUNK) {
            let sql = format!(
                "SELECT {}, removed_at FROM filings WHERE site_number IN ({})",
                Self::FILING_COLUMNS,
                params(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q.bind(s.clone());
            }
            for r in q.fetch_all(self.pool()).await? {
                let f = filing_from_row(&r)?;
                let removed = r.get::<Option<String>, _>(11).is_some();
                out.insert(f.site_number.clone(), (f, removed));
            }
        }
        Ok(out)
    }

    /// Open and overdue tickets, of these sites or of all.
    pub async fn active_tickets(&self, sites: Option<&[String]>) -> Result<Vec<Ticket>> {
        let Some(sites) = sites else {
            let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE state IN ('open', 'overdue') ORDER BY id");
            return sqlx::query(&sql).fetch_all(self.pool()).await?.iter().map(ticket_from_row).collect();
        };
        let mut out = Vec::new();
        for chunk in sites.chunks(CHUNK) {
            let sql = format!(
                "SELECT {TICKET_COLUMNS} FROM tickets WHERE state IN ('open', 'overdue') AND site_number IN ({}) ORDER BY id",
                params(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q.bind(s.clone());
            }
            for r in q.fetch_all(self.pool()).await? {
                out.push(ticket_from_row(&r)?);
            }
        }
        Ok(out)
    }

    /// Tickets matching the filter, by id.
    pub async fn tickets(&self, f: &TicketFilter) -> Result<Vec<Ticket>> {
        use futures::TryStreamExt;
        let (filter, binds) = ticket_filter_sql(f);
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets{filter} ORDER BY id");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        // Read as a stream: each row is decoded as it comes, so the rows' text is not held
        // beside the tickets (a report reads every ticket ever opened).
        let mut rows = q.fetch(self.pool());
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await? {
            out.push(ticket_from_row(&row)?);
        }
        Ok(out)
    }

    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    /// A ticket's history, oldest first.
    pub async fn ticket_history(&self, id: i64) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query(
            "SELECT at, actor, action, from_state, to_state, reason, detail FROM ticket_history WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Stores a new ticket with its `opened` entry in one transaction and returns its id, or
    /// `None` when an open ticket for the same (site, code) already exists.
    pub async fn insert_ticket(&self, t: &Ticket, entry: &HistoryEntry) -> Result<Option<i64>> {
        let mut tx = self.pool().begin().await?;
        let sql = format!(
            "INSERT INTO tickets ({}) VALUES ({}) RETURNING id",
            TICKET_COLUMNS.trim_start_matches("id, "),
            params(1, 19)
        );
        let inserted = sqlx::query(&sql)
            .bind(t.site_number.clone())
            .bind(t.subject_number.clone())
            .bind(t.code.as_str())
            .bind(t.state.as_str())
            .bind(clock::stamp(t.opened_at))
            .bind(t.notice_date.to_string())
            .bind(t.deadline.to_string())
            .bind(t.period)
            .bind(t.period_start.to_string())
            .bind(t.appeal_period)
            .bind(t.appeal_state.map(|a| a.as_str().to_string()))
            .bind(t.escalation_level)
            .bind(t.escalation_from.map(|d| d.to_string()))
            .bind(clock::stamp(t.first_seen_at))
            .bind(clock::stamp(t.last_seen_at))
            .bind(serde_json::to_string(&t.evidence)?)
            .bind(t.closed_at.map(clock::stamp))
            .bind(clock::stamp(t.updated_at))
            .bind(t.version)
            .fetch_one(&mut *tx)
            .await;
        let id: i64 = match inserted {
            Ok(row) => row.get(0),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(None),
            Err(e) => return Err(e).context("storing a ticket"),
        };
        insert_entry(&mut tx, id, entry).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Applies changes (to one or several tickets) and their history entries in one transaction.
    /// Returns `false`, changing nothing, when a ticket is no longer at the version a change was
    /// made from (someone else changed it meanwhile).
    pub async fn apply_changes(&self, changes: &[Change]) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        for c in changes {
            let t = &c.ticket;
            let n = sqlx::query(
                "UPDATE tickets SET state = $1, deadline = $2, period = $3, period_start = $4, appeal_period = $5, \
                 appeal_state = $6, escalation_level = $7, escalation_from = $8, closed_at = $9, updated_at = $10, \
                 version = $11 WHERE id = $12 AND version = $13",
            )
            .bind(t.state.as_str())
            .bind(t.deadline.to_string())
            .bind(t.period)
            .bind(t.period_start.to_string())
            .bind(t.appeal_period)
            .bind(t.appeal_state.map(|a| a.as_str().to_string()))
            .bind(t.escalation_level)
            .bind(t.escalation_from.map(|d| d.to_string()))
            .bind(t.closed_at.map(clock::stamp))
            .bind(clock::stamp(t.updated_at))
            .bind(t.version)
            .bind(t.id)
            .bind(c.base_version())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            insert_entry(&mut tx, t.id, &c.entry).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces an open ticket's evidence with that of a newer sighting (not a transition: no
    /// history entry). `false` when the ticket changed meanwhile.
    pub async fn refresh_ticket_evidence(&self, t: &Ticket, evidence: &TicketEvidence, seen_at: DateTime<Utc>) -> Result<bool> {
        Ok(self.refresh_tickets_evidence(&[(t, evidence)], seen_at).await? == 1)
    }

    /// [`Store::refresh_ticket_evidence`] for many tickets in one transaction; returns how many
    /// were refreshed (tickets changed meanwhile are skipped).
    pub async fn refresh_tickets_evidence(&self, items: &[(&Ticket, &TicketEvidence)], seen_at: DateTime<Utc>) -> Result<usize> {
        let seen = clock::stamp(seen_at);
        let mut tx = self.pool().begin().await?;
        let mut n = 0;
        for (t, evidence) in items {
            n += sqlx::query("UPDATE tickets SET evidence = $1, last_seen_at = $2, version = version + 1 WHERE id = $3 AND version = $4")
                .bind(serde_json::to_string(evidence)?)
                .bind(seen.clone())
                .bind(t.id)
                .bind(t.version)
                .execute(&mut *tx)
                .await?
                .rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Records what applying a run did (again: the row is replaced).
    pub async fn record_ticket_run(&self, r: &TicketRunRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO ticket_runs (run_id, applied_at, skipped, opened, resolved, superseded, overdue, escalated, pending, \
             open_total, overdue_total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (run_id) DO UPDATE SET applied_at = excluded.applied_at, skipped = excluded.skipped, \
             opened = excluded.opened, resolved = excluded.resolved, superseded = excluded.superseded, \
             overdue = excluded.overdue, escalated = excluded.escalated, pending = excluded.pending, \
             open_total = excluded.open_total, overdue_total = excluded.overdue_total",
        )
        .bind(r.run_id)
        .bind(r.applied_at.clone())
        .bind(r.skipped.clone())
        .bind(r.opened)
        .bind(r.resolved)
        .bind(r.superseded)
        .bind(r.overdue)
        .bind(r.escalated)
        .bind(r.pending)
        .bind(r.open_total)
        .bind(r.overdue_total)
        .execute(self.pool())
        .await
        .context("recording the run's ticket changes")?;
        Ok(())
    }

    /// What the latest applied runs did, newest first.
    pub async fn ticket_runs(&self, limit: i64) -> Result<Vec<TicketRunRow>> {
        let rows = sqlx::query(
            "SELECT run_id, applied_at, skipped, opened, resolved, superseded, overdue, escalated, pending, open_total, \
             overdue_total FROM ticket_runs ORDER BY run_id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| TicketRunRow {
                run_id: r.get(0),
                applied_at: r.get(1),
                skipped: r.get(2),
                opened: r.get(3),
                resolved: r.get(4),
                superseded: r.get(5),
                overdue: r.get(6),
                escalated: r.get(7),
                pending: r.get(8),
                open_total: r.get(9),
                overdue_total: r.get(10),
            })
            .collect())
    }

    /// How the latest ended ticket of each (site, code) of these sites ended — closed by an
    /// operator, resolved or superseded — and when (the latest `closed_at`).
    pub async fn last_ended(&self, sites: &[String]) -> Result<HashMap<(String, Code), (State, DateTime<Utc>)>> {
        let mut out: HashMap<(String, Code), (State, DateTime<Utc>)> = HashMap::new();
        for chunk in sites.chunks(CHUNK) {
            let sql = format!(
                "SELECT site_number, code, state, closed_at FROM tickets \
                 WHERE state IN ('closed', 'resolved', 'superseded') AND closed_at IS NOT NULL AND site_number IN ({})",
                params(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q.bind(s.clone());
            }
            for r in q.fetch_all(self.pool()).await? {
                let code: String = r.get(1);
                let state: String = r.get(2);
                let (Some(code), Some(state)) = (Code::parse(&code), State::parse(&state)) else { continue };
                let at = time(&r.get::<String, _>(3))?;
                let slot = out.entry((r.get::<String, _>(0), code)).or_insert((state, at));
                if at > slot.1 {
                    *slot = (state, at);
                }
            }
        }
        Ok(out)
    }

    /// Site numbers with an open or overdue ticket: what a `select = "open_tickets"` scan re-checks.
    pub async fn active_ticket_sites(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT site_number FROM tickets WHERE state IN ('open', 'overdue') ORDER BY site_number")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    /// Open and overdue ticket counts.
    pub async fn active_ticket_totals(&self) -> Result<(i64, i64)> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM tickets WHERE state IN ('open', 'overdue') GROUP BY state")
            .fetch_all(self.pool())
            .await?;
        let mut open = 0;
        let mut overdue = 0;
        for r in rows {
            match r.get::<String, _>(0).as_str() {
                "open" => open = r.get(1),
                _ => overdue = r.get(1),
            }
        }
        Ok((open, overdue))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::each_backend;
    use crate::store::ResultRow;
    use crate::ticket::calendar::Calendar;
    use crate::ticket::lifecycle::{self, tests::{at, streak}};

    fn opened(site: &str, code: Code) -> (Ticket, HistoryEntry) {
        lifecycle::open(
            site,
            "京ICP备2024012345号",
            code,
            TicketEvidence { run_id: Some(2), domains: vec![] },
            &streak("2026-09-17T10:00:00+08:00", "2026-09-18T10:00:00+08:00"),
            10,
            &Calendar::new(&[], &[]),
            at("2026-09-18T10:00:00+08:00"),
        )
    }

    #[tokio::test]
    async fn tickets_round_trip_with_history_and_one_active_per_problem() {
        for store in each_backend().await {
            let (t, e) = opened("京ICP备2024012345号-1", Code::PageNumberMissing);
            let id = store.insert_ticket(&t, &e).await.unwrap().expect("inserted");
            // A second open ticket for the same problem is refused by the database itself.
            assert_eq!(store.insert_ticket(&t, &e).await.unwrap(), None);
            let (t2, e2) = opened("京ICP备2024012345号-1", Code::PageTitleMismatch);
            let id2 = store.insert_ticket(&t2, &e2).await.unwrap().unwrap();
            assert_ne!(id, id2);

            let stored = store.ticket(id).await.unwrap().unwrap();
            assert_eq!(stored, Ticket { id, ..t.clone() });
            assert_eq!(store.ticket_history(id).await.unwrap(), vec![e.clone()]);

            let now = at("2026-10-12T09:00:00+08:00");
            let ext = lifecycle::extend(&stored, "2026-10-20".parse().unwrap(), "more time", "alice", "2026-10-12".parse().unwrap(), now).unwrap();
            assert!(store.apply_changes(std::slice::from_ref(&ext)).await.unwrap());
            // The same change again is over a stale version: refused, nothing written.
            assert!(!store.apply_changes(std::slice::from_ref(&ext)).await.unwrap());
            let after = store.ticket(id).await.unwrap().unwrap();
            assert_eq!(after, ext.ticket);
            let hist = store.ticket_history(id).await.unwrap();
            assert_eq!(hist.len(), 2);
            assert_eq!(hist[1], ext.entry);

            let closed = lifecycle::close(&after, "duplicate of a manual case", "bob", now).unwrap();
            assert!(store.apply_changes(&[closed]).await.unwrap());
            // Once closed, a new ticket for the same problem may open.
            assert!(store.insert_ticket(&t, &e).await.unwrap().is_some());

            let f = TicketFilter { states: vec![State::Open], code: Some(Code::PageNumberMissing), ..Default::default() };
            let open = store.tickets(&f).await.unwrap();
            assert_eq!(open.len(), 1);
            assert_ne!(open[0].id, id);
            let f = TicketFilter { subject_number: Some("京ICP备2024012345号".into()), ..Default::default() };
            assert_eq!(store.tickets(&f).await.unwrap().len(), 3);
            assert_eq!(store.active_tickets(None).await.unwrap().len(), 2);
            assert_eq!(store.active_tickets(Some(&["京ICP备1号-1".to_string()])).await.unwrap().len(), 0);
            assert_eq!(store.active_ticket_totals().await.unwrap(), (2, 0));
            assert_eq!(store.active_ticket_sites().await.unwrap(), vec!["京ICP备2024012345号-1".to_string()]);

            let fresh = store.ticket(id2).await.unwrap().unwrap();
            let ev = TicketEvidence { run_id: Some(9), domains: vec![] };
            assert!(store.refresh_ticket_evidence(&fresh, &ev, now).await.unwrap());
            assert!(!store.refresh_ticket_evidence(&fresh, &ev, now).await.unwrap(), "stale version");
            let refreshed = store.ticket(id2).await.unwrap().unwrap();
            assert_eq!((refreshed.evidence.run_id, refreshed.last_seen_at), (Some(9), now));
        }
    }

    #[tokio::test]
    async fn a_failed_change_in_a_batch_rolls_back_the_others() {
        for store in each_backend().await {
            let (t, e) = opened("京ICP备2024012345号-1", Code::PageNumberMissing);
            let id = store.insert_ticket(&t, &e).await.unwrap().unwrap();
            let t = store.ticket(id).await.unwrap().unwrap();
            let now = at("2026-10-12T09:00:00+08:00");
            let a = lifecycle::appeal(&t, "first", "alice", now).unwrap();
            let stale = lifecycle::close(&t, "stale", "bob", now).unwrap();
            assert!(!store.apply_changes(&[a, stale]).await.unwrap());
            assert_eq!(store.ticket(id).await.unwrap().unwrap(), t);
            assert_eq!(store.ticket_history(id).await.unwrap().len(), 1);
        }
    }

    #[tokio::test]
    async fn result_history_reads_completed_runs_only_newest_first() {
        for store in each_backend().await {
            let site = "京ICP备2024012345号-1".to_string();
            let mut ids = Vec::new();
            for (i, state) in ["completed", "degraded", "completed"].iter().enumerate() {
                let started = at("2026-09-17T10:00:00+08:00") + chrono::Duration::hours(12 * i as i64);
                let id = store.start_run("manual", "dns,http,page", 1, started).await.unwrap();
                let row = ResultRow {
                    site_number: site.clone(),
                    domain: "a.example.cn".into(),
                    checked_at: started,
                    inconclusive: false,
                    http_status: Some(200),
                    final_url: None,
                    title: None,
                    codes: "page.number_missing page.title_mismatch".into(),
                    evidence: "{}".into(),
                };
                store.record_results(id, &[row]).await.unwrap();
                store.finish_run(id, state, 1, 0, 1, None, started).await.unwrap();
                ids.push(id);
            }
            let info = store.run_info(ids[2]).await.unwrap().unwrap();
            assert_eq!((info.state.as_str(), info.probes), ("completed", Probes::parse("dns,http,page")));
            assert_eq!(store.run_site_numbers(ids[2]).await.unwrap(), vec![site.clone()]);
            let h = store.result_history(std::slice::from_ref(&site), at("2026-09-01T00:00:00Z"), ids[2]).await.unwrap();
            let rows = &h[&site];
            assert_eq!(rows.iter().map(|r| r.run_id).collect::<Vec<_>>(), vec![ids[2], ids[0]]);
            assert_eq!(rows[0].codes, vec![Code::PageNumberMissing, Code::PageTitleMismatch]);
            assert_eq!(rows[0].http_status, Some(200));
            // `since` and `up_to` bound the window.
            let h = store.result_history(std::slice::from_ref(&site), at("2026-09-18T00:00:00Z"), ids[2]).await.unwrap();
            assert_eq!(h[&site].len(), 1);
            let h = store.result_history(std::slice::from_ref(&site), at("2026-09-01T00:00:00Z"), ids[0]).await.unwrap();
            assert_eq!(h[&site].len(), 1);
            assert_eq!(store.run_checks_with_findings(ids[2], std::slice::from_ref(&site)).await.unwrap(), vec![(site.clone(), "{}".to_string())]);

            let tr = TicketRunRow { run_id: ids[2], applied_at: "x".into(), opened: 1, open_total: 1, ..Default::default() };
            store.record_ticket_run(&tr).await.unwrap();
            store.record_ticket_run(&TicketRunRow { opened: 2, ..tr.clone() }).await.unwrap();
            assert_eq!(store.ticket_runs(5).await.unwrap(), vec![TicketRunRow { opened: 2, ..tr }]);
        }
    }
}
