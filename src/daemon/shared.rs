//! What the daemon's tasks share: the store, the live configuration (swapped whole on reload),
//! and the ways to put work in the queue.

use super::schedule;
use crate::clock;
use crate::config::Config;
use crate::scan::{self, ProbeSet, Scanner, Selection};
use crate::store::queue::{Enqueued, RunSpec};
use crate::store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The configuration in force and what is built from it.
pub struct Live {
    pub config: Arc<Config>,
    pub scanner: Arc<Scanner>,
    /// The admin API's bearer token; `None` when `server.token_file` is not set (the API then
    /// answers every authenticated path with 401).
    pub token: Option<String>,
}

impl Live {
    /// Builds everything a config needs (address data, probes, token) or says what is wrong.
    /// Errors name the config file.
    pub fn build(config: Config) -> Result<Live> {
        let path = config.path.clone();
        Live::build_from(config).with_context(|| path.display().to_string())
    }

    fn build_from(config: Config) -> Result<Live> {
        let scanner = Arc::new(Scanner::new(&config).context("address data")?);
        let token = match &config.server.token_file {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("key server.token_file: cannot read {}", path.display()))?;
                let token = text.trim().to_string();
                anyhow::ensure!(!token.is_empty(), "key server.token_file: {} is empty", path.display());
                Some(token)
            }
        };
        Ok(Live { config: Arc::new(config), scanner, token })
    }
}

/// This machine's name (`gethostname(2)`: /proc may be hidden by the unit's sandboxing).
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..end]) {
        Ok(h) if rc == 0 && !h.is_empty() => h.to_string(),
        _ => "beiand".to_string(),
    }
}

/// When a loop last went round, on the monotonic clock: a step of the wall clock (NTP, an
/// operator) neither withholds the watchdog ping of a healthy loop nor hides a stuck one.
pub struct Heartbeat {
    started: tokio::time::Instant,
    /// Milliseconds after `started`.
    last: AtomicU64,
}

impl Default for Heartbeat {
    fn default() -> Heartbeat {
        Heartbeat { started: tokio::time::Instant::now(), last: AtomicU64::new(0) }
    }
}

impl Heartbeat {
    pub fn beat(&self) {
        self.last.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// How long ago the last beat was (or the start, before the first).
    pub fn age(&self) -> std::time::Duration {
        let last = std::time::Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// Shared by the scheduler, the workers and the admin API.
pub struct Shared {
    pub store: Store,
    /// This process's name in leases and logs: host, pid and 64 random bits.
    pub instance: String,
    live: RwLock<Arc<Live>>,
    /// Wakes the workers when new work was queued.
    pub wake: tokio::sync::Notify,
    /// When the worker loop last went round: the watchdog pings only while it does.
    pub heartbeat: Heartbeat,
    /// Work that must finish before the process exits (applying runs to the tickets).
    tracked: std::sync::Mutex<tokio::task::JoinSet<()>>,
    /// Why the last SIGHUP was refused, until a reload succeeds (shown in the status line).
    pub reload_error: std::sync::Mutex<Option<String>>,
}

impl Shared {
    pub fn new(store: Store, live: Live) -> Shared {
        let instance = format!("{}:{}:{:016x}", hostname(), std::process::id(), fastrand::u64(..));
        Shared {
            store,
            instance,
            live: RwLock::new(Arc::new(live)),
            wake: tokio::sync::Notify::new(),
            heartbeat: Heartbeat::default(),
            tracked: Default::default(),
            reload_error: Default::default(),
        }
    }

    /// Runs `work` in a task of its own that [`Shared::finish_tracked`] waits for at shutdown.
    pub fn spawn_tracked(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut set = self.tracked.lock().unwrap_or_else(|e| e.into_inner());
        while set.try_join_next().is_some() {}
        set.spawn(work);
    }

    /// Waits up to `within` for tracked work; true when all of it finished.
    pub async fn finish_tracked(&self, within: std::time::Duration) -> bool {
        let mut set = std::mem::take(&mut *self.tracked.lock().unwrap_or_else(|e| e.into_inner()));
        tokio::time::timeout(within, async { while set.join_next().await.is_some() {} }).await.is_ok()
    }

    pub fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn config(&self) -> Arc<Config> {
        self.live().config.clone()
    }

    pub fn scanner(&self) -> Arc<Scanner> {
        self.live().scanner.clone()
    }

    pub fn token(&self) -> Option<String> {
        self.live().token.clone()
    }

    /// Puts a new configuration in force.
    pub fn swap(&self, live: Live) {
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(live);
    }

    pub fn beat(&self) {
        self.heartbeat.beat();
    }

    /// Queues a run of `selection` for `slot`, its checks spread over `spread` after it. With
    /// `exclusive`, nothing is queued while the profile's previous run is still going (cron
    /// profiles); runs asked for through the API are not exclusive.
    pub async fn enqueue(
        &self,
        profile: &str,
        selection: &Selection,
        probes: ProbeSet,
        slot: DateTime<Utc>,
        spread: chrono::Duration,
        exclusive: bool,
    ) -> Result<Enqueued> {
        let targets = scan::select_targets(&self.store, selection).await?;
        let queued = schedule::spread_targets(&targets, slot.max(clock::now()), spread);
        let spec = RunSpec { profile: profile.to_string(), probes: probes.names(), slot };
        let out = self.store.enqueue_run(&spec, &queued, clock::now(), exclusive).await?;
        if matches!(out, Enqueued::Created(_)) {
            self.wake.notify_waiters();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Heartbeat;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn the_heartbeat_ages_with_the_monotonic_clock_and_a_beat_renews_it() {
        let heart = Heartbeat::default();
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(heart.age().as_secs(), 3, "before the first beat: the age of the start");
        heart.beat();
        assert_eq!(heart.age(), Duration::ZERO);
        tokio::time::advance(Duration::from_secs(95)).await;
        assert_eq!(heart.age().as_secs(), 95, "the loop has not gone round for 95 s");
        heart.beat();
        assert_eq!(heart.age(), Duration::ZERO);
    }
}
