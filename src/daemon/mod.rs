//! `beiand run`: the daemon. It fires the configured scan profiles on their cron schedules,
//! checks the queued work within the global concurrency and per-address limits, applies
//! finished runs to the tickets, serves the admin API and `/metrics`, and talks to systemd.
//!
//! - [`schedule`]: when profiles fire and how their checks are spread (pure);
//! - [`shared`]: the store and the live configuration every task reads;
//! - [`worker`]: claiming, checking, storing, finishing runs;
//! - [`notify`]: READY / STOPPING / STATUS / watchdog for systemd.
//!
//! Signals: SIGHUP reloads the configuration (a config that does not load is refused, logged,
//! and the old one stays in force); SIGTERM or SIGINT stops claiming work, lets the checks in
//! flight finish within `scan.drain_seconds`, hands the rest back to the queue and exits 0.
//! Work survives a crash: runs and their targets live in the database, and a restarted instance
//! (or, on PostgreSQL, any other instance) finishes an interrupted run.

pub mod notify;
pub mod schedule;
pub mod shared;
pub mod worker;

pub use shared::{Live, Shared};

use crate::clock;
use crate::config::Config;
use crate::scan::{ProbeSet, Selection};
use crate::store::queue::Enqueued;
use crate::store::{Backend, Store};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tracing::{error, info, warn};

/// How often the tickets are swept (overdue, escalation), lost applications caught up and old
/// results deleted.
const UPKEEP_EVERY: Duration = Duration::from_secs(300);
/// A firing missed by at most this much when the daemon starts is still honoured.
const START_GRACE: chrono::Duration = chrono::Duration::minutes(10);
/// On stop, applying a just-finished run to the tickets gets at least this long after the checks'
/// drain (cut short, it is taken over by another instance or the next start).
const FINISH_AT_LEAST: Duration = Duration::from_secs(5);
/// How long after its instant a firing is still tried while the database fails (the window a
/// missed firing is honoured in at start, too), and the longest pause between tries.
const ENQUEUE_WINDOW: chrono::Duration = START_GRACE;
const ENQUEUE_PAUSE_MAX: Duration = Duration::from_secs(60);
/// The scheduler wakes at least this often and reads the wall clock again, so that a clock
/// stepped forward (NTP at boot) does not make a firing late by the size of the step.
const SCHEDULER_TICK: Duration = Duration::from_secs(60);

/// Runs the daemon until SIGTERM or SIGINT.
pub async fn run(config_path: &Path) -> Result<()> {
    // Signals first: a reload sent right after start must not kill the process.
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    clock::advance();
    let cfg = Config::load(config_path)?;
    let live = Live::build(cfg.clone())?;
    let _lock = single_instance_lock(&cfg)?;
    let listener = tokio::net::TcpListener::bind(cfg.server.listen)
        .await
        .with_context(|| format!("key server.listen: cannot listen on {}", cfg.server.listen))?;
    let store = Store::open(&cfg.database.url, cfg.database.max_connections).await?;
    crate::metrics::install()?;
    let shared = Arc::new(Shared::new(store, live));
    if shared.store.backend() == Backend::Sqlite {
        // SQLite is single-instance (the lock above): a lease still held is a dead process's.
        let n = shared.store.release_all_leases().await?;
        if n > 0 {
            info!("resuming: {n} domains of an interrupted run go back to the queue");
        }
    }
    // Leases are compared with each instance's own clock: one that runs far ahead of the others
    // takes their live leases as expired, and checks their domains twice.
    let lease = chrono::Duration::seconds(cfg.scan.lease_seconds as i64);
    match shared.store.clock_offset().await {
        Ok(Some(off)) if off.num_milliseconds().abs() > lease.num_milliseconds() / 3 => warn!(
            "this machine's clock is {:.1} s {} the database's: with scan.lease_seconds = {}, instances whose clocks \
             differ this much take each other's leases; keep the clocks in step (NTP)",
            off.num_milliseconds().abs() as f64 / 1000.0,
            if off.num_milliseconds() > 0 { "behind" } else { "ahead of" },
            cfg.scan.lease_seconds
        ),
        Ok(_) => {}
        Err(e) => warn!("cannot compare this machine's clock with the database's: {e:#}"),
    }
    for r in shared.store.queued_runs().await? {
        let (done, total) = shared.store.run_progress(r.id).await?;
        info!(run = r.id, profile = %r.profile, "resuming run {} ({}): {done} of {total} domains done", r.id, r.profile);
    }
    info!(
        instance = %shared.instance,
        "beiand {} started: database {}, admin API on http://{}, {} schedule(s)",
        env!("CARGO_PKG_VERSION"),
        crate::store::redact(&cfg.database.url),
        cfg.server.listen,
        cfg.schedule.len()
    );
    if shared.token().is_none() {
        warn!("server.token_file is not set: the admin API answers 401 to everything but /healthz");
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let (reload_tx, reload_rx) = watch::channel(0u64);
    let api = {
        let mut stop = stop_rx.clone();
        tokio::spawn(crate::api::serve(listener, shared.clone(), async move {
            let _ = stop.wait_for(|s| *s).await;
        }))
    };
    let mut workers = tokio::spawn(worker::run(shared.clone(), stop_rx.clone()));
    let mut scheduler = tokio::spawn(scheduler(shared.clone(), stop_rx.clone(), reload_rx));
    let mut upkeep = tokio::spawn(upkeep(shared.clone(), stop_rx.clone()));
    let watchdog = tokio::spawn(watchdog(shared.clone()));
    notify::ready(&status_line(&shared).await);

    // The workers took scan.drain_seconds at start; a reload changes it at the next restart only.
    let drain = Duration::from_secs(shared.config().scan.drain_seconds);
    // Until a stop signal, or until a task that should run for ever ends (a bug: exit non-zero
    // and let systemd restart us rather than run on without schedules or workers).
    let mut workers_ended = false;
    let failed: Option<String> = loop {
        tokio::select! {
            _ = hup.recv() => {
                notify::reloading();
                reload(&shared, config_path, &reload_tx);
                notify::ready(&status_line(&shared).await);
            }
            _ = term.recv() => { info!("SIGTERM: stopping"); break None; }
            _ = int.recv() => { info!("SIGINT: stopping"); break None; }
            r = &mut workers => { workers_ended = true; break Some(format!("the workers stopped: {}", describe_end(r))) }
            r = &mut scheduler => break Some(format!("the scheduler stopped: {}", describe_end(r.map(Ok)))),
            r = &mut upkeep => break Some(format!("the upkeep task stopped: {}", describe_end(r.map(Ok)))),
        }
    };
    // One deadline for the whole stop, so that it fits what systemd is asked for (the drain time
    // and a little more on top of TimeoutStopSec): the checks in flight get the drain time, and
    // applying a run that just finished gets what is left of it (at least FINISH_AT_LEAST).
    let deadline = tokio::time::Instant::now() + drain;
    notify::stopping("stopping: finishing checks in flight", drain + Duration::from_secs(15));
    let _ = stop_tx.send(true);
    // A second SIGTERM or SIGINT (an operator who will not wait) cuts the drain short: the checks
    // in flight are stopped and handed back at once, and the rest of the stop goes on as usual.
    let hurry = tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        warn!("a second stop signal: cutting the drain short, the checks in flight go back to the queue");
        let _ = stop_tx.send(true);
    });
    scheduler.abort();
    upkeep.abort();
    let result = if workers_ended { Ok(()) } else { workers.await.context("worker task").and_then(|r| r) };
    if let Err(e) = &result {
        error!("workers stopped with an error: {e:#}");
    }
    if !shared.finish_tracked(deadline.saturating_duration_since(tokio::time::Instant::now()).max(FINISH_AT_LEAST)).await {
        warn!("stopping: applying a finished run to the tickets did not finish; another instance or the next start takes it over");
    }
    // The stop's parts add up to the drain time and 14 s (workers' last writes 4, finishing a run
    // at least 5, the API 4, closing 1), within the 15 s more asked of systemd above.
    match tokio::time::timeout(Duration::from_secs(4), api).await {
        Ok(Ok(Err(e))) => warn!("admin API: {e:#}"),
        Err(_) => warn!("admin API did not stop within 4 s"),
        _ => {}
    }
    watchdog.abort();
    hurry.abort();
    if let Some(why) = failed {
        let _ = tokio::time::timeout(CLOSE_AT_MOST, shared.store.release_leases(&shared.instance)).await;
        close_store(&shared).await;
        anyhow::bail!("{why}");
    }
    close_store(&shared).await;
    info!("stopped");
    result
}

/// How long the database may take to say what [`status_line`] reports.
const STATUS_AT_MOST: Duration = Duration::from_secs(2);

/// How long closing the database connections may take at the end of a stop.
const CLOSE_AT_MOST: Duration = Duration::from_secs(1);

/// Closes the database connections, unless the database does not answer within [`CLOSE_AT_MOST`]:
/// exiting closes them anyway.
async fn close_store(shared: &Shared) {
    if tokio::time::timeout(CLOSE_AT_MOST, shared.store.close()).await.is_err() {
        warn!("stopping: the database connections did not close within {} s", CLOSE_AT_MOST.as_secs());
    }
}

fn describe_end(r: std::result::Result<Result<()>, tokio::task::JoinError>) -> String {
    match r {
        Ok(Ok(())) => "without an error".into(),
        Ok(Err(e)) => format!("{e:#}"),
        Err(e) => format!("{e}"),
    }
}

/// SQLite is for one instance: a second `beiand run` on the same database file would hand back
/// the first one's leases. An exclusive lock on a file beside the database keeps it out.
fn single_instance_lock(cfg: &Config) -> Result<Option<std::fs::File>> {
    let Some(path) = cfg.database.url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p).to_string()) else {
        return Ok(None);
    };
    if path.starts_with(":memory:") || path.is_empty() {
        return Ok(None);
    }
    let lock_path = format!("{path}.lock");
    if let Some(dir) = Path::new(&lock_path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create database folder {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {lock_path}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another beiand run uses the SQLite database {path} (lock {lock_path}); \
             SQLite is for one instance, use PostgreSQL for several"
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {lock_path}")),
    }
}

/// Reloads the configuration; a config that does not load is refused and the old one stays.
fn reload(shared: &Shared, path: &Path, reloaded: &watch::Sender<u64>) {
    let old = shared.config();
    let new = match Config::load(path).and_then(Live::build) {
        Ok(live) => live,
        Err(e) => {
            metrics::counter!("beiand_config_reloads_total", "result" => "error").increment(1);
            error!("SIGHUP: the new configuration is refused, the old one stays in force: {e:#}");
            *shared.reload_error.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(format!("reload refused at {}: {}", clock::stamp(clock::now()), first_line(&format!("{e:#}"))));
            return;
        }
    };
    for (key, changed) in [
        ("database.url", new.config.database.url != old.database.url),
        ("database.max_connections", new.config.database.max_connections != old.database.max_connections),
        ("server.listen", new.config.server.listen != old.server.listen),
        ("scan.concurrency", new.config.scan.concurrency != old.scan.concurrency),
        ("scan.lease_seconds", new.config.scan.lease_seconds != old.scan.lease_seconds),
        ("scan.drain_seconds", new.config.scan.drain_seconds != old.scan.drain_seconds),
    ] {
        if changed {
            warn!("SIGHUP: a change of {key} takes effect at the next restart");
        }
    }
    let names: Vec<&str> = new.config.schedule.iter().map(|s| s.name.as_str()).collect();
    info!("SIGHUP: configuration reloaded from {}: schedules {}", path.display(), names.join(", "));
    shared.swap(new);
    *shared.reload_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
    metrics::counter!("beiand_config_reloads_total", "result" => "ok").increment(1);
    reloaded.send_modify(|n| *n += 1);
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// Fires profiles at their cron instants, queueing one run each.
async fn scheduler(shared: Arc<Shared>, mut stop: watch::Receiver<bool>, mut reloaded: watch::Receiver<u64>) {
    // Per profile: its cron expression and its next instant.
    let mut next: BTreeMap<String, (String, DateTime<Utc>)> = BTreeMap::new();
    // A profile keeps its next instant across a reload when its cron did not change, so an
    // instant that fell due while the scheduler was busy is not lost.
    let plan = |cfg: &Config, next: &mut BTreeMap<String, (String, DateTime<Utc>)>, start: bool| {
        let now = clock::now();
        let mut planned = BTreeMap::new();
        for p in &cfg.schedule {
            let kept = next.get(&p.name).filter(|(cron, _)| *cron == p.cron).map(|(_, at)| *at);
            let missed = if start { schedule::missed_fire(&p.cron, now, START_GRACE) } else { None };
            if let Some(at) = kept.or(missed).or_else(|| schedule::next_fire(&p.cron, now)) {
                info!(profile = %p.name, "next run of {} at {}", p.name, at.with_timezone(&clock::shanghai()).to_rfc3339());
                planned.insert(p.name.clone(), (p.cron.clone(), at));
            } else {
                warn!(profile = %p.name, "{} does not fire again: its cron expression {:?} has no instant after now", p.name, p.cron);
            }
        }
        *next = planned;
    };
    plan(&shared.config(), &mut next, true);
    loop {
        let soonest = next.values().map(|(_, at)| *at).min();
        let sleep = soonest.map(|t| (t - clock::now()).to_std().unwrap_or_default()).unwrap_or(SCHEDULER_TICK).min(SCHEDULER_TICK);
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = stop.changed() => return,
            _ = reloaded.changed() => { plan(&shared.config(), &mut next, false); continue; }
        }
        let cfg = shared.config();
        let now = clock::now();
        for p in &cfg.schedule {
            let Some(at) = next.get(&p.name).map(|(_, at)| *at).filter(|at| *at <= now) else { continue };
            fire(&shared, p, at).await;
            plan_after_firing(&mut next, p, at, clock::now());
        }
    }
}

/// After profile `p` fired for instant `at`: its next instant, or none when its cron has no
/// further firing (one with a year field, past its last year). Left as it was, the instant that
/// just fired would stay due and be fired again at once, round and round.
fn plan_after_firing(next: &mut BTreeMap<String, (String, DateTime<Utc>)>, p: &crate::config::Schedule, at: DateTime<Utc>, now: DateTime<Utc>) {
    match schedule::next_fire(&p.cron, at.max(now)) {
        Some(n) => {
            next.insert(p.name.clone(), (p.cron.clone(), n));
        }
        None => {
            next.remove(&p.name);
            info!(profile = %p.name, "{} fired for the last time: its cron expression {:?} has no later instant", p.name, p.cron);
        }
    }
}

/// Queues the run of profile `p` for instant `at`, retrying while the database fails, until
/// [`ENQUEUE_WINDOW`] after the instant.
async fn fire(shared: &Shared, p: &crate::config::Schedule, at: DateTime<Utc>) {
    let spread = schedule::spread(p, at);
    for attempt in 1u32.. {
        let outcome = shared
            .enqueue(&p.name, &Selection::from_config(p.select), ProbeSet::from_list(&p.probes), at, spread, true)
            .await;
        match outcome {
            Ok(Enqueued::Created(id)) => {
                let (_, total) = shared.store.run_progress(id).await.unwrap_or_default();
                info!(run = id, profile = %p.name, "run {id} ({}) queued: {total} domains over {} s", p.name, spread.num_seconds());
            }
            Ok(Enqueued::Exists(id)) => info!(run = id, profile = %p.name, "run {id} for this instant was already queued"),
            Ok(Enqueued::Busy(id)) => {
                metrics::counter!("beiand_runs_skipped_total", "profile" => p.name.clone()).increment(1);
                warn!(profile = %p.name, "skipping {}: its previous run {id} is still going", p.name);
            }
            // (Counted by the instance that skipped it first, so that a sum over instances is right.)
            Ok(Enqueued::BusySkipped(id)) => info!(profile = %p.name, "{} for this instant was already skipped: its previous run {id} is still going", p.name),
            Err(e) => match retry_pause(at, clock::now(), attempt) {
                Some(pause) => {
                    warn!(profile = %p.name, "cannot queue a run of {} (try {attempt}): {e:#}", p.name);
                    tokio::time::sleep(pause).await;
                    continue;
                }
                None => error!(profile = %p.name, "giving up queueing the run of {} for {}: {e:#}", p.name, clock::stamp(at)),
            },
        }
        return;
    }
}

/// After try `attempt` to queue the firing for instant `at` failed at `now`: the pause before the
/// next try (doubling, at most [`ENQUEUE_PAUSE_MAX`], and never past the window's end, where the
/// last try is), or `None` when [`ENQUEUE_WINDOW`] after the instant has passed and the firing is
/// given up.
fn retry_pause(at: DateTime<Utc>, now: DateTime<Utc>, attempt: u32) -> Option<Duration> {
    let left = (at + ENQUEUE_WINDOW - now).to_std().ok().filter(|d| !d.is_zero())?;
    Some(Duration::from_secs(1 << attempt.min(6)).min(ENQUEUE_PAUSE_MAX).min(left))
}

/// Watchdog pings and status lines, on their own so that no long database work delays them.
/// The ping goes out only while the worker loop goes round (its heartbeat is fresh).
async fn watchdog(shared: Arc<Shared>) {
    let interval = notify::watchdog_interval();
    let tick = interval.map(|w| w / 2).unwrap_or(Duration::from_secs(10)).min(Duration::from_secs(10));
    loop {
        let beat_age = shared.heartbeat.age();
        if let Some(w) = interval {
            if beat_age <= w {
                notify::watchdog();
            } else {
                warn!("the worker loop has not gone round for {} s: withholding the watchdog ping", beat_age.as_secs());
            }
        }
        let status = tokio::time::timeout(tick, status_line(&shared)).await.unwrap_or_else(|_| "database slow to answer".into());
        notify::status(&status);
        tokio::time::sleep(tick).await;
    }
}

/// Every few minutes: the ticket sweep, catching up on runs whose finisher did not apply them,
/// and deleting results past `database.keep_days`.
async fn upkeep(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        worker::catch_up(&shared).await;
        let cfg = shared.config();
        if let Err(e) = crate::ticket::sweep(&shared.store, &cfg, clock::now()).await {
            warn!("ticket sweep failed: {e:#}");
        }
        if cfg.database.keep_days > 0 {
            let before = clock::now() - chrono::Duration::days(i64::from(cfg.database.keep_days));
            match shared.store.prune_results(before).await {
                Ok(0) => {}
                Ok(n) => info!("deleted {n} results of runs finished before {}", clock::stamp(before)),
                Err(e) => warn!("cannot delete old results: {e:#}"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(UPKEEP_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The one-line status for systemd: runs in progress, or idle; and a refused reload.
async fn status_line(shared: &Shared) -> String {
    let runs = async {
        match shared.store.queued_runs().await {
            Err(e) => format!("database unavailable: {e}"),
            Ok(runs) if runs.is_empty() => "idle".to_string(),
            Ok(runs) => {
                let mut parts = Vec::new();
                for r in runs.iter().take(3) {
                    let (done, total) = shared.store.run_progress(r.id).await.unwrap_or_default();
                    parts.push(format!("run {} {}: {done}/{total}", r.id, r.profile));
                }
                parts.join("; ")
            }
        }
    };
    // Bounded: the main loop waits for it at start and on SIGHUP, and must not stop answering
    // signals while the database hangs.
    let mut line = tokio::time::timeout(STATUS_AT_MOST, runs).await.unwrap_or_else(|_| "database slow to answer".into());
    if let Some(e) = shared.reload_error.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        line.push_str("; ");
        line.push_str(e);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        clock::parse_stamp("2026-10-09T02:00:00.000Z").unwrap()
    }

    #[test]
    fn a_firing_is_retried_with_growing_pauses_until_the_window_after_its_instant() {
        let s = Duration::from_secs;
        let pauses: Vec<Option<Duration>> = (1..=8).map(|attempt| retry_pause(t0(), t0(), attempt)).collect();
        assert_eq!(pauses, [2, 4, 8, 16, 32, 60, 60, 60].map(|n| Some(s(n))));
        // However many tries failed: still tried just before the window ends, given up at its end.
        let end = t0() + ENQUEUE_WINDOW;
        assert_eq!(retry_pause(t0(), end - chrono::Duration::seconds(90), 1000), Some(ENQUEUE_PAUSE_MAX));
        assert_eq!(retry_pause(t0(), end - chrono::Duration::milliseconds(1), 1000), Some(Duration::from_millis(1)));
        assert_eq!(retry_pause(t0(), end, 1), None);
    }

    #[test]
    fn a_profile_whose_cron_has_no_later_instant_is_not_fired_again() {
        let profile = |cron: &str| crate::config::Schedule {
            name: "campaign".into(),
            cron: cron.into(),
            select: Default::default(),
            probes: vec![crate::config::Probe::Dns],
            spread_seconds: None,
        };
        // 2026-10-09 02:00 Shanghai, the one and only instant of a one-off campaign.
        let last = clock::parse_stamp("2026-10-08T18:00:00.000Z").unwrap();
        let once = profile("0 0 2 9 10 * 2026");
        let mut next = BTreeMap::from([(once.name.clone(), (once.cron.clone(), last))]);
        plan_after_firing(&mut next, &once, last, last + chrono::Duration::seconds(1));
        assert!(next.is_empty(), "nothing left to fire: {next:?}");
        // A recurring profile moves on to its next instant.
        let nightly = profile("0 0 2 * * *");
        plan_after_firing(&mut next, &nightly, last, last + chrono::Duration::seconds(1));
        assert_eq!(next["campaign"].1, last + chrono::Duration::days(1));
    }

    #[test]
    fn a_database_down_for_the_whole_window_gets_a_try_a_minute_until_it_ends() {
        // Tries that fail at once: the time of each is the sum of the pauses before it.
        let mut tried = vec![t0()];
        while let Some(pause) = retry_pause(t0(), *tried.last().unwrap(), tried.len() as u32) {
            tried.push(*tried.last().unwrap() + chrono::Duration::from_std(pause).unwrap());
        }
        let end = t0() + ENQUEUE_WINDOW;
        let last = *tried.last().unwrap();
        assert_eq!(last, end, "the last try is at the window's end, not past it");
        assert_eq!(tried.len(), 15, "after 2, 4, 8, 16 and 32 s, a try a minute: {tried:?}");
    }

    /// The daemon's shared state over the database at `url`, with one schedule.
    async fn shared_over(dir: &Path, url: &str) -> (Shared, crate::config::Schedule) {
        std::fs::write(dir.join("inventory.csv"), "cidr,region,in_region,label\n47.92.0.0/14,cn-beijing,true,华北2\n").unwrap();
        let text = format!(
            "[database]\nurl = \"{url}\"\n[provider]\nname = \"示例云\"\ninventory = \"inventory.csv\"\n\
             [dns]\nnameservers = [\"127.0.0.1:9\"]\n\
             [[schedule]]\nname = \"nightly\"\ncron = \"0 0 2 * * *\"\nselect = \"active\"\n"
        );
        std::fs::write(dir.join("beiand.toml"), text).unwrap();
        let config = Config::load(&dir.join("beiand.toml")).unwrap();
        let store = Store::open(&config.database.url, 2).await.unwrap();
        let schedule = config.schedule[0].clone();
        (Shared::new(store, Live::build(config).unwrap()), schedule)
    }

    /// The daemon's shared state over a database that fails every query, with one schedule.
    async fn shared_on_a_failing_database(dir: &Path) -> (Shared, crate::config::Schedule) {
        let (shared, schedule) = shared_over(dir, "sqlite::memory:").await;
        shared.store.close().await;
        (shared, schedule)
    }

    #[tokio::test]
    async fn the_status_line_does_not_wait_for_a_database_that_hangs() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::testing::fresh_pg_database().await;
        let (shared, _) = shared_over(dir.path(), &url).await;
        assert_eq!(status_line(&shared).await, "idle");
        let mut locker = crate::store::testing::lock_table(&url, "runs").await;
        let line = tokio::time::timeout(STATUS_AT_MOST + Duration::from_secs(3), status_line(&shared)).await;
        assert_eq!(line.expect("the status line waited for the database"), "database slow to answer");
        sqlx::raw_sql("ROLLBACK").execute(&mut locker).await.unwrap();
        shared.store.close().await;
    }

    #[tokio::test]
    async fn a_firing_the_database_cannot_take_is_retried_within_its_window_and_given_up_after() {
        let dir = tempfile::tempdir().unwrap();
        let (shared, nightly) = shared_on_a_failing_database(dir.path()).await;
        // Within the window: the first try failed, the next one is two seconds away.
        let recent = clock::now() - ENQUEUE_WINDOW + chrono::Duration::minutes(1);
        assert!(tokio::time::timeout(Duration::from_secs(1), fire(&shared, &nightly, recent)).await.is_err(), "still trying");
        // Past it: given up at the first failure, without a pause.
        let late = clock::now() - ENQUEUE_WINDOW - chrono::Duration::seconds(1);
        tokio::time::timeout(Duration::from_secs(1), fire(&shared, &nightly, late)).await.expect("given up at once");
    }
}
