//! The workers: claim due targets from the queue, check them within the global concurrency
//! limit, store each result with its target's completion, and finish runs.
//!
//! Three tasks: the claim loop (this module's [`run`]), a completer that writes finished checks
//! in batches (one transaction each: results and `done` marks together, so a crash leaves a
//! target either done with its result or not done at all), and a renewer that keeps this
//! instance's leases alive. On shutdown the claim loop stops, checks in flight get
//! `scan.drain_seconds` to finish, whatever is left is aborted and its leases handed back.

use super::Shared;
use crate::clock;
use crate::filing::Filing;
use crate::scan::{ProbeSet, Target, DEGRADED_SHARE};
use crate::store::queue::Claimed;
use crate::store::ResultRow;
use anyhow::Result;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{info, info_span, warn, Instrument};

/// At most this many targets per claim.
const CLAIM_MAX: usize = 256;
/// A completion batch is written when it has this many checks, or after [`FLUSH_EVERY`].
const FLUSH_AT: usize = 256;
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// The idle loop looks for due work at least this often (runs queued by other instances).
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Runs the workers until `shutdown` turns true; returns once every check has finished or been
/// handed back.
pub async fn run(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) -> Result<()> {
    let cfg = shared.config();
    let concurrency = cfg.scan.concurrency.max(1);
    let lease = chrono::Duration::seconds(cfg.scan.lease_seconds as i64);
    let drain = Duration::from_secs(cfg.scan.drain_seconds);
    let permits = Arc::new(Semaphore::new(concurrency));
    let (done_tx, done_rx) = mpsc::channel::<(Claimed, Option<ResultRow>)>(FLUSH_AT * 4);
    let completer = tokio::spawn(complete(shared.clone(), done_rx));
    let renewer = tokio::spawn(renew(shared.clone(), lease));
    let mut checks = JoinSet::new();
    let mut runs: HashMap<i64, ProbeSet> = HashMap::new();

    while !*shutdown.borrow() {
        shared.beat();
        while checks.try_join_next().is_some() {}
        let free = permits.available_permits();
        if free == 0 {
            // Every slot busy: wait for one, but keep the heartbeat going.
            tokio::select! {
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = shutdown.changed() => {}
                p = permits.clone().acquire_owned() => drop(p),
            }
            continue;
        }
        let claimed = match shared.store.claim_targets(&shared.instance, free.min(CLAIM_MAX), lease, clock::now()).await {
            Ok(c) => c,
            Err(e) => {
                warn!("cannot claim work: {e:#}");
                wait(&shared, &mut shutdown, IDLE_POLL).await;
                continue;
            }
        };
        if claimed.is_empty() {
            finish_idle_runs(&shared).await;
            let due = shared.store.next_due().await.ok().flatten();
            let until = due.map(|d| (d - clock::now()).to_std().unwrap_or_default()).unwrap_or(IDLE_POLL);
            wait(&shared, &mut shutdown, until.min(IDLE_POLL)).await;
            continue;
        }
        if let Err(e) = refresh_runs(&shared, &claimed, &mut runs).await {
            warn!("cannot read queued runs: {e:#}");
        }
        let filings = match filings_of(&shared, &claimed).await {
            Ok(f) => f,
            Err(e) => {
                // Our database trouble: hand the claims back for a later try.
                warn!("cannot read filings for claimed work: {e:#}");
                let _ = shared.store.release_leases(&shared.instance).await;
                wait(&shared, &mut shutdown, IDLE_POLL).await;
                continue;
            }
        };
        let scanner = shared.scanner();
        for c in claimed {
            let Some(filing) = filings.get(&c.site_number).cloned() else {
                // Filing removed since the run was queued: nothing to check.
                let _ = done_tx.send((c, None)).await;
                continue;
            };
            let probes = runs.get(&c.run_id).copied().unwrap_or(ProbeSet::ALL);
            let permit = permits.clone().acquire_owned().await?;
            let scanner = scanner.clone();
            let tx = done_tx.clone();
            let span = info_span!("check", run = c.run_id, domain = %c.domain);
            checks.spawn(
                async move {
                    let target = Target { filing, domain: c.domain.clone() };
                    metrics::gauge!("beiand_checks_in_flight").increment(1.0);
                    let check = scanner.check(&target, probes).await;
                    metrics::gauge!("beiand_checks_in_flight").decrement(1.0);
                    let row = match serde_json::to_string(&check) {
                        Ok(evidence) => Some(check.into_row(evidence)),
                        Err(e) => {
                            warn!("cannot serialise the evidence: {e}");
                            None
                        }
                    };
                    drop(permit);
                    let _ = tx.send((c, row)).await;
                }
                .instrument(span),
            );
        }
    }

    // Shutdown: no new claims; let the checks in flight finish, within bounds.
    let in_flight = checks.len();
    if in_flight > 0 {
        info!("stopping: waiting up to {} s for {in_flight} checks in flight", drain.as_secs());
    }
    let drained = tokio::time::timeout(drain, async { while checks.join_next().await.is_some() {} }).await.is_ok();
    if !drained {
        warn!("stopping: {} checks did not finish in {} s; their domains go back to the queue", checks.len(), drain.as_secs());
        checks.abort_all();
        while checks.join_next().await.is_some() {}
    }
    drop(done_tx);
    completer.await??;
    renewer.abort();
    let released = shared.store.release_leases(&shared.instance).await?;
    if released > 0 {
        info!("handed back {released} unfinished domains to the queue");
    }
    Ok(())
}

async fn wait(shared: &Shared, shutdown: &mut watch::Receiver<bool>, d: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = shutdown.changed() => {}
        _ = shared.wake.notified() => {}
    }
}

/// Learns the probes of runs seen for the first time.
async fn refresh_runs(shared: &Shared, claimed: &[Claimed], runs: &mut HashMap<i64, ProbeSet>) -> Result<()> {
    if claimed.iter().all(|c| runs.contains_key(&c.run_id)) {
        return Ok(());
    }
    for r in shared.store.queued_runs().await? {
        runs.insert(r.id, ProbeSet::parse(&r.probes));
    }
    Ok(())
}

async fn filings_of(shared: &Shared, claimed: &[Claimed]) -> Result<HashMap<String, Arc<Filing>>> {
    let mut sites: Vec<String> = claimed.iter().map(|c| c.site_number.clone()).collect();
    sites.sort();
    sites.dedup();
    let found = shared.store.filings_by_numbers(&sites).await?;
    Ok(found.into_iter().filter(|(_, (_, removed))| !removed).map(|(k, (f, _))| (k, Arc::new(f))).collect())
}

/// Writes finished checks in batches and finishes the runs they complete.
async fn complete(shared: Arc<Shared>, mut rx: mpsc::Receiver<(Claimed, Option<ResultRow>)>) -> Result<()> {
    let mut batch = Vec::with_capacity(FLUSH_AT);
    // A batch is written at most FLUSH_EVERY after its first check finished.
    let mut due = tokio::time::Instant::now();
    loop {
        let item = if batch.is_empty() {
            let item = rx.recv().await;
            due = tokio::time::Instant::now() + FLUSH_EVERY;
            item
        } else {
            match tokio::time::timeout_at(due, rx.recv()).await {
                Ok(item) => item,
                Err(_) => {
                    flush(&shared, &mut batch).await;
                    continue;
                }
            }
        };
        match item {
            Some(item) => {
                batch.push(item);
                if batch.len() >= FLUSH_AT {
                    flush(&shared, &mut batch).await;
                }
            }
            None => {
                flush(&shared, &mut batch).await;
                return Ok(());
            }
        }
    }
}

async fn flush(shared: &Shared, batch: &mut Vec<(Claimed, Option<ResultRow>)>) {
    if batch.is_empty() {
        return;
    }
    let mut tries = 0;
    loop {
        match shared.store.complete_targets(&shared.instance, batch).await {
            Ok(done) => {
                if done.len() < batch.len() {
                    warn!("{} checks finished after their lease was lost; their results were dropped", batch.len() - done.len());
                }
                break;
            }
            Err(e) if tries < 3 => {
                tries += 1;
                warn!("cannot store results (try {tries}): {e:#}");
                tokio::time::sleep(Duration::from_millis(500 * tries)).await;
            }
            Err(e) => {
                // Not stored: the leases run out and the targets are checked again.
                warn!("giving up storing {} results: {e:#}", batch.len());
                break;
            }
        }
    }
    let mut run_ids: Vec<i64> = batch.iter().map(|(c, _)| c.run_id).collect();
    run_ids.sort_unstable();
    run_ids.dedup();
    batch.clear();
    for id in run_ids {
        finish(shared, id).await;
    }
}

/// Finishes a run if every target is done, and applies it to the tickets (only the instance
/// that finished it does).
async fn finish(shared: &Shared, run_id: i64) {
    let finished = match shared.store.try_finish_run(run_id, DEGRADED_SHARE, clock::now()).await {
        Ok(Some(f)) => f,
        Ok(None) => return,
        Err(e) => {
            warn!(run = run_id, "cannot finish the run: {e:#}");
            return;
        }
    };
    crate::metrics::record_run(&finished.profile, &finished.state, finished.seconds);
    info!(
        run = run_id,
        profile = %finished.profile,
        "run {} {}: {} checked, {} with findings, {} inconclusive in {:.1} s",
        run_id, finished.state, finished.checked, finished.with_findings, finished.inconclusive, finished.seconds
    );
    apply(shared, run_id).await;
}

/// Applies a finished run to the tickets.
pub async fn apply(shared: &Shared, run_id: i64) {
    let cfg = shared.config();
    match crate::ticket::apply_run(&shared.store, &cfg, run_id, clock::now()).await {
        Ok(out) => {
            for line in out.render().lines() {
                info!(run = run_id, "{line}");
            }
        }
        Err(e) => warn!(run = run_id, "cannot apply the run to the tickets (retried later): {e:#}"),
    }
}

/// Finishes runs that have nothing left to claim (empty runs, or runs whose last targets another
/// instance completed without finishing), and applies runs whose finisher died before applying.
async fn finish_idle_runs(shared: &Shared) {
    match shared.store.queued_runs().await {
        Ok(runs) => {
            for r in runs {
                finish(shared, r.id).await;
            }
        }
        Err(e) => warn!("cannot list queued runs: {e:#}"),
    }
}

/// Applies finished runs whose finisher died before it applied them. Run at start-up and
/// periodically by the daemon.
pub async fn catch_up(shared: &Shared) {
    // Give a live finisher time to apply its run first.
    let before = clock::now() - chrono::Duration::seconds(60);
    match shared.store.unapplied_runs(before).await {
        Ok(ids) => {
            for id in ids {
                info!(run = id, "applying a run finished by an instance that stopped before applying it");
                apply(shared, id).await;
            }
        }
        Err(e) => warn!("cannot look for unapplied runs: {e:#}"),
    }
}

/// Renews this instance's leases every third of the lease time.
async fn renew(shared: Arc<Shared>, lease: chrono::Duration) {
    let every = (lease / 3).to_std().unwrap_or(Duration::from_secs(1)).max(Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = shared.store.renew_leases(&shared.instance, lease, clock::now()).await {
            warn!("cannot renew leases: {e:#}");
        }
    }
}
