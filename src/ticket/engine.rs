//! Applies what happened to the stored tickets: a finished scan run ([`apply_run`]) and the
//! passage of time and filing changes ([`sweep`]).
//!
//! Rules (see [`super::observe`] for what counts as an observation):
//! - a run that is not `completed` (a `degraded` run: most checks failed on our side) changes
//!   nothing at all, and its results are never read as observations later either;
//! - a (filing, code) whose observation in this run is *present* opens a ticket once the present
//!   streak is confirmed (`confirm_rule`), unless an open or overdue ticket exists — then the
//!   ticket's evidence is refreshed — or an operator closed its latest ticket while the streak
//!   was already running (or the streak reaches back past all the history read and the
//!   history since the close, as far as retention keeps it, holds no absence): a closed
//!   ticket is not reopened for the same continuing occurrence, however long it lasts; only
//!   after the problem has been seen gone does a new confirmed occurrence open a new one;
//! - an open or overdue ticket whose observation in this run is *absent* resolves once the
//!   absent streak is confirmed (the automatic re-check);
//! - no observation in this run (inconclusive, not checked) decides nothing;
//! - the sweep supersedes tickets of filings that were cancelled, deregistered or removed (a
//!   `filing.unfiled_served` ticket is about a cancelled filing and stays), marks tickets past
//!   their deadline overdue and records the escalation steps that are due.

use super::calendar::Calendar;
use super::evidence::{self, TicketEvidence};
use super::lifecycle::{self, Change};
use super::observe::{self, Seen};
use super::{shanghai_date, Action, State, Ticket};
use crate::clock;
use crate::config::Config;
use crate::filing::FilingStatus;
use crate::finding::Code;
use crate::store::tickets::TicketRunRow;
use crate::store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Duration, Utc};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Sites handled per batch of queries.
const BATCH: usize = 500;

/// History read back beyond the longest confirmation window, so that sparse scans still find
/// enough observations.
pub const LOOKBACK_SLACK_DAYS: i64 = 30;

/// What applying a run (or a sweep) changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub run_id: Option<i64>,
    /// Why nothing was changed (a degraded run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Ids of the tickets opened.
    pub opened: Vec<i64>,
    pub resolved: Vec<i64>,
    pub superseded: Vec<i64>,
    pub overdue: Vec<i64>,
    /// Escalation steps recommended.
    pub escalated: usize,
    /// Open tickets whose evidence was refreshed by a new sighting.
    pub refreshed: usize,
    /// Findings seen but not yet confirmed (no ticket yet).
    pub pending: usize,
    /// Confirmed findings not ticketed because an operator closed their ticket during this
    /// same occurrence.
    pub waived: usize,
    /// Changes not made because another process changed the ticket first (retried next time).
    pub conflicts: usize,
    pub open_total: i64,
    pub overdue_total: i64,
}

impl Outcome {
    /// One line for `scan` and `demo`.
    pub fn render(&self) -> String {
        if let Some(why) = &self.skipped {
            return format!("tickets: unchanged: {why}\n");
        }
        let mut s = format!(
            "tickets: {} opened, {} resolved, {} superseded, {} became overdue, {} escalation step(s) recommended; \
             {} finding(s) awaiting confirmation; now {} open, {} overdue",
            self.opened.len(),
            self.resolved.len(),
            self.superseded.len(),
            self.overdue.len(),
            self.escalated,
            self.pending,
            self.open_total,
            self.overdue_total
        );
        if self.waived > 0 {
            s.push_str(&format!("; {} continuing finding(s) not reopened after an operator closed them", self.waived));
        }
        if self.conflicts > 0 {
            s.push_str(&format!(" ({} change(s) deferred: the ticket changed meanwhile)", self.conflicts));
        }
        s.push('\n');
        s
    }

    fn count(&mut self, changes: &[Change]) {
        for c in changes {
            match c.entry.action {
                Action::Overdue => self.overdue.push(c.ticket.id),
                Action::EscalationRecommended => self.escalated += 1,
                Action::Superseded => self.superseded.push(c.ticket.id),
                Action::Resolved => self.resolved.push(c.ticket.id),
                _ => {}
            }
        }
    }
}

/// Stores changes of one ticket in one transaction; counts them, or the conflict.
async fn store_changes(store: &Store, changes: Vec<Change>, out: &mut Outcome) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    if store.apply_changes(&changes).await? {
        out.count(&changes);
    } else {
        tracing::warn!(ticket = changes[0].ticket.id, "ticket changed concurrently; change deferred");
        out.conflicts += 1;
    }
    Ok(())
}

/// Supersedes tickets of filings no longer active, marks overdue tickets and recommends due
/// escalation steps. Called by [`apply_run`] and before `tickets` and `report` read tickets.
pub async fn sweep(store: &Store, cfg: &Config, now: DateTime<Utc>) -> Result<Outcome> {
    let cal = Calendar::from_config(&cfg.tickets);
    let mut out = Outcome::default();
    sweep_into(store, cfg, &cal, now, &mut out).await?;
    let (open, overdue) = store.active_ticket_totals().await?;
    out.open_total = open;
    out.overdue_total = overdue;
    Ok(out)
}

async fn sweep_into(store: &Store, cfg: &Config, cal: &Calendar, now: DateTime<Utc>, out: &mut Outcome) -> Result<()> {
    let today = shanghai_date(now);
    let active = store.active_tickets(None).await?;
    let sites: Vec<String> = active.iter().map(|t| t.site_number.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let filings = store.filings_by_numbers(&sites).await?;
    for t in &active {
        let why = match filings.get(&t.site_number) {
            None => Some(format!("filing {} is no longer on record", t.site_number)),
            Some((_, true)) => Some(format!("filing {} was removed from the imported filings", t.site_number)),
            Some((f, false)) if f.status != FilingStatus::Active && t.code != Code::FilingUnfiledServed => Some(format!(
                "filing {} is now {} ({}): the ticket no longer applies",
                t.site_number,
                f.status.as_str(),
                f.status.zh()
            )),
            _ => None,
        };
        let changes = match why {
            Some(why) => vec![lifecycle::supersede(t, &why, now)?],
            None => lifecycle::advance(t, cal, &cfg.tickets.escalation, today, now),
        };
        store_changes(store, changes, out).await?;
    }
    Ok(())
}

/// Whether a code may open a ticket on a filing of this status.
fn applies(code: Code, status: FilingStatus) -> bool {
    (code == Code::FilingUnfiledServed) == (status != FilingStatus::Active)
}

/// Applies a finished run to the tickets (see the module doc). Call after every `scan::run`.
pub async fn apply_run(store: &Store, cfg: &Config, run_id: i64, now: DateTime<Utc>) -> Result<Outcome> {
    let run = store.run_info(run_id).await?.with_context(|| format!("no scan run {run_id}"))?;
    let mut out = Outcome { run_id: Some(run_id), ..Outcome::default() };
    if run.state != "completed" {
        out.skipped = Some(format!(
            "run {run_id} is {}: a failure on the scanner's side never opens, resolves or changes a ticket",
            run.state
        ));
    } else {
        apply_completed(store, cfg, &run, now, &mut out).await?;
    }
    let (open, overdue) = store.active_ticket_totals().await?;
    out.open_total = open;
    out.overdue_total = overdue;
    store
        .record_ticket_run(&TicketRunRow {
            run_id,
            applied_at: clock::stamp(now),
            skipped: out.skipped.clone(),
            opened: out.opened.len() as i64,
            resolved: out.resolved.len() as i64,
            superseded: out.superseded.len() as i64,
            overdue: out.overdue.len() as i64,
            escalated: out.escalated as i64,
            pending: out.pending as i64,
            open_total: open,
            overdue_total: overdue,
        })
        .await?;
    Ok(out)
}

/// A decision about one (site, code) in this run.
enum Decision {
    Open { site: String, code: Code, streak: observe::Streak },
    Refresh { ticket: Ticket },
    Resolve { ticket: Ticket, streak: observe::Streak },
}

/// A present problem no close waives: its ticket opens once the streak is confirmed under
/// `(scans, hours)`; until then it is pending.
fn open_when_confirmed(decisions: &mut Vec<Decision>, out: &mut Outcome, site: String, code: Code, streak: observe::Streak, (scans, hours): (u32, u32)) {
    if streak.confirmed(scans, hours) {
        decisions.push(Decision::Open { site, code, streak });
    } else {
        out.pending += 1;
    }
}

async fn apply_completed(store: &Store, cfg: &Config, run: &crate::store::tickets::RunInfo, now: DateTime<Utc>, out: &mut Outcome) -> Result<()> {
    let cal = Calendar::from_config(&cfg.tickets);
    sweep_into(store, cfg, &cal, now, out).await?;

    let longest = Code::ALL.iter().filter(|c| c.is_customer_problem()).map(|c| cfg.confirm_rule(*c).1).max().unwrap_or(0);
    let since = run.started_at - Duration::hours(i64::from(longest)) - Duration::days(LOOKBACK_SLACK_DAYS);
    let sites = store.run_site_numbers(run.id).await?;
    for chunk in sites.chunks(BATCH) {
        let filings = store.filings_by_numbers(chunk).await?;
        // Every completed run, also those started after this one: a run that finishes (and is
        // applied) late must not act on what newer runs have already seen differently.
        let history = store.result_history(chunk, since, i64::MAX).await?;
        let ended = store.last_ended(chunk).await?;
        let mut active: HashMap<(String, Code), Ticket> = HashMap::new();
        for t in store.active_tickets(Some(chunk)).await? {
            active.insert((t.site_number.clone(), t.code), t);
        }

        let mut decisions = Vec::new();
        // Present streaks of problems whose latest ticket an operator closed, which reach back
        // past all the history read: whether the problem was seen gone since the close is
        // decided below, from the history since the close.
        let mut since_close: Vec<(String, Code, DateTime<Utc>, observe::Streak)> = Vec::new();
        for site in chunk {
            let (Some((filing, false)), Some(rows)) = (filings.get(site), history.get(site)) else { continue };
            if !rows.iter().any(|r| r.run_id == run.id) {
                continue; // every result of this site in this run is missing from history
            }
            let filing_active = filing.status == FilingStatus::Active;
            let mut codes: BTreeSet<Code> =
                rows.iter().filter(|r| r.run_id == run.id).flat_map(|r| r.codes.iter().copied()).collect();
            codes.extend(active.keys().filter(|(s, _)| s == site).map(|(_, c)| *c));
            for code in codes.into_iter().filter(|c| c.is_customer_problem()) {
                let obs = observe::series(code, &filing.domains, filing_active, rows);
                // Nothing decisive in this run (inconclusive, partly checked), or a newer run
                // already observed this problem: no change.
                if obs.first().map(|o| o.run_id) != Some(run.id) {
                    continue;
                }
                let Some(streak) = observe::streak(&obs) else { continue };
                let (scans, hours) = cfg.confirm_rule(code);
                let ticket = active.get(&(site.clone(), code));
                match (ticket, streak.seen) {
                    (None, Seen::Present) if applies(code, filing.status) => {
                        // The latest ticket of this problem was closed by an operator, and the
                        // problem has not been seen gone since: the streak began before the close,
                        // or it reaches back past all the history read (bounded by the lookback)
                        // and the history since the close (bounded by retention) holds no absence.
                        match ended.get(&(site.clone(), code)) {
                            Some((State::Closed, c)) if streak.first_at <= *c => out.waived += 1,
                            Some((State::Closed, c)) if streak.count as usize == obs.len() => {
                                since_close.push((site.clone(), code, *c, streak))
                            }
                            _ => open_when_confirmed(&mut decisions, out, site.clone(), code, streak, (scans, hours)),
                        }
                    }
                    (Some(t), Seen::Present) => decisions.push(Decision::Refresh { ticket: t.clone() }),
                    (Some(t), Seen::Absent) if streak.confirmed(scans, hours) => {
                        decisions.push(Decision::Resolve { ticket: t.clone(), streak })
                    }
                    _ => {}
                }
            }
        }

        if let Some(oldest) = since_close.iter().map(|(_, _, c, _)| *c).min() {
            let sites: Vec<String> = since_close.iter().map(|(s, ..)| s.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            let longer = store.result_history(&sites, oldest, i64::MAX).await?;
            for (site, code, closed_at, streak) in since_close {
                let Some((filing, _)) = filings.get(&site) else { continue };
                let rows = longer.get(&site).map_or(&[][..], Vec::as_slice);
                let obs = observe::series(code, &filing.domains, filing.status == FilingStatus::Active, rows);
                let seen_gone = obs.iter().any(|o| o.at >= closed_at && o.seen == Seen::Absent);
                if seen_gone {
                    open_when_confirmed(&mut decisions, out, site, code, streak, cfg.confirm_rule(code));
                } else {
                    out.waived += 1;
                }
            }
        }

        // Evidence is read only for the sites that need it, from this run's checks.
        let need: Vec<String> = decisions
            .iter()
            .filter_map(|d| match d {
                Decision::Open { site, .. } => Some(site.clone()),
                Decision::Refresh { ticket } => Some(ticket.site_number.clone()),
                Decision::Resolve { .. } => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut checks: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
        for (site, json) in store.run_checks_with_findings(run.id, &need).await? {
            match serde_json::from_str(&json) {
                Ok(v) => checks.entry(site).or_default().push(v),
                Err(e) => tracing::warn!(%site, "unreadable check evidence in run {}: {e}", run.id),
            }
        }
        let evidence_for = |site: &str, code: Code| TicketEvidence {
            run_id: Some(run.id),
            domains: checks.get(site).map(|v| v.iter().filter_map(|c| evidence::from_check(code, c)).collect()).unwrap_or_default(),
        };

        let mut refresh: Vec<(Ticket, TicketEvidence)> = Vec::new();
        for d in decisions {
            match d {
                Decision::Open { site, code, streak } => {
                    let (filing, _) = &filings[&site];
                    let days = cfg.deadline_days(code);
                    let (t, entry) =
                        lifecycle::open(&site, &filing.subject_number, code, evidence_for(&site, code), &streak, days, &cal, now);
                    if !cal.covers(t.deadline.year()) {
                        tracing::warn!(
                            "deadline {} of a {code} ticket for {site} is in a year whose holiday arrangement is not \
                             bundled: weekends and the statutory holidays were skipped, not the year's bridging days; add \
                             them to tickets.extra_holidays (and its make-up working days to tickets.extra_workdays)",
                            t.deadline
                        );
                    }
                    match store.insert_ticket(&t, &entry).await? {
                        Some(id) => out.opened.push(id),
                        None => out.conflicts += 1, // opened meanwhile by another process
                    }
                }
                Decision::Refresh { ticket } => {
                    let ev = evidence_for(&ticket.site_number, ticket.code);
                    if !ev.domains.is_empty() {
                        refresh.push((ticket, ev));
                    }
                }
                Decision::Resolve { ticket, streak } => {
                    let change = lifecycle::resolve(&ticket, &streak, now)?;
                    store_changes(store, vec![change], out).await?;
                }
            }
        }
        if !refresh.is_empty() {
            let items: Vec<(&Ticket, &TicketEvidence)> = refresh.iter().map(|(t, e)| (t, e)).collect();
            out.refreshed += store.refresh_tickets_evidence(&items, run.started_at).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filing::Filing;
    use crate::store::testing::each_backend;
    use crate::store::ResultRow;
    use crate::ticket::State;
    use std::path::Path;

    const SITE: &str = "京ICP备2024012345号-1";

    fn cfg(extra: &str) -> Config {
        Config::parse(
            &format!("[provider]\nname = \"t\"\ninventory = \"inv.csv\"\n[dns]\nnameservers = [\"127.0.0.1:53\"]\n{extra}"),
            Path::new("/tmp/beiand.toml"),
        )
        .unwrap()
    }

    fn filing(status: FilingStatus) -> Filing {
        Filing {
            site_number: SITE.into(),
            subject_number: "京ICP备2024012345号".into(),
            site_name: "示例科技官网".into(),
            subject_name: Some("北京示例科技有限公司".into()),
            subject_nature: None,
            domains: vec!["www.example.cn".into()],
            filed_ips: vec![],
            psb_number: None,
            status,
            province: None,
            homepage: None,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Stores a run with one check of www.example.cn and applies it.
    async fn scan(store: &Store, cfg: &Config, when: &str, state: &str, codes: &[&str], inconclusive: bool) -> Outcome {
        let id = store.start_run("manual", "dns,http,page", 1, at(when)).await.unwrap();
        finish(store, cfg, id, when, state, codes, inconclusive).await
    }

    /// Two scans that see the title wrong open its ticket (the default confirmation); its id.
    async fn open_title_ticket(store: &Store, cfg: &Config) -> i64 {
        scan(store, cfg, "2026-09-17T10:00:00+08:00", "completed", &["page.title_mismatch"], false).await;
        scan(store, cfg, "2026-09-18T10:00:00+08:00", "completed", &["page.title_mismatch"], false).await.opened[0]
    }

    /// An operator closes ticket `id` at `when` (a false positive, checked by hand).
    async fn close_by_operator(store: &Store, id: i64, when: &str) {
        let t = store.ticket(id).await.unwrap().unwrap();
        let c = lifecycle::close(&t, "title is set by JavaScript; checked by hand", "alice", at(when)).unwrap();
        assert!(store.apply_changes(&[c]).await.unwrap());
    }

    /// Stores the check of www.example.cn in run `id`, finishes the run and applies it.
    async fn finish(store: &Store, cfg: &Config, id: i64, when: &str, state: &str, codes: &[&str], inconclusive: bool) -> Outcome {
        let t = at(when);
        let findings: Vec<_> = codes.iter().map(|c| serde_json::json!({"code": c, "detail": "seen"})).collect();
        let evidence = serde_json::json!({"domain": "www.example.cn", "http_status": 200, "title": "首页",
            "ips": [{"ip": "47.93.1.1", "class": "provider_mainland"}], "findings": findings});
        let row = ResultRow {
            site_number: SITE.into(),
            domain: "www.example.cn".into(),
            checked_at: t,
            inconclusive,
            http_status: (!inconclusive).then_some(200),
            final_url: None,
            title: None,
            codes: codes.join(" "),
            evidence: evidence.to_string(),
        };
        store.record_results(id, &[row]).await.unwrap();
        store.finish_run(id, state, 1, inconclusive as usize, 1, None, t).await.unwrap();
        apply_run(store, cfg, id, t).await.unwrap()
    }

    #[tokio::test]
    async fn confirmed_problem_opens_one_ticket_and_resolves_after_a_confirmed_fix() {
        let cfg = cfg("");
        for store in each_backend().await {
            store.upsert_filings(&[filing(FilingStatus::Active)], at("2026-09-01T00:00:00Z")).await.unwrap();
            let o = scan(&store, &cfg, "2026-09-17T10:00:00+08:00", "completed", &["page.number_missing"], false).await;
            assert_eq!((o.opened.len(), o.pending), (0, 1));
            // An inconclusive check in between neither confirms nor breaks the streak.
            scan(&store, &cfg, "2026-09-17T22:00:00+08:00", "completed", &[], true).await;
            let o = scan(&store, &cfg, "2026-09-18T10:00:00+08:00", "completed", &["page.number_missing"], false).await;
            assert_eq!(o.opened.len(), 1, "{o:?}");
            let id = o.opened[0];
            let t = store.ticket(id).await.unwrap().unwrap();
            assert_eq!((t.state, t.deadline.to_string()), (State::Open, "2026-10-09".to_string()));
            assert_eq!(t.evidence.domains[0].ips[0].ip, "47.93.1.1");
            assert_eq!(t.evidence.domains[0].findings[0].code, Code::PageNumberMissing);

            // Seen again: the same ticket, its evidence refreshed.
            let o = scan(&store, &cfg, "2026-09-19T10:00:00+08:00", "completed", &["page.number_missing"], false).await;
            assert_eq!((o.opened.len(), o.refreshed, o.open_total), (0, 1, 1));

            // A degraded run with the problem gone changes nothing and is never counted.
            let o = scan(&store, &cfg, "2026-09-20T10:00:00+08:00", "degraded", &[], false).await;
            assert!(o.skipped.is_some());
            assert_eq!(store.ticket(id).await.unwrap().unwrap().version, t.version + 1);

            // Fixed: one passing check is not enough, two a day apart are.
            let o = scan(&store, &cfg, "2026-09-21T10:00:00+08:00", "completed", &[], false).await;
            assert!(o.resolved.is_empty());
            let o = scan(&store, &cfg, "2026-09-22T09:00:00+08:00", "completed", &[], false).await;
            assert!(o.resolved.is_empty(), "23 h is short of the 24 h window");
            let o = scan(&store, &cfg, "2026-09-22T11:00:00+08:00", "completed", &[], false).await;
            assert_eq!(o.resolved, vec![id]);
            let hist = store.ticket_history(id).await.unwrap();
            assert_eq!(hist.iter().map(|h| h.action).collect::<Vec<_>>(), vec![Action::Opened, Action::Resolved]);
            assert!(hist.iter().all(|h| h.actor == "scanner"));
            let runs = store.ticket_runs(20).await.unwrap();
            assert_eq!(runs.len(), 8);
            assert_eq!(runs[0].resolved, 1);
            assert!(runs.iter().any(|r| r.skipped.is_some()));
        }
    }

    #[tokio::test]
    async fn a_flap_never_opens_and_degraded_runs_are_not_observations() {
        let cfg = cfg("");
        for store in each_backend().await {
            store.upsert_filings(&[filing(FilingStatus::Active)], at("2026-09-01T00:00:00Z")).await.unwrap();
            scan(&store, &cfg, "2026-09-16T10:00:00+08:00", "completed", &[], false).await;
            scan(&store, &cfg, "2026-09-17T10:00:00+08:00", "completed", &["page.title_mismatch"], false).await;
            let o = scan(&store, &cfg, "2026-09-18T10:00:00+08:00", "completed", &[], false).await;
            assert_eq!((o.opened.len(), o.pending), (0, 0));
            // Sightings in degraded runs do not confirm anything.
            scan(&store, &cfg, "2026-09-19T10:00:00+08:00", "degraded", &["page.title_mismatch"], false).await;
            let o = scan(&store, &cfg, "2026-09-20T10:00:00+08:00", "completed", &["page.title_mismatch"], false).await;
            assert_eq!((o.opened.len(), o.pending), (0, 1));
            assert!(store.tickets(&Default::default()).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn an_operator_close_sticks_while_the_problem_continues() {
        let cfg = cfg("");
        for store in each_backend().await {
            store.upsert_filings(&[filing(FilingStatus::Active)], at("2026-09-01T00:00:00Z")).await.unwrap();
            let id = open_title_ticket(&store, &cfg).await;
            close_by_operator(&store, id, "2026-09-18T12:00:00+08:00").await;
            let o = scan(&store, &cfg, "2026-09-19T10:00:00+08:00", "completed", &["page.title_mismatch"], false).await;
            assert_eq!((o.opened.len(), o.waived), (0, 1));
            assert!(o.render().contains("not reopened"));
            // Gone, then back and confirmed: a new occurrence, a new ticket.
            scan(&store, &cfg, "2026-09-20T10:00:00+08:00", "completed", &[], false).await;
            scan(&store, &cfg, "2026-09-21T10:00:00+08:00", "completed", &["page.title_mismatch"], false).await;
            let o = scan(&store, &cfg, "2026-09-22T10:00:00+08:00", "completed", &["page.title_mismatch"], false).await;
            assert_eq!((o.opened.len(), o.waived), (1, 0));
            assert_ne!(o.opened[0], id);
        }
    }

    #[tokio::test]
    async fn an_operator_close_sticks_while_the_problem_continues_beyond_the_history_read_back() {
        // The history read back is bounded (confirmation window + LOOKBACK_SLACK_DAYS), and
        // results are deleted after database.keep_days: a problem that simply goes on for
        // months after an operator closed its ticket is still the same occurrence.
        let cfg = cfg("");
        for store in each_backend().await {
            store.upsert_filings(&[filing(FilingStatus::Active)], at("2026-09-01T00:00:00Z")).await.unwrap();
            let id = open_title_ticket(&store, &cfg).await;
            close_by_operator(&store, id, "2026-09-18T12:00:00+08:00").await;
            let start = at("2026-09-19T10:00:00+08:00");
            for week in 0..12 {
                let when = clock::stamp(start + Duration::days(7 * week));
                let o = scan(&store, &cfg, &when, "completed", &["page.title_mismatch"], false).await;
                assert_eq!((o.opened.len(), o.waived), (0, 1), "week {week}: {o:?}");
            }
            assert_eq!(store.tickets(&Default::default()).await.unwrap().len(), 1);
            // Seen gone once after the close, then back and confirmed: a new occurrence.
            let later = start + Duration::days(7 * 12);
            scan(&store, &cfg, &clock::stamp(later), "completed", &[], false).await;
            scan(&store, &cfg, &clock::stamp(later + Duration::days(1)), "completed", &["page.title_mismatch"], false).await;
            let o = scan(&store, &cfg, &clock::stamp(later + Duration::days(2)), "completed", &["page.title_mismatch"], false).await;
            assert_eq!((o.opened.len(), o.waived), (1, 0), "{o:?}");
        }
    }

    #[tokio::test]
    async fn an_older_run_finishing_after_a_newer_one_does_not_act_on_stale_state() {
        // Runs overlap (a nightly run spread over an hour, an operator's re-check meanwhile):
        // the later run may finish, and be applied, first.
        let cfg = cfg("");
        for store in each_backend().await {
            store.upsert_filings(&[filing(FilingStatus::Active)], at("2026-09-01T00:00:00Z")).await.unwrap();
            scan(&store, &cfg, "2026-09-17T10:00:00+08:00", "completed", &["page.number_missing"], false).await;
            let nightly = store.start_run("nightly", "dns,http,page", 1, at("2026-09-18T10:00:00+08:00")).await.unwrap();
            // The re-check, after the customer's fix, finishes first: one passing check, no decision.
            let o = scan(&store, &cfg, "2026-09-18T10:30:00+08:00", "completed", &[], false).await;
            assert_eq!((o.opened.len(), o.pending), (0, 0));
            // The nightly run checked the site before the fix and finishes last. Its sighting is
            // older than the passing re-check: no ticket for a problem already seen fixed.
            let o = finish(&store, &cfg, nightly, "2026-09-18T10:00:00+08:00", "completed", &["page.number_missing"], false).await;
            assert_eq!(o.opened, Vec::<i64>::new(), "{o:?}");
            assert!(store.tickets(&Default::default()).await.unwrap().is_empty());

            // A newer DNS-only run finishing first says nothing about the page: the older full
            // run's sighting is still the newest observation of a page code, and counts.
            let full = store.start_run("nightly", "dns,http,page", 1, at("2026-09-19T10:00:00+08:00")).await.unwrap();
            let t = at("2026-09-19T10:30:00+08:00");
            let dns = store.start_run("dns", "dns", 1, t).await.unwrap();
            let row = ResultRow {
                site_number: SITE.into(),
                domain: "www.example.cn".into(),
                checked_at: t,
                inconclusive: false,
                http_status: None,
                final_url: None,
                title: None,
                codes: String::new(),
                evidence: "{}".into(),
            };
            store.record_results(dns, &[row]).await.unwrap();
            store.finish_run(dns, "completed", 1, 0, 0, None, t).await.unwrap();
            apply_run(&store, &cfg, dns, t).await.unwrap();
            let o = finish(&store, &cfg, full, "2026-09-19T10:00:00+08:00", "completed", &["page.number_missing"], false).await;
            assert_eq!((o.opened.len(), o.pending), (0, 1), "{o:?}");
        }
    }

    #[tokio::test]
    async fn per_code_confirmation_and_deadline_overrides() {
        let cfg = cfg("[tickets]\nconfirm_scans = 3\n[tickets.confirm.\"page.number_missing\"]\nscans = 1\nhours = 0\n[tickets.deadline_days]\n\"page.number_missing\" = 3\n");
        for store in each_backend().await {
            store.upsert_filings(&[filing(FilingStatus::Active)], at("2026-09-01T00:00:00Z")).await.unwrap();
            let o = scan(&store, &cfg, "2026-09-30T10:00:00+08:00", "completed", &["page.number_missing", "page.title_mismatch"], false).await;
            assert_eq!((o.opened.len(), o.pending), (1, 1));
            let t = store.ticket(o.opened[0]).await.unwrap().unwrap();
            assert_eq!(t.code, Code::PageNumberMissing);
            // 3 working days after Wednesday 9/30: 10/8, 10/9, 10/10 (a make-up Saturday).
            assert_eq!(t.deadline.to_string(), "2026-10-10");
        }
    }

    #[tokio::test]
    async fn sweep_marks_overdue_escalates_and_supersedes() {
        let cfg = cfg("");
        for store in each_backend().await {
            store.upsert_filings(&[filing(FilingStatus::Active)], at("2026-09-01T00:00:00Z")).await.unwrap();
            scan(&store, &cfg, "2026-09-17T10:00:00+08:00", "completed", &["page.number_missing"], false).await;
            let id = scan(&store, &cfg, "2026-09-18T10:00:00+08:00", "completed", &["page.number_missing"], false).await.opened[0];
            let o = sweep(&store, &cfg, at("2026-10-09T23:59:00+08:00")).await.unwrap();
            assert!(o.overdue.is_empty());
            // Past the deadline, but every check since failed on our side: overdue, no escalation.
            let o = scan(&store, &cfg, "2026-10-10T10:00:00+08:00", "completed", &[], true).await;
            assert_eq!((o.overdue.clone(), o.escalated, o.overdue_total), (vec![id], 0, 1));
            let o = scan(&store, &cfg, "2026-10-11T10:00:00+08:00", "degraded", &["page.number_missing"], false).await;
            assert!(o.skipped.is_some());
            let o = sweep(&store, &cfg, at("2026-10-12T09:00:00+08:00")).await.unwrap();
            assert_eq!((o.overdue.len(), o.escalated), (0, 0), "not seen after the deadline");
            // Seen still there: the restriction is recommended.
            scan(&store, &cfg, "2026-10-12T10:00:00+08:00", "completed", &["page.number_missing"], false).await;
            let o = sweep(&store, &cfg, at("2026-10-12T10:05:00+08:00")).await.unwrap();
            assert_eq!((o.overdue.len(), o.escalated, o.overdue_total), (0, 1, 1));
            let o = sweep(&store, &cfg, at("2026-10-12T11:00:00+08:00")).await.unwrap();
            assert_eq!((o.overdue.len(), o.escalated), (0, 0), "nothing twice");

            // The filing is deregistered: the ticket is superseded; a cancelled filing still served
            // opens its own ticket, which is not superseded.
            store.upsert_filings(&[filing(FilingStatus::Deregistered)], at("2026-10-13T00:00:00Z")).await.unwrap();
            let o = sweep(&store, &cfg, at("2026-10-13T10:00:00+08:00")).await.unwrap();
            assert_eq!(o.superseded, vec![id]);
            let hist = store.ticket_history(id).await.unwrap();
            assert_eq!(
                hist.iter().map(|h| h.action).collect::<Vec<_>>(),
                vec![Action::Opened, Action::Overdue, Action::EscalationRecommended, Action::Superseded]
            );
            assert!(hist[3].reason.contains("deregistered"));
            scan(&store, &cfg, "2026-10-13T10:00:00+08:00", "completed", &["filing.unfiled_served"], false).await;
            let o = scan(&store, &cfg, "2026-10-14T10:00:00+08:00", "completed", &["filing.unfiled_served"], false).await;
            assert_eq!(o.opened.len(), 1);
            let o = sweep(&store, &cfg, at("2026-10-14T11:00:00+08:00")).await.unwrap();
            assert!(o.superseded.is_empty());
            assert_eq!(o.open_total, 1);
        }
    }

    #[tokio::test]
    async fn a_problem_seen_gone_after_a_close_and_back_is_a_new_occurrence_with_sparse_scans() {
        // Scans 20 days apart (a fortnightly or monthly campaign): by the time the returning
        // problem is confirmed, the absence seen after the close is older than the history read
        // back, so the streak reaches back past all of it; the problem was still seen gone.
        let cfg = cfg("");
        for store in each_backend().await {
            store.upsert_filings(&[filing(FilingStatus::Active)], at("2026-09-01T00:00:00Z")).await.unwrap();
            let id = open_title_ticket(&store, &cfg).await;
            close_by_operator(&store, id, "2026-09-18T12:00:00+08:00").await;
            let start = at("2026-10-08T10:00:00+08:00");
            scan(&store, &cfg, &clock::stamp(start), "completed", &[], false).await;
            let o = scan(&store, &cfg, &clock::stamp(start + Duration::days(20)), "completed", &["page.title_mismatch"], false).await;
            assert_eq!((o.pending, o.waived), (1, 0), "{o:?}");
            let o = scan(&store, &cfg, &clock::stamp(start + Duration::days(40)), "completed", &["page.title_mismatch"], false).await;
            assert_eq!((o.opened.len(), o.waived), (1, 0), "a new occurrence after the problem was seen gone: {o:?}");
            // Never seen gone since a close, the problem stays waived however sparse the scans.
            close_by_operator(&store, o.opened[0], "2026-11-17T12:00:00+08:00").await;
            for k in 1..4 {
                let o = scan(&store, &cfg, &clock::stamp(start + Duration::days(40 + 20 * k)), "completed", &["page.title_mismatch"], false).await;
                assert_eq!((o.opened.len(), o.waived), (0, 1), "{k}: {o:?}");
            }
        }
    }
}
