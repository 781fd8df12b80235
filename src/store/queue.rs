//! The daemon's work queue: scheduled runs and their per-domain targets, claimed by lease.
//!
//! A queued run is created with all its targets in one transaction, once per (profile, cron
//! instant) however many instances fire it. Instances claim due targets in small batches
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two instances never claim the same row; SQLite is
//! single-instance and serialises writers anyway), renew their leases while they work, and mark a
//! target done in the same transaction that stores its result, only while they still hold its
//! lease. A lease that is not renewed (the instance died) expires and the target is claimed
//! again. The instance whose update moves a run from `running` to finished applies it to the
//! tickets; a crash between the two is caught up by [`Store::unapplied_runs`].

use super::{insert_results, Backend, ResultRow, Store};
use crate::clock;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// What a new queued run is for.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub profile: String,
    /// The probe names, comma-separated (as in `runs.probes`).
    pub probes: String,
    /// The cron instant (scheduled runs), or the request time (runs asked for through the API).
    pub slot: DateTime<Utc>,
}

/// One target to check, and the earliest time it may be checked.
#[derive(Debug, Clone)]
pub struct QueuedTarget {
    pub site_number: String,
    pub domain: String,
    pub not_before: DateTime<Utc>,
}

/// A target this instance holds the lease of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub run_id: i64,
    pub site_number: String,
    pub domain: String,
    /// Claims of this target so far, this one included.
    pub attempts: i64,
}

/// What [`Store::enqueue_run`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    Created(i64),
    /// Another instance (or an earlier life of this one) already created the run for this slot.
    Exists(i64),
    /// The profile's previous run is still going; this firing is skipped, and this call is the
    /// first (of any instance) to skip it.
    Busy(i64),
    /// As `Busy`, but another instance (or an earlier call) skipped this firing already.
    BusySkipped(i64),
}

/// A queued run still going, as the workers need it.
#[derive(Debug, Clone)]
pub struct QueuedRun {
    pub id: i64,
    pub profile: String,
    pub probes: String,
}

/// A run moved to its final state by this instance.
#[derive(Debug, Clone)]
pub struct Finished {
    pub id: i64,
    pub profile: String,
    pub state: String,
    pub checked: i64,
    pub inconclusive: i64,
    pub with_findings: i64,
    pub seconds: f64,
}

/// `$from,$from+1,…` for `n` parameters, in the order they are bound (both backends).
fn numbered(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

/// Rows per multi-row INSERT of targets (4 columns each).
const TARGET_BATCH: usize = 2000;

impl Store {
    /// Creates a queued run with its targets in one transaction, unless the slot's run already
    /// exists or (`exclusive`) the profile's previous run is still going.
    pub async fn enqueue_run(&self, spec: &RunSpec, targets: &[QueuedTarget], now: DateTime<Utc>, exclusive: bool) -> Result<Enqueued> {
        let slot = clock::stamp(spec.slot);
        let existing = |slot: String| async move {
            let row = sqlx::query("SELECT id FROM runs WHERE profile = $1 AND slot = $2")
                .bind(spec.profile.clone())
                .bind(slot)
                .fetch_one(&self.pool)
                .await?;
            anyhow::Ok(Enqueued::Exists(row.get(0)))
        };
        // The INSERT comes first so that SQLite takes its write lock at once: a read first would
        // have to upgrade its lock later and fail outright if another writer came in between.
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO runs (profile, probes, state, started_at, targets, slot, queued) \
             VALUES ($1, $2, 'running', $3, $4, $5, 1) ON CONFLICT (profile, slot) DO NOTHING RETURNING id",
        )
        .bind(spec.profile.clone())
        .bind(spec.probes.clone())
        .bind(clock::stamp(now))
        .bind(targets.len() as i64)
        .bind(slot.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = inserted else {
            // Another instance (or an earlier life of this one) queued this instant already.
            drop(tx);
            return existing(slot).await;
        };
        if exclusive {
            let busy = sqlx::query("SELECT id FROM runs WHERE profile = $1 AND state = 'running' AND queued = 1 AND id <> $2 LIMIT 1")
                .bind(spec.profile.clone())
                .bind(row.get::<i64, _>(0))
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(busy) = busy {
                tx.rollback().await?;
                let running: i64 = busy.get(0);
                let noted = sqlx::query(
                    "INSERT INTO skipped_firings (profile, slot, running_run, skipped_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (profile, slot) DO NOTHING",
                )
                .bind(spec.profile.clone())
                .bind(slot)
                .bind(running)
                .bind(clock::stamp(now))
                .execute(&self.pool)
                .await?;
                return Ok(if noted.rows_affected() == 1 { Enqueued::Busy(running) } else { Enqueued::BusySkipped(running) });
            }
        }
        let run_id: i64 = row.get(0);
        for chunk in targets.chunks(TARGET_BATCH) {
            let sql = format!(
                "INSERT INTO run_targets (run_id, site_number, domain, not_before) VALUES {}",
                super::placeholders(self.backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(&sql);
            for t in chunk {
                q = q.bind(run_id).bind(t.site_number.clone()).bind(t.domain.clone()).bind(clock::stamp(t.not_before));
            }
            q.execute(&mut *tx).await.context("queueing run targets")?;
        }
        tx.commit().await?;
        Ok(Enqueued::Created(run_id))
    }

    /// Claims up to `limit` due targets (pending, or leased with an expired lease) for `owner`.
    pub async fn claim_targets(&self, owner: &str, limit: usize, lease: chrono::Duration, now: DateTime<Utc>) -> Result<Vec<Claimed>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        // The claimed ids are chosen once, in a materialised CTE: as a plain `IN (SELECT … LIMIT n
        // FOR UPDATE SKIP LOCKED)`, PostgreSQL may run the subquery again inside a nested loop,
        // each run skipping the rows the last one locked, and claim more than `limit`.
        let sql = format!(
            "WITH claim AS MATERIALIZED (SELECT id FROM run_targets WHERE not_before <= $3 \
             AND (state = 'pending' OR (state = 'leased' AND lease_until < $3)) ORDER BY not_before, id LIMIT $4{lock}) \
             UPDATE run_targets SET state = 'leased', lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM claim) \
             RETURNING id, run_id, site_number, domain, attempts"
        );
        let now_s = clock::stamp(now);
        let rows = sqlx::query(&sql)
            .bind(owner.to_string())
            .bind(clock::stamp(now + lease))
            .bind(now_s)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .context("claiming run targets")?;
        let mut claimed: Vec<Claimed> = rows
            .iter()
            .map(|r| Claimed { id: r.get(0), run_id: r.get(1), site_number: r.get(2), domain: r.get(3), attempts: r.get(4) })
            .collect();
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    /// Extends the leases of `ids` that `owner` still holds; returns how many. Only the claims a
    /// worker really has in hand are renewed: one it lost track of expires and is claimed again.
    pub async fn renew_leases(&self, owner: &str, ids: &[i64], lease: chrono::Duration, now: DateTime<Utc>) -> Result<u64> {
        self.update_held("lease_until = $1", Some(clock::stamp(now + lease)), owner, ids).await
    }

    /// Hands claimed targets back to the queue, due again at `not_before` (or at once). A handback
    /// that is no failure of the check (`failed` false: deferred by the rate limit, our database
    /// trouble) gives back the attempt its claim counted, so that `attempts` counts only claims
    /// that ended in a failed check or a dead process.
    pub async fn release_targets(&self, owner: &str, ids: &[i64], not_before: Option<DateTime<Utc>>, failed: bool) -> Result<u64> {
        let set = if failed {
            "state = 'pending', lease_owner = NULL, lease_until = NULL, not_before = COALESCE($1, not_before)"
        } else {
            "state = 'pending', lease_owner = NULL, lease_until = NULL, not_before = COALESCE($1, not_before), attempts = attempts - 1"
        };
        self.update_held(set, not_before.map(clock::stamp), owner, ids).await
    }

    /// `UPDATE run_targets SET {set}` (which may use `$1`, bound to `value`) on those of `ids`
    /// that `owner` still holds, a chunk at a time; returns the rows changed.
    async fn update_held(&self, set: &str, value: Option<String>, owner: &str, ids: &[i64]) -> Result<u64> {
        let mut changed = 0;
        for chunk in ids.chunks(super::BATCH) {
            let sql = format!(
                "UPDATE run_targets SET {set} WHERE lease_owner = $2 AND state = 'leased' AND id IN ({})",
                numbered(3, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(value.clone()).bind(owner.to_string());
            for id in chunk {
                q = q.bind(*id);
            }
            changed += q.execute(&self.pool).await?.rows_affected();
        }
        Ok(changed)
    }

    /// Marks claimed targets done and stores their results, in one transaction, for the targets
    /// `owner` still holds; a target whose lease was lost (claimed again elsewhere) is dropped
    /// with its result. `None` marks a target done without a result (its filing vanished).
    /// Returns the ids completed.
    pub async fn complete_targets(&self, owner: &str, items: &[(Claimed, Option<ResultRow>)]) -> Result<Vec<i64>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        let mut held = std::collections::HashSet::new();
        for chunk in items.chunks(super::BATCH) {
            let sql = format!(
                "UPDATE run_targets SET state = 'done', lease_until = NULL \
                 WHERE lease_owner = $1 AND state = 'leased' AND id IN ({}) RETURNING id",
                numbered(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(owner.to_string());
            for (c, _) in chunk {
                q = q.bind(c.id);
            }
            for r in q.fetch_all(&mut *tx).await.context("completing run targets")? {
                held.insert(r.get::<i64, _>(0));
            }
        }
        let mut by_run: std::collections::BTreeMap<i64, Vec<ResultRow>> = Default::default();
        for (c, row) in items {
            if let (true, Some(row)) = (held.contains(&c.id), row) {
                by_run.entry(c.run_id).or_default().push(row.clone());
            }
        }
        for (run_id, rows) in by_run {
            insert_results(&mut tx, self.backend, run_id, &rows).await?;
        }
        tx.commit().await?;
        let mut ids: Vec<i64> = held.into_iter().collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Hands back every lease `owner` holds (on shutdown): the targets are pending again, their
    /// attempts given back.
    pub async fn release_leases(&self, owner: &str) -> Result<u64> {
        // (A done target keeps its owner: who checked it.)
        let done = sqlx::query(
            "UPDATE run_targets SET state = 'pending', lease_owner = NULL, lease_until = NULL, attempts = attempts - 1 \
             WHERE lease_owner = $1 AND state = 'leased'",
        )
        .bind(owner.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// How far the database's clock is ahead of ours (negative: behind), for PostgreSQL, where
    /// instances compare their own clocks with the leases others wrote; `None` for SQLite.
    pub async fn clock_offset(&self) -> Result<Option<chrono::Duration>> {
        if self.backend() != super::Backend::Postgres {
            return Ok(None);
        }
        let before = Utc::now();
        let db_ms: i64 = sqlx::query("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)")
            .fetch_one(&self.pool)
            .await
            .context("reading the database's clock")?
            .get(0);
        let after = Utc::now();
        let ours_ms = (before.timestamp_millis() + after.timestamp_millis()) / 2;
        Ok(Some(chrono::Duration::milliseconds(db_ms - ours_ms)))
    }

    /// Hands back every lease of every owner. Only for SQLite at start-up: one instance at a time,
    /// so a lease still held was held by a process that is gone, and its attempt counts.
    pub async fn release_all_leases(&self) -> Result<u64> {
        let done = sqlx::query("UPDATE run_targets SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE state = 'leased'")
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Queued runs still going, oldest first.
    pub async fn queued_runs(&self) -> Result<Vec<QueuedRun>> {
        let rows = sqlx::query("SELECT id, profile, probes FROM runs WHERE state = 'running' AND queued = 1 ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| QueuedRun { id: r.get(0), profile: r.get(1), probes: r.get(2) }).collect())
    }

    /// The targets of a run that are done, and all of them.
    pub async fn run_progress(&self, run_id: i64) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END), 0) AS BIGINT), COUNT(*) FROM run_targets WHERE run_id = $1",
        )
        .bind(run_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get(0), row.get(1)))
    }

    /// The earliest `not_before` of a target still pending, if any (when the next work is due).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query("SELECT MIN(not_before) FROM run_targets WHERE state = 'pending'").fetch_one(&self.pool).await?;
        Ok(row.get::<Option<String>, _>(0).and_then(|s| clock::parse_stamp(&s)))
    }

    /// Finishes a queued run whose every target is done: counts its stored results, decides
    /// `completed` or `degraded` (at least `degraded_share` inconclusive), and moves it out of
    /// `running`. Returns it only to the one caller whose update did that.
    /// The finisher also takes the run's application to the tickets (`apply_owner`).
    pub async fn try_finish_run(&self, owner: &str, run_id: i64, degraded_share: f64, now: DateTime<Utc>) -> Result<Option<Finished>> {
        // (An index lookup on (run_id, state), not a count: this runs every idle second.)
        let open = sqlx::query("SELECT id FROM run_targets WHERE run_id = $1 AND state IN ('pending', 'leased') LIMIT 1")
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?;
        if open.is_some() {
            return Ok(None);
        }
        // Counted as `beiand scan` counts: each check is inconclusive, with findings or
        // compliant, so an inconclusive check that saw a DNS finding is not counted twice.
        let row = sqlx::query(
            "SELECT COUNT(*), CAST(COALESCE(SUM(inconclusive), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN codes <> '' AND inconclusive = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM results WHERE run_id = $1",
        )
        .bind(run_id)
        .fetch_one(&self.pool)
        .await?;
        let (checked, inconclusive, with_findings): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        let degraded = checked > 0 && inconclusive as f64 >= checked as f64 * degraded_share;
        let state = if degraded { "degraded" } else { "completed" };
        let note = degraded.then(|| format!("{inconclusive} of {checked} checks inconclusive"));
        let done = sqlx::query(
            "UPDATE runs SET state = $1, finished_at = $2, checked = $3, inconclusive = $4, with_findings = $5, note = $6, \
             apply_owner = $7, apply_at = $2 WHERE id = $8 AND state = 'running'",
        )
        .bind(state.to_string())
        .bind(clock::stamp(now))
        .bind(checked)
        .bind(inconclusive)
        .bind(with_findings)
        .bind(note)
        .bind(owner.to_string())
        .bind(run_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT profile, started_at FROM runs WHERE id = $1").bind(run_id).fetch_one(&self.pool).await?;
        let started: String = row.get(1);
        let seconds = clock::parse_stamp(&started).map(|s| (now - s).num_milliseconds() as f64 / 1000.0).unwrap_or(0.0);
        Ok(Some(Finished { id: run_id, profile: row.get(0), state: state.to_string(), checked, inconclusive, with_findings, seconds }))
    }

    /// Finished queued runs never applied to the tickets whose application was taken before
    /// `stale_before` (its taker died, or is hopelessly stuck), oldest first.
    pub async fn unapplied_runs(&self, stale_before: DateTime<Utc>) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT id FROM runs WHERE queued = 1 AND state IN ('completed', 'degraded') AND apply_at < $1 \
             AND id NOT IN (SELECT run_id FROM ticket_runs) ORDER BY id",
        )
        .bind(clock::stamp(stale_before))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Takes over the application of an unapplied run whose taker went stale; true when `owner`
    /// got it (so two instances catching up never apply one run twice at the same time).
    pub async fn claim_apply(&self, owner: &str, run_id: i64, stale_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE runs SET apply_owner = $1, apply_at = $2 WHERE id = $3 AND apply_at < $4 \
             AND id NOT IN (SELECT run_id FROM ticket_runs)",
        )
        .bind(owner.to_string())
        .bind(clock::stamp(now))
        .bind(run_id)
        .bind(clock::stamp(stale_before))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the per-domain results and queue rows of runs finished before `before`, a few runs
    /// at a time (each in its own statement, so no transaction grows with the data); returns the
    /// results deleted. Runs, tickets and ticket history stay; the record of firings skipped
    /// before then goes too.
    pub async fn prune_results(&self, before: DateTime<Utc>) -> Result<u64> {
        sqlx::query("DELETE FROM skipped_firings WHERE skipped_at < $1").bind(clock::stamp(before)).execute(&self.pool).await?;
        let mut deleted = 0;
        loop {
            let rows = sqlx::query(
                "SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < $1 AND \
                 (EXISTS (SELECT 1 FROM results WHERE run_id = runs.id) OR EXISTS (SELECT 1 FROM run_targets WHERE run_id = runs.id)) \
                 ORDER BY id LIMIT 10",
            )
            .bind(clock::stamp(before))
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(deleted);
            }
            for r in rows {
                let id: i64 = r.get(0);
                let done = sqlx::query("DELETE FROM results WHERE run_id = $1").bind(id).execute(&self.pool).await?;
                deleted += done.rows_affected();
                sqlx::query("DELETE FROM run_targets WHERE run_id = $1").bind(id).execute(&self.pool).await?;
            }
        }
    }

    /// The latest finished run per profile: (profile, state, finished_at), for metrics.
    pub async fn last_runs_by_profile(&self) -> Result<Vec<(String, String, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT profile, state, MAX(finished_at) FROM runs WHERE finished_at IS NOT NULL GROUP BY profile, state ORDER BY profile, state",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let at: Option<String> = r.get(2);
                Some((r.get(0), r.get(1), clock::parse_stamp(&at?)?))
            })
            .collect())
    }

    /// Tickets by state, for metrics.
    pub async fn ticket_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM tickets GROUP BY state ORDER BY state").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::each_backend;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        clock::parse_stamp("2026-10-09T02:00:00.000Z").unwrap()
    }

    fn spec(profile: &str, slot: DateTime<Utc>) -> RunSpec {
        RunSpec { profile: profile.into(), probes: "dns,http,page".into(), slot }
    }

    fn targets(n: usize, at: DateTime<Utc>) -> Vec<QueuedTarget> {
        (0..n)
            .map(|i| QueuedTarget {
                site_number: format!("京ICP备12345678号-{}", i + 1),
                domain: format!("d{i}.example.cn"),
                not_before: at + Duration::seconds(i as i64),
            })
            .collect()
    }

    fn result(c: &Claimed, inconclusive: bool) -> ResultRow {
        ResultRow {
            site_number: c.site_number.clone(),
            domain: c.domain.clone(),
            checked_at: t0(),
            inconclusive,
            http_status: Some(200),
            final_url: None,
            title: None,
            codes: String::new(),
            evidence: "{}".into(),
        }
    }

    #[tokio::test]
    async fn a_finished_run_counts_its_checks_as_beiand_scan_does() {
        for store in each_backend().await {
            let Enqueued::Created(run) = store.enqueue_run(&spec("p", t0()), &targets(3, t0()), t0(), true).await.unwrap() else { panic!() };
            let c = store.claim_targets("a", 10, Duration::seconds(30), t0() + Duration::hours(1)).await.unwrap();
            // An inconclusive check that also saw a DNS finding, one with a finding, one clean.
            let items: Vec<_> = [(true, "dns.overseas"), (false, "page.number_missing"), (false, "")]
                .into_iter()
                .zip(&c)
                .map(|((inconclusive, codes), c)| (c.clone(), Some(ResultRow { codes: codes.into(), ..result(c, inconclusive) })))
                .collect();
            assert_eq!(store.complete_targets("a", &items).await.unwrap().len(), 3);
            let fin = store.try_finish_run("a", run, 0.5, t0() + Duration::hours(1)).await.unwrap().unwrap();
            // checked = compliant + with findings + inconclusive, as `beiand scan` records it: the
            // report's trend draws both kinds of run on one line.
            assert_eq!((fin.checked, fin.inconclusive, fin.with_findings), (3, 1, 1));
        }
    }

    #[tokio::test]
    async fn one_run_per_slot_and_none_while_the_previous_runs() {
        for store in each_backend().await {
            let first = store.enqueue_run(&spec("nightly", t0()), &targets(3, t0()), t0(), true).await.unwrap();
            let Enqueued::Created(id) = first else { panic!("{first:?}") };
            assert_eq!(store.enqueue_run(&spec("nightly", t0()), &targets(3, t0()), t0(), true).await.unwrap(), Enqueued::Exists(id));
            let later = t0() + Duration::hours(1);
            assert_eq!(store.enqueue_run(&spec("nightly", later), &targets(3, later), later, true).await.unwrap(), Enqueued::Busy(id));
            // A second instance firing the same instant: skipped too, but not counted again.
            assert_eq!(store.enqueue_run(&spec("nightly", later), &targets(3, later), later, true).await.unwrap(), Enqueued::BusySkipped(id));
            // The record of the skip is kept as long as results are.
            store.prune_results(later).await.unwrap();
            assert_eq!(store.enqueue_run(&spec("nightly", later), &targets(3, later), later, true).await.unwrap(), Enqueued::BusySkipped(id));
            store.prune_results(later + Duration::seconds(1)).await.unwrap();
            assert_eq!(store.enqueue_run(&spec("nightly", later), &targets(3, later), later, true).await.unwrap(), Enqueued::Busy(id));
            assert!(matches!(store.enqueue_run(&spec("dns", t0()), &targets(1, t0()), t0(), true).await.unwrap(), Enqueued::Created(_)));
            assert_eq!(store.run_progress(id).await.unwrap(), (0, 3));
        }
    }

    #[tokio::test]
    async fn claims_respect_not_before_leases_and_owners() {
        for store in each_backend().await {
            let Enqueued::Created(run) = store.enqueue_run(&spec("p", t0()), &targets(4, t0()), t0(), true).await.unwrap() else { panic!() };
            let lease = Duration::seconds(30);
            // At t0+1 s only the first two are due.
            let a = store.claim_targets("a", 10, lease, t0() + Duration::seconds(1)).await.unwrap();
            assert_eq!(a.iter().map(|c| c.domain.as_str()).collect::<Vec<_>>(), ["d0.example.cn", "d1.example.cn"]);
            // Another owner gets only what is left.
            let b = store.claim_targets("b", 10, lease, t0() + Duration::seconds(5)).await.unwrap();
            assert_eq!(b.len(), 2);
            assert!(b.iter().all(|c| !a.contains(c)));
            // `a` completes one; `b` cannot complete `a`'s other one.
            let done = store.complete_targets("a", &[(a[0].clone(), Some(result(&a[0], false)))]).await.unwrap();
            assert_eq!(done, vec![a[0].id]);
            assert!(store.complete_targets("b", &[(a[1].clone(), Some(result(&a[1], false)))]).await.unwrap().is_empty());
            // `a` dies: after its lease expires, `b` claims its target and finishes everything.
            assert!(store.claim_targets("b", 10, lease, t0() + Duration::seconds(20)).await.unwrap().is_empty());
            let b_ids: Vec<i64> = b.iter().map(|c| c.id).collect();
            assert_eq!(store.renew_leases("b", &b_ids, lease, t0() + Duration::seconds(20)).await.unwrap(), 2, "b keeps its own");
            let again = store.claim_targets("b", 10, lease, t0() + Duration::seconds(40)).await.unwrap();
            assert_eq!(again, vec![Claimed { run_id: run, attempts: 2, ..a[1].clone() }]);
            // The late result of the dead owner is dropped.
            assert!(store.complete_targets("a", &[(a[1].clone(), Some(result(&a[1], false)))]).await.unwrap().is_empty());
            assert!(store.try_finish_run("b", run, 0.5, t0()).await.unwrap().is_none(), "targets still open");
            let mut items: Vec<_> = b.iter().map(|c| (c.clone(), Some(result(c, true)))).collect();
            items.push((again[0].clone(), Some(result(&again[0], false))));
            assert_eq!(store.complete_targets("b", &items).await.unwrap().len(), 3);
            assert_eq!(store.run_progress(run).await.unwrap(), (4, 4));
            let fin = store.try_finish_run("b", run, 0.5, t0() + Duration::seconds(50)).await.unwrap().unwrap_or_else(|| panic!("not finished on {:?}", store.backend()));
            assert_eq!((fin.checked, fin.inconclusive, fin.state.as_str()), (4, 2, "degraded"));
            assert!(store.try_finish_run("b", run, 0.5, t0()).await.unwrap().is_none(), "only one finisher");
            assert_eq!(store.run_evidence(run).await.unwrap().len(), 4, "one result per target");
            assert!(store.unapplied_runs(t0() + Duration::seconds(50)).await.unwrap().is_empty(), "b's apply is fresh");
            assert_eq!(store.unapplied_runs(t0() + Duration::hours(1)).await.unwrap(), vec![run]);
            let (stale, later) = (t0() + Duration::hours(1), t0() + Duration::hours(2));
            assert!(store.claim_apply("c", run, stale, later).await.unwrap());
            assert!(!store.claim_apply("d", run, stale, later).await.unwrap(), "one taker at a time");
            // Retention: nothing of a run finished after the cut-off goes; then everything but the run.
            assert_eq!(store.prune_results(t0()).await.unwrap(), 0);
            assert_eq!(store.prune_results(t0() + Duration::days(31)).await.unwrap(), 4);
            assert_eq!(store.run_progress(run).await.unwrap(), (0, 0));
            assert!(store.run(run).await.unwrap().is_some());
        }
    }

    #[tokio::test]
    async fn the_database_clock_is_read_on_postgres() {
        for store in each_backend().await {
            match (store.backend(), store.clock_offset().await.unwrap()) {
                (crate::store::Backend::Sqlite, offset) => assert_eq!(offset, None),
                (_, offset) => assert!(offset.unwrap().num_seconds().abs() < 5, "{offset:?}: the same machine's clock"),
            }
        }
    }

    #[tokio::test]
    async fn released_and_renewed_leases() {
        for store in each_backend().await {
            store.enqueue_run(&spec("p", t0()), &targets(2, t0()), t0(), true).await.unwrap();
            let lease = Duration::seconds(10);
            let a = store.claim_targets("a", 1, lease, t0()).await.unwrap();
            assert_eq!(a.len(), 1);
            assert_eq!(store.renew_leases("a", &[a[0].id], lease, t0() + Duration::seconds(8)).await.unwrap(), 1);
            // Renewed at +8 s: still held at +15 s.
            assert!(store.claim_targets("b", 5, lease, t0() + Duration::seconds(15)).await.unwrap().iter().all(|c| c.id != a[0].id));
            assert_eq!(store.release_leases("a").await.unwrap(), 1);
            let c = store.claim_targets("c", 5, lease, t0() + Duration::seconds(15)).await.unwrap();
            assert_eq!(c.len(), 1);
            assert_eq!(c[0].attempts, 1, "a shutdown handback gives its attempt back");
            // Deferred: pending again, due later, and the deferral is no attempt.
            let later = t0() + Duration::seconds(60);
            assert_eq!(store.release_targets("c", &[c[0].id], Some(later), false).await.unwrap(), 1);
            assert!(store.claim_targets("c", 5, lease, t0() + Duration::seconds(59)).await.unwrap().iter().all(|x| x.id != c[0].id));
            let c = store.claim_targets("c", 5, lease, later).await.unwrap();
            assert_eq!((c.len(), c[0].attempts), (1, 1));
            // A failed check's handback keeps its attempt.
            assert_eq!(store.release_targets("c", &[c[0].id], None, true).await.unwrap(), 1);
            let c = store.claim_targets("c", 5, lease, later).await.unwrap();
            assert_eq!(c[0].attempts, 2);
            assert_eq!(store.release_all_leases().await.unwrap(), 2);
            assert_eq!(store.next_due().await.unwrap(), Some(t0() + Duration::seconds(1)), "the deferred one is due later");
        }
    }
}
