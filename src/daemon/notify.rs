//! Talking to systemd (`Type=notify`): READY, STOPPING, STATUS lines and watchdog pings. Without
//! `$NOTIFY_SOCKET` (not under systemd) every call is a no-op.

use sd_notify::NotifyState;
use std::time::Duration;

pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

pub fn reloading() {
    let Ok(now) = NotifyState::monotonic_usec_now() else { return };
    send(&[NotifyState::Reloading, now]);
}

/// After a reload: READY again, with a status line.
pub fn reloaded(status: &str) {
    ready(status);
}

pub fn stopping(status: &str) {
    send(&[NotifyState::Stopping, NotifyState::Status(status)]);
}

pub fn status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

pub fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// The interval systemd expects pings at (`WatchdogSec=`), if it does.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!("cannot notify systemd: {e}");
    }
}
