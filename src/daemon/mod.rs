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

/// How often the tickets are swept (overdue, escalation) and lost applications caught up.
const SWEEP_EVERY: Duration = Duration::from_secs(300);

/// Runs the daemon until SIGTERM or SIGINT.
pub async fn run(config_path: &Path) -> Result<()> {
    clock::advance();
    let cfg = Config::load(config_path)?;
    let store = Store::open(&cfg.database.url, cfg.database.max_connections).await?;
    crate::metrics::install()?;
    let live = Live::build(cfg.clone()).with_context(|| format!("{}", config_path.display()))?;
    let shared = Arc::new(Shared::new(store, live));
    if shared.store.backend() == Backend::Sqlite {
        // SQLite is single-instance: a lease still held belongs to a process that is gone.
        let n = shared.store.release_all_leases().await?;
        if n > 0 {
            info!("resuming: {n} domains of an interrupted run go back to the queue");
        }
    }
    for r in shared.store.queued_runs().await? {
        let (done, total) = shared.store.run_progress(r.id).await?;
        info!(run = r.id, profile = %r.profile, "resuming run {} ({}): {done} of {total} domains done", r.id, r.profile);
    }
    let listener = tokio::net::TcpListener::bind(cfg.server.listen)
        .await
        .with_context(|| format!("key server.listen: cannot listen on {}", cfg.server.listen))?;
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
    let workers = tokio::spawn(worker::run(shared.clone(), stop_rx.clone()));
    let scheduler = tokio::spawn(scheduler(shared.clone(), stop_rx.clone(), reload_rx));
    let upkeep = tokio::spawn(upkeep(shared.clone(), stop_rx.clone()));
    notify::ready(&status_line(&shared).await);

    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                notify::reloading();
                reload(&shared, config_path, &reload_tx);
                notify::reloaded(&status_line(&shared).await);
            }
            _ = term.recv() => { info!("SIGTERM: stopping"); break; }
            _ = int.recv() => { info!("SIGINT: stopping"); break; }
        }
    }
    notify::stopping("stopping: finishing checks in flight");
    let _ = stop_tx.send(true);
    let result = workers.await.context("worker task")?;
    scheduler.abort();
    upkeep.abort();
    if let Err(e) = &result {
        error!("workers stopped with an error: {e:#}");
    }
    match tokio::time::timeout(Duration::from_secs(5), api).await {
        Ok(Ok(Err(e))) => warn!("admin API: {e:#}"),
        Err(_) => warn!("admin API did not stop within 5 s"),
        _ => {}
    }
    shared.store.close().await;
    info!("stopped");
    result
}

/// Reloads the configuration; a config that does not load is refused and the old one stays.
fn reload(shared: &Shared, path: &Path, reloaded: &watch::Sender<u64>) {
    let old = shared.config();
    let new = match Config::load(path).and_then(|c| Live::build(c).with_context(|| format!("{}", path.display()))) {
        Ok(live) => live,
        Err(e) => {
            metrics::counter!("beiand_config_reloads_total", "result" => "error").increment(1);
            error!("SIGHUP: the new configuration is refused, the old one stays in force: {e:#}");
            return;
        }
    };
    for (key, changed) in [
        ("database.url", new.config.database.url != old.database.url),
        ("server.listen", new.config.server.listen != old.server.listen),
        ("scan.concurrency", new.config.scan.concurrency != old.scan.concurrency),
        ("scan.lease_seconds", new.config.scan.lease_seconds != old.scan.lease_seconds),
    ] {
        if changed {
            warn!("SIGHUP: a change of {key} takes effect at the next restart");
        }
    }
    let names: Vec<&str> = new.config.schedule.iter().map(|s| s.name.as_str()).collect();
    info!("SIGHUP: configuration reloaded from {}: schedules {}", path.display(), names.join(", "));
    shared.swap(new);
    metrics::counter!("beiand_config_reloads_total", "result" => "ok").increment(1);
    reloaded.send_modify(|n| *n += 1);
}

/// Fires profiles at their cron instants, queueing one run each.
async fn scheduler(shared: Arc<Shared>, mut stop: watch::Receiver<bool>, mut reloaded: watch::Receiver<u64>) {
    let mut next: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let plan = |cfg: &Config, next: &mut BTreeMap<String, DateTime<Utc>>| {
        let now = clock::now();
        next.clear();
        for p in &cfg.schedule {
            if let Some(at) = schedule::next_fire(&p.cron, now) {
                info!(profile = %p.name, "next run of {} at {}", p.name, at.with_timezone(&clock::shanghai()).to_rfc3339());
                next.insert(p.name.clone(), at);
            }
        }
    };
    plan(&shared.config(), &mut next);
    loop {
        let soonest = next.values().min().copied();
        let sleep = soonest.map(|t| (t - clock::now()).to_std().unwrap_or_default()).unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = stop.changed() => return,
            _ = reloaded.changed() => { plan(&shared.config(), &mut next); continue; }
        }
        let cfg = shared.config();
        let now = clock::now();
        for p in &cfg.schedule {
            let Some(at) = next.get(&p.name).copied().filter(|at| *at <= now) else { continue };
            let spread = schedule::spread(p, at);
            let outcome = shared
                .enqueue(&p.name, &Selection::from_config(p.select), ProbeSet::from_list(&p.probes), at, spread, true)
                .await;
            match outcome {
                Ok(Enqueued::Created(id)) => {
                    let (_, total) = shared.store.run_progress(id).await.unwrap_or_default();
                    info!(run = id, profile = %p.name, "run {id} ({}) queued: {total} domains over {} s", p.name, spread.num_seconds());
                }
                Ok(Enqueued::Exists(id)) => info!(run = id, profile = %p.name, "run {id} for this instant was queued by another instance"),
                Ok(Enqueued::Busy(id)) => {
                    metrics::counter!("beiand_runs_skipped_total", "profile" => p.name.clone()).increment(1);
                    warn!(profile = %p.name, "skipping {}: its previous run {id} is still going", p.name);
                }
                Err(e) => error!(profile = %p.name, "cannot queue a run of {}: {e:#}", p.name),
            }
            if let Some(n) = schedule::next_fire(&p.cron, at.max(now)) {
                next.insert(p.name.clone(), n);
            }
        }
    }
}

/// Watchdog pings and status lines; every few minutes the ticket sweep, catching up on runs
/// whose finisher died, and deleting results past `database.keep_days`.
async fn upkeep(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let watchdog = notify::watchdog_interval();
    let tick = watchdog.map(|w| w / 2).unwrap_or(Duration::from_secs(10)).min(Duration::from_secs(10));
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        let beat_age = Utc::now().timestamp() - shared.heartbeat.load(std::sync::atomic::Ordering::Relaxed);
        if let Some(w) = watchdog {
            if beat_age <= w.as_secs() as i64 {
                notify::watchdog();
            } else {
                warn!("the worker loop has not gone round for {beat_age} s: withholding the watchdog ping");
            }
        }
        notify::status(&status_line(&shared).await);
        if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
            last_sweep = Some(std::time::Instant::now());
            worker::catch_up(&shared).await;
            let cfg = shared.config();
            if cfg.database.keep_days > 0 {
                let before = clock::now() - chrono::Duration::days(i64::from(cfg.database.keep_days));
                match shared.store.prune_results(before).await {
                    Ok(0) => {}
                    Ok(n) => info!("deleted {n} results of runs finished before {}", clock::stamp(before)),
                    Err(e) => warn!("cannot delete old results: {e:#}"),
                }
            }
            if let Err(e) = crate::ticket::sweep(&shared.store, &cfg, clock::now()).await {
                warn!("ticket sweep failed: {e:#}");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The one-line status for systemd: runs in progress, or idle.
async fn status_line(shared: &Shared) -> String {
    let runs = match shared.store.queued_runs().await {
        Ok(r) => r,
        Err(e) => return format!("database unavailable: {e}"),
    };
    if runs.is_empty() {
        return "idle".to_string();
    }
    let mut parts = Vec::new();
    for r in runs.iter().take(3) {
        let (done, total) = shared.store.run_progress(r.id).await.unwrap_or_default();
        parts.push(format!("run {} {}: {done}/{total}", r.id, r.profile));
    }
    parts.join("; ")
}
