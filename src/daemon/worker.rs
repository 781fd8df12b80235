//! The workers: claim due targets from the queue, check them within the global concurrency
//! limit, store each result with its target's completion, and finish runs.
//!
//! Three tasks: the claim loop (this module's [`run`]), a completer that writes finished checks
//! in batches (one transaction each: results and `done` marks together, so a crash leaves a
//! target either done with its result or not done at all), and a renewer that keeps alive the
//! leases of the claims this instance really has in hand. A claim it loses track of — a batch
//! the database refused, a check that panicked — is not renewed, expires, and is claimed again.
//! On shutdown the claim loop stops, checks in flight get `scan.drain_seconds` to finish (a second
//! stop cuts that short), whatever is left is aborted and its leases handed back.

use super::Shared;
use crate::clock;
use crate::filing::Filing;
use crate::scan::{ProbeSet, Target, DEGRADED_SHARE};
use crate::store::queue::Claimed;
use crate::store::ResultRow;
use anyhow::{Context, Result};
use futures::FutureExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{error, info, info_span, warn, Instrument};

/// At most this many targets per claim.
const CLAIM_MAX: usize = 256;
/// How long the last results and the hand-back may take once the checks in flight are done or
/// cut short (part of the `drain_seconds` + 15 s that the stop asks systemd for).
const STORE_AT_STOP: Duration = Duration::from_secs(4);
/// A completion batch is written when it has this many checks, or [`FLUSH_EVERY`] after its first.
const FLUSH_AT: usize = 256;
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// The idle loop looks for due work at least this often (runs queued by other instances).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// A check whose fetch the per-address limit would delay longer than this goes back to the
/// queue, due when its turn comes, instead of holding a concurrency slot while it sleeps.
const MAX_LIMITER_WAIT: Duration = Duration::from_secs(5);
/// A target whose check failed this many times — it panicked, or the process died with it in
/// hand (a stack overflow, an abort, the OOM killer: no unwinding to catch) — is recorded as
/// inconclusive (our bug, never the customer's) so that the run can finish.
const MAX_ATTEMPTS: i64 = 3;
/// Bound on one queue query of the claim loop, so that a hung database stops the heartbeat
/// (and so the watchdog) only as long as this.
const DB_TIMEOUT: Duration = Duration::from_secs(30);

/// How a claimed target ends in this instance.
enum Outcome {
    /// Checked (or nothing to check: `None`); stored with the target's completion.
    Done(Claimed, Option<ResultRow>),
    /// Back to the queue, due at the given time (or at once); whether the check failed (its
    /// attempt counts) or was only put off.
    Release(Claimed, Option<chrono::DateTime<chrono::Utc>>, bool),
}

/// The ids of the claims this instance has in hand: the only leases the renewer extends.
type Held = Arc<Mutex<HashSet<i64>>>;

fn forget(held: &Held, ids: impl IntoIterator<Item = i64>) {
    let mut h = held.lock().unwrap_or_else(|e| e.into_inner());
    for id in ids {
        h.remove(&id);
    }
}

/// Runs the workers until `shutdown` turns true; returns once every check has finished or been
/// handed back.
pub async fn run(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) -> Result<()> {
    let cfg = shared.config();
    let concurrency = cfg.scan.concurrency.max(1);
    let lease = chrono::Duration::seconds(cfg.scan.lease_seconds as i64);
    let drain = Duration::from_secs(cfg.scan.drain_seconds);
    let permits = Arc::new(Semaphore::new(concurrency));
    let held: Held = Arc::default();
    let (done_tx, done_rx) = mpsc::channel::<Outcome>(FLUSH_AT * 4);
    let completer = tokio::spawn(complete(shared.clone(), held.clone(), done_rx));
    let renewer = tokio::spawn(renew(shared.clone(), held.clone(), lease));
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
        let claim = shared.store.claim_targets(&shared.instance, free.min(CLAIM_MAX), lease, clock::now());
        let Some(claimed) = db_call(&mut shutdown, claim).await else { break };
        let claimed = match claimed {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                warn!("cannot claim work: {e:#}");
                wait(&shared, &mut shutdown, IDLE_POLL).await;
                continue;
            }
            Err(_) => {
                warn!("claiming work took over {} s; trying again", DB_TIMEOUT.as_secs());
                continue;
            }
        };
        if claimed.is_empty() {
            let idle = async {
                finish_idle_runs(&shared).await;
                shared.store.next_due().await.ok().flatten()
            };
            let Some(due) = db_call(&mut shutdown, idle).await else { break };
            let due = due.ok().flatten();
            let until = due.map(|d| (d - clock::now()).to_std().unwrap_or_default()).unwrap_or(IDLE_POLL);
            wait(&shared, &mut shutdown, until.min(IDLE_POLL)).await;
            continue;
        }
        held.lock().unwrap_or_else(|e| e.into_inner()).extend(claimed.iter().map(|c| c.id));
        let looked_up = async { anyhow::Ok((refresh_runs(&shared, &claimed, &mut runs).await?, filings_of(&shared, &claimed).await?)) };
        // (Claims left in hand by a stop here are this instance's leases: handed back below.)
        let Some(looked_up) = db_call(&mut shutdown, looked_up).await else { break };
        let filings = match looked_up {
            Ok(Ok(((), f))) => f,
            outcome => {
                // Our database trouble: hand these claims back for a later try.
                let why = match outcome {
                    Ok(Err(e)) => format!("{e:#}"),
                    _ => format!("no answer in {} s", DB_TIMEOUT.as_secs()),
                };
                warn!("cannot read the runs and filings of claimed work: {why}");
                let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
                let release = shared.store.release_targets(&shared.instance, &ids, None, false);
                let _ = db_call(&mut shutdown, release).await;
                forget(&held, ids);
                wait(&shared, &mut shutdown, IDLE_POLL).await;
                continue;
            }
        };
        let scanner = shared.scanner();
        for c in claimed {
            let (Some(filing), Some(probes)) = (filings.get(&c.site_number).cloned(), runs.get(&c.run_id).copied()) else {
                // Filing removed since the run was queued, or the run is no longer running.
                let _ = done_tx.send(Outcome::Done(c, None)).await;
                continue;
            };
            // Claimed again after MAX_ATTEMPTS claims that ended without a result: the earlier
            // ones took the process down (a panic is caught below).
            if c.attempts > MAX_ATTEMPTS {
                error!(domain = %c.domain, "{} earlier checks of this domain ended without a result: recorded as inconclusive", c.attempts - 1);
                let row = internal_error(&Target { filing, domain: c.domain.clone() }, c.attempts - 1);
                let _ = done_tx.send(Outcome::Done(c, Some(row))).await;
                continue;
            }
            let permit = permits.clone().acquire_owned().await?;
            let scanner = scanner.clone();
            let tx = done_tx.clone();
            let span = info_span!("check", run = c.run_id, domain = %c.domain);
            checks.spawn(
                async move {
                    let target = Target { filing, domain: c.domain.clone() };
                    metrics::gauge!("beiand_checks_in_flight").increment(1.0);
                    let checked = std::panic::AssertUnwindSafe(scanner.check_within(&target, probes, Some(MAX_LIMITER_WAIT)))
                        .catch_unwind()
                        .await;
                    metrics::gauge!("beiand_checks_in_flight").decrement(1.0);
                    drop(permit);
                    let outcome = match checked {
                        Ok(Ok(check)) => match serde_json::to_string(&check) {
                            Ok(evidence) => Outcome::Done(c, Some(check.into_row(evidence))),
                            Err(e) => {
                                error!("cannot serialise the evidence: {e}");
                                Outcome::Release(c, None, true)
                            }
                        },
                        Ok(Err(wait)) => {
                            let due = clock::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                            Outcome::Release(c, Some(due), false)
                        }
                        Err(_) if c.attempts >= MAX_ATTEMPTS => {
                            error!("the check panicked {} times: recorded as inconclusive", c.attempts);
                            let row = internal_error(&target, c.attempts);
                            Outcome::Done(c, Some(row))
                        }
                        Err(_) => {
                            error!("the check panicked (attempt {}); the domain goes back to the queue", c.attempts);
                            Outcome::Release(c, None, true)
                        }
                    };
                    let _ = tx.send(outcome).await;
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
    // The stop that ended the loop is seen; another one (a second signal) ends the drain early.
    shutdown.borrow_and_update();
    let drained = tokio::select! {
        r = tokio::time::timeout(drain, async { while checks.join_next().await.is_some() {} }) => r.is_ok(),
        // (A sender gone is no second stop: the drain runs its time.)
        _ = async { if shutdown.changed().await.is_err() { std::future::pending::<()>().await } } => checks.is_empty(),
    };
    if !drained {
        warn!("stopping: {} checks did not finish (drain {} s); their domains go back to the queue", checks.len(), drain.as_secs());
        checks.abort_all();
        while checks.join_next().await.is_some() {}
    }
    drop(done_tx);
    // Storing the last results and handing back the rest get STORE_AT_STOP: with the database
    // gone they would wait out its retries and pool timeouts past the time systemd gives the stop.
    // Nothing is lost when they do not make it: the leases run out and the domains are checked
    // again, by this instance at its next start or by another one.
    let writer = completer.abort_handle();
    let last_writes = async {
        completer.await.context("result writer")??;
        shared.store.release_leases(&shared.instance).await
    };
    match tokio::time::timeout(STORE_AT_STOP, last_writes).await {
        Ok(Ok(0)) => {}
        Ok(Ok(released)) => info!("handed back {released} unfinished domains to the queue"),
        Ok(Err(e)) => warn!("stopping: cannot hand back the unfinished domains, their leases will run out: {e:#}"),
        Err(_) => warn!(
            "stopping: the database did not take the last results and the hand-back within {} s; their leases will run out",
            STORE_AT_STOP.as_secs()
        ),
    }
    writer.abort();
    renewer.abort();
    Ok(())
}

/// The stored result of a check that kept crashing: inconclusive, so it never touches a ticket.
fn internal_error(target: &Target, attempts: i64) -> ResultRow {
    let check = crate::scan::DomainCheck::internal_error(target, &format!("the check did not finish in {attempts} claims (the process died during it, or its result could not be stored)"));
    let evidence = serde_json::to_string(&check).unwrap_or_default();
    check.into_row(evidence)
}

/// Awaits the claim loop's database `work` for at most [`DB_TIMEOUT`] (`Err` past it), unless
/// the stop comes first (`None`): a query that a hung or locked database holds up must not hold
/// up the stop. Dropping it midway loses nothing: a transaction it had open rolls back, and a
/// claim it made is a lease of this instance, handed back at the stop with the others (or run
/// out).
async fn db_call<T>(shutdown: &mut watch::Receiver<bool>, work: impl std::future::Future<Output = T>) -> Option<Result<T, tokio::time::error::Elapsed>> {
    tokio::select! {
        biased;
        // (A sender gone is no stop.)
        _ = async { if shutdown.wait_for(|stop| *stop).await.is_err() { std::future::pending::<()>().await } } => None,
        done = tokio::time::timeout(DB_TIMEOUT, work) => Some(done),
    }
}

async fn wait(shared: &Shared, shutdown: &mut watch::Receiver<bool>, d: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = shutdown.changed() => {}
        _ = shared.wake.notified() => {}
    }
}

/// Learns the probes of the running queued runs (when a claim names one not known yet); a run
/// missing from the answer is no longer running, and its claims are dropped.
async fn refresh_runs(shared: &Shared, claimed: &[Claimed], runs: &mut HashMap<i64, ProbeSet>) -> Result<()> {
    if claimed.iter().all(|c| runs.contains_key(&c.run_id)) {
        return Ok(());
    }
    runs.clear();
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
async fn complete(shared: Arc<Shared>, held: Held, mut rx: mpsc::Receiver<Outcome>) -> Result<()> {
    let mut batch = Vec::with_capacity(FLUSH_AT);
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
                    flush(&shared, &held, &mut batch).await;
                    continue;
                }
            }
        };
        match item {
            Some(item) => {
                batch.push(item);
                if batch.len() >= FLUSH_AT {
                    flush(&shared, &held, &mut batch).await;
                }
            }
            None => {
                flush(&shared, &held, &mut batch).await;
                return Ok(());
            }
        }
    }
}

async fn flush(shared: &Arc<Shared>, held: &Held, batch: &mut Vec<Outcome>) {
    if batch.is_empty() {
        return;
    }
    let mut done = Vec::new();
    for outcome in batch.drain(..) {
        match outcome {
            Outcome::Done(c, row) => done.push((c, row)),
            Outcome::Release(c, due, failed) => {
                if let Err(e) = shared.store.release_targets(&shared.instance, &[c.id], due, failed).await {
                    warn!("cannot hand back {} (its lease will expire): {e:#}", c.domain);
                }
                forget(held, [c.id]);
            }
        }
    }
    let mut tries = 0;
    loop {
        match shared.store.complete_targets(&shared.instance, &done).await {
            Ok(ids) => {
                if ids.len() < done.len() {
                    warn!("{} checks finished after their lease was lost; their results were dropped", done.len() - ids.len());
                }
                break;
            }
            Err(e) if tries < 3 => {
                tries += 1;
                warn!("cannot store results (try {tries}): {e:#}");
                tokio::time::sleep(Duration::from_millis(500 * tries)).await;
            }
            Err(e) => {
                // Not stored; no longer renewed either: the leases run out and the domains are
                // checked again, by this instance or another.
                warn!("giving up storing {} results: {e:#}", done.len());
                break;
            }
        }
    }
    forget(held, done.iter().map(|(c, _)| c.id));
    let mut run_ids: Vec<i64> = done.iter().map(|(c, _)| c.run_id).collect();
    run_ids.sort_unstable();
    run_ids.dedup();
    for id in run_ids {
        finish(shared, id).await;
    }
}

/// Finishes a run if every target is done; the instance that finished it applies it to the
/// tickets, in a task of its own so that checking goes on meanwhile.
async fn finish(shared: &Arc<Shared>, run_id: i64) {
    let finished = match shared.store.try_finish_run(&shared.instance, run_id, DEGRADED_SHARE, clock::now()).await {
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
    let task = shared.clone();
    shared.spawn_tracked(async move { apply(&task, run_id).await });
}

/// Applies a finished run to the tickets.
async fn apply(shared: &Shared, run_id: i64) {
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
/// instance completed without finishing).
async fn finish_idle_runs(shared: &Arc<Shared>) {
    match shared.store.queued_runs().await {
        Ok(runs) => {
            for r in runs {
                finish(shared, r.id).await;
            }
        }
        Err(e) => warn!("cannot list queued runs: {e:#}"),
    }
}

/// A run whose application to the tickets was taken this long ago without being done is taken
/// over (its taker died or is stuck).
const APPLY_STALE: chrono::Duration = chrono::Duration::minutes(10);

/// Applies finished runs whose finisher died before applying them (or failed to). Run at
/// start-up and periodically by the daemon.
pub async fn catch_up(shared: &Shared) {
    let now = clock::now();
    let ids = match shared.store.unapplied_runs(now - APPLY_STALE).await {
        Ok(ids) => ids,
        Err(e) => return warn!("cannot look for unapplied runs: {e:#}"),
    };
    for id in ids {
        match shared.store.claim_apply(&shared.instance, id, now - APPLY_STALE, now).await {
            Ok(true) => {
                info!(run = id, "applying run {id} to the tickets: the instance that finished it did not");
                apply(shared, id).await;
            }
            Ok(false) => {}
            Err(e) => warn!(run = id, "cannot take over applying the run: {e:#}"),
        }
    }
}

/// Renews the leases of the claims in hand every third of the lease time.
async fn renew(shared: Arc<Shared>, held: Held, lease: chrono::Duration) {
    let every = (lease / 3).to_std().unwrap_or(Duration::from_secs(1)).max(Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        let ids: Vec<i64> = held.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
        if ids.is_empty() {
            continue;
        }
        if let Err(e) = shared.store.renew_leases(&shared.instance, &ids, lease, clock::now()).await {
            warn!("cannot renew leases: {e:#}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::daemon::Live;
    use crate::filing::FilingStatus;
    use crate::store::queue::{Enqueued, QueuedTarget, RunSpec};
    use crate::store::tickets::TicketFilter;
    use crate::store::Store;
    use sqlx::Row;

    /// `demo.example.cn` sites of the demo world: one the demo serves a compliant page for, one
    /// whose address nobody listens on (`http.unreachable`), one more on the first one's address.
    const SHOP: (&str, &str, &str) = ("京ICP备2024012345号-2", "示例商城", "shop.demo.example.cn");
    const DOWN: (&str, &str, &str) = ("京ICP备2024012345号-12", "示例活动", "down.demo.example.cn");
    const NEWS: (&str, &str, &str) = ("京ICP备2024012345号-7", "示例新闻", "news.demo.example.cn");

    fn filing((site, name, domain): (&str, &str, &str)) -> Filing {
        Filing {
            site_number: site.into(),
            subject_number: site.rsplit_once('-').unwrap().0.into(),
            site_name: name.into(),
            subject_name: None,
            subject_nature: None,
            domains: vec![domain.into()],
            filed_ips: vec![],
            psb_number: None,
            status: FilingStatus::Active,
            province: None,
            homepage: None,
        }
    }

    /// The two databases the workers run on: SQLite in memory, and a new PostgreSQL database.
    async fn database_urls() -> [String; 2] {
        ["sqlite::memory:".to_string(), crate::store::testing::fresh_pg_database().await]
    }

    /// The `[dns]` lines that resolve the demo world's names.
    fn demo_dns(world: &crate::demo::World) -> String {
        format!("nameservers = [\"{}\"]\ntimeout_ms = 500\nattempts = 1", world.dns)
    }

    /// A daemon's shared state over the database at `url`, with the given `[dns]` and `[scan]`
    /// lines, fetching homepages from `web_port`; one check is enough to open a ticket.
    async fn shared(dir: &std::path::Path, url: &str, dns: &str, web_port: u16, scan: &str) -> Arc<Shared> {
        std::fs::write(dir.join("inventory.csv"), "cidr,region,in_region,label\n127.10.0.0/16,cn-beijing,true,华北演示\n").unwrap();
        let text = format!(
            "[database]\nurl = \"{url}\"\n[provider]\nname = \"演示云\"\ninventory = \"inventory.csv\"\n\
             [dns]\n{dns}\n\
             [http]\nport = {web_port}\nhttps_port = {web_port}\ntimeout_ms = 2000\nallow_private_targets = [\"127.0.0.0/8\"]\n\
             [scan]\n{scan}\n[tickets]\nconfirm_scans = 1\nconfirm_hours = 0\n"
        );
        let path = dir.join("beiand.toml");
        std::fs::write(&path, text).unwrap();
        let config = Config::load(&path).unwrap();
        let connections = if url.starts_with("sqlite") { 1 } else { 4 };
        let store = Store::open(url, connections).await.unwrap();
        Arc::new(Shared::new(store, Live::build(config).unwrap()))
    }

    /// Queues a run of `sites`, all due since two hours ago, the first one first.
    async fn queue(store: &Store, sites: &[(&str, &str, &str)]) -> i64 {
        let since = clock::now() - chrono::Duration::hours(2);
        store.upsert_filings(&sites.iter().map(|s| filing(*s)).collect::<Vec<_>>(), since).await.unwrap();
        let targets: Vec<QueuedTarget> = sites
            .iter()
            .enumerate()
            .map(|(i, (site, _, domain))| QueuedTarget {
                site_number: site.to_string(),
                domain: domain.to_string(),
                not_before: since + chrono::Duration::seconds(i as i64),
            })
            .collect();
        let spec = RunSpec { profile: "nightly".into(), probes: "dns,http,page".into(), slot: since };
        match store.enqueue_run(&spec, &targets, since, true).await.unwrap() {
            Enqueued::Created(id) => id,
            other => panic!("{other:?}"),
        }
    }

    /// The queue rows of a run: (domain, state, attempts, not_before).
    async fn queue_rows(store: &Store, run: i64) -> Vec<(String, String, i64, String)> {
        sqlx::query("SELECT domain, state, attempts, not_before FROM run_targets WHERE run_id = $1 ORDER BY id")
            .bind(run)
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    }

    /// Polls `done` every 100 ms for up to 30 s.
    async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !done().await {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test]
    async fn a_domain_whose_checks_took_the_process_down_three_times_is_recorded_as_inconclusive() {
        let world = crate::demo::World::start().await.unwrap();
        for url in database_urls().await {
            let dir = tempfile::tempdir().unwrap();
            let shared = shared(dir.path(), &url, &demo_dns(&world), world.port, "per_address_rate = 0").await;
            let store = &shared.store;
            let run = queue(store, &[DOWN, SHOP]).await;
            // Three earlier processes died with DOWN in hand, two with SHOP: they claimed, never
            // completed nor handed back, and their leases ran out.
            let lease = chrono::Duration::seconds(30);
            for (dead, (claims, minutes_ago)) in [(2, 60), (2, 50), (1, 40)].into_iter().enumerate() {
                let at = clock::now() - chrono::Duration::minutes(minutes_ago);
                let claimed = store.claim_targets(&format!("dead-{dead}"), claims, lease, at).await.unwrap();
                assert_eq!(claimed.len(), claims, "{url}");
            }
            assert_eq!(queue_rows(store, run).await.iter().map(|r| r.2).collect::<Vec<_>>(), [MAX_ATTEMPTS, MAX_ATTEMPTS - 1], "{url}");

            let (stop, stopped) = watch::channel(false);
            let workers = tokio::spawn(super::run(shared.clone(), stopped));
            wait_until("the run to finish", || async { store.run(run).await.unwrap().unwrap().state != "running" }).await;
            stop.send(true).unwrap();
            workers.await.unwrap().unwrap();
            assert!(shared.finish_tracked(Duration::from_secs(20)).await, "the run applied to the tickets");

            // DOWN is not checked again: its result is our internal error, no finding of the
            // customer's. SHOP, claimed for the third time only, is checked as usual.
            let results: Vec<serde_json::Value> =
                store.run_evidence(run).await.unwrap().iter().map(|e| serde_json::from_str(e).unwrap()).collect();
            assert_eq!(results.len(), 2, "{url}: {results:?}");
            let (down, shop) = (&results[0], &results[1]);
            assert_eq!(down["domain"], DOWN.2);
            assert_eq!(down["inconclusive"], true, "{url}: {down}");
            assert_eq!(
                down["findings"],
                serde_json::json!([{"code": "scan.inconclusive", "detail": format!("internal error: the check did not finish in {MAX_ATTEMPTS} claims (the process died during it, or its result could not be stored)")}]),
                "{url}"
            );
            assert_eq!(shop["domain"], SHOP.2);
            assert_eq!((shop["inconclusive"].clone(), shop["http_status"].clone()), (false.into(), 200.into()), "{url}: {shop}");
            let row = sqlx::query("SELECT codes FROM results WHERE run_id = $1 AND domain = $2")
                .bind(run)
                .bind(DOWN.2)
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(row.get::<String, _>(0), "", "{url}: no customer finding is stored");
            let finished = store.run(run).await.unwrap().unwrap();
            assert_eq!((finished.checked, finished.inconclusive, finished.with_findings), (2, 1, 0), "{url}");
            let filter = TicketFilter { site_number: Some(DOWN.0.into()), ..Default::default() };
            assert!(store.tickets(&filter).await.unwrap().is_empty(), "{url}: no ticket for our failure");
            assert_eq!(store.ticket_runs(10).await.unwrap().len(), 1, "{url}: the run was applied");
            store.close().await;
        }
    }

    #[tokio::test]
    async fn a_check_deferred_by_the_rate_limit_does_not_count_as_an_attempt() {
        let world = crate::demo::World::start().await.unwrap();
        for url in database_urls().await {
            let dir = tempfile::tempdir().unwrap();
            // One fetch per 100 s per address: of two domains on one address, one is fetched
            // and the other goes back to the queue, due in about 100 s.
            let shared = shared(dir.path(), &url, &demo_dns(&world), world.port, "per_address_rate = 0.01\nper_address_burst = 1").await;
            let store = &shared.store;
            let run = queue(store, &[SHOP, NEWS]).await;

            let (stop, stopped) = watch::channel(false);
            let workers = tokio::spawn(super::run(shared.clone(), stopped));
            let deferred = |rows: &[(String, String, i64, String)]| {
                let later = clock::stamp(clock::now() + chrono::Duration::seconds(60));
                rows.iter().any(|r| r.1 == "done") && rows.iter().any(|r| r.1 == "pending" && r.3 > later)
            };
            wait_until("one done and one deferred", || async { deferred(&queue_rows(store, run).await) }).await;
            stop.send(true).unwrap();
            workers.await.unwrap().unwrap();

            let rows = queue_rows(store, run).await;
            let states: Vec<(&str, i64)> = rows.iter().map(|r| (r.1.as_str(), r.2)).collect();
            assert!(states.contains(&("done", 1)), "{url}: {rows:?}");
            assert!(states.contains(&("pending", 0)), "{url}: the deferral gave its attempt back: {rows:?}");
            assert_eq!(store.run(run).await.unwrap().unwrap().state, "running", "{url}");
            store.close().await;
        }
    }

    /// Workers over the database at `url` with no drain time and one check in flight that waits
    /// on a nameserver that never answers: the check is cut short at the stop. The stop's sender,
    /// the workers and the run, with the temporary folder and the socket to keep.
    struct InFlight {
        _dir: tempfile::TempDir,
        _silent: std::net::UdpSocket,
        shared: Arc<Shared>,
        run: i64,
        stop: watch::Sender<bool>,
        workers: tokio::task::JoinHandle<Result<()>>,
    }

    async fn one_check_in_flight(url: &str) -> InFlight {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let dns = format!("nameservers = [\"{}\"]\ntimeout_ms = 60000\nattempts = 1", silent.local_addr().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let shared = shared(dir.path(), url, &dns, 9, "drain_seconds = 0").await;
        let run = queue(&shared.store, &[SHOP]).await;
        let (stop, stopped) = watch::channel(false);
        let workers = tokio::spawn(super::run(shared.clone(), stopped));
        wait_until("the check to start", || async { queue_rows(&shared.store, run).await[0].1 == "leased" }).await;
        InFlight { _dir: dir, _silent: silent, shared, run, stop, workers }
    }

    #[tokio::test]
    async fn a_check_handed_back_at_shutdown_does_not_count_as_an_attempt() {
        for url in database_urls().await {
            let InFlight { _dir, _silent, shared, run, stop, workers } = one_check_in_flight(&url).await;
            let store = &shared.store;
            stop.send(true).unwrap();
            tokio::time::timeout(Duration::from_secs(10), workers).await.expect("stopped without waiting for the check").unwrap().unwrap();

            let rows = queue_rows(store, run).await;
            assert_eq!((rows[0].1.as_str(), rows[0].2), ("pending", 0), "{url}: handed back with its attempt: {rows:?}");
            store.close().await;
        }
    }

    #[tokio::test]
    async fn a_database_that_hangs_or_is_gone_at_shutdown_does_not_hold_up_the_stop() {
        for url in database_urls().await {
            let InFlight { _dir, _silent, shared, run, stop, workers } = one_check_in_flight(&url).await;
            let store = &shared.store;
            // PostgreSQL: another session holds the queue table, so the hand-back waits for ever.
            // SQLite: the database is gone (its pool closed), so the hand-back fails.
            let mut locker = None;
            if url.starts_with("postgres") {
                locker = Some(crate::store::testing::lock_table(&url, "run_targets").await);
                // The claim loop looks for more work at least every IDLE_POLL: now it is waiting
                // on the lock, in a claim or in the idle loop's queries.
                tokio::time::sleep(IDLE_POLL + Duration::from_millis(500)).await;
            } else {
                store.close().await;
            }
            let started = std::time::Instant::now();
            stop.send(true).unwrap();
            let stopped = tokio::time::timeout(STORE_AT_STOP + Duration::from_secs(5), workers).await;
            let stopped = stopped.unwrap_or_else(|_| panic!("{url}: the stop waited for the database"));
            stopped.unwrap().unwrap_or_else(|e| panic!("{url}: the stop failed: {e:#}"));
            assert!(started.elapsed() < STORE_AT_STOP + Duration::from_secs(2), "{url}: {:?}", started.elapsed());
            if let Some(mut conn) = locker {
                sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
                // Not handed back: its lease runs out instead.
                assert_eq!(queue_rows(store, run).await[0].1, "leased", "{url}");
                store.close().await;
            }
        }
    }
}
