//! Talking to systemd (`Type=notify`): READY, RELOADING, STOPPING, STATUS lines and watchdog
//! pings over `$NOTIFY_SOCKET`. Without it (not under systemd) every call is a no-op.
//!
//! Sent by hand rather than through `sd_notify::notify` because that send blocks when the
//! receiver's queue is full, and a stalled service manager must never stall the daemon: here a
//! message that cannot be sent at once is dropped with a warning.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// READY=1, at start and again after a reload.
pub fn ready(status: &str) {
    send(&format!("READY=1\nSTATUS={status}\n"));
}

pub fn reloading() {
    send(&format!("RELOADING=1\nMONOTONIC_USEC={}\n", monotonic_usec()));
}

/// STOPPING=1, asking for `extend` more time to stop than `TimeoutStopSec=` allows.
pub fn stopping(status: &str, extend: Duration) {
    send(&format!("STOPPING=1\nEXTEND_TIMEOUT_USEC={}\nSTATUS={status}\n", extend.as_micros()));
}

pub fn status(status: &str) {
    send(&format!("STATUS={status}\n"));
}

pub fn watchdog() {
    send("WATCHDOG=1\n");
}

/// The interval systemd expects pings at (`WatchdogSec=`), if it expects them from us.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}

/// CLOCK_MONOTONIC in microseconds, as systemd wants with RELOADING=1.
fn monotonic_usec() -> i128 {
    match sd_notify::NotifyState::monotonic_usec_now() {
        Ok(sd_notify::NotifyState::MonotonicUsec(us)) => us,
        _ => 0,
    }
}

fn send(msg: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return };
    let result = (|| -> std::io::Result<()> {
        let sock = UnixDatagram::unbound()?;
        sock.set_nonblocking(true)?;
        let bytes = path.as_encoded_bytes();
        if let Some(name) = bytes.strip_prefix(b"@") {
            // An abstract socket (Linux): the name after the '@'.
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            sock.send_to_addr(msg.as_bytes(), &addr)?;
        } else {
            sock.send_to(msg.as_bytes(), &path)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        tracing::warn!("cannot notify the service manager ({}): {e}", msg.lines().next().unwrap_or(""));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_arrive_and_a_full_socket_never_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap();
        // nextest runs every test in a process of its own, so the variable is ours alone.
        std::env::set_var("NOTIFY_SOCKET", &path);
        ready("idle");
        let mut buf = [0u8; 256];
        let n = sock.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=idle\n");
        // Nobody reads: the queue fills, and sending still returns at once.
        let started = std::time::Instant::now();
        for _ in 0..1000 {
            watchdog();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "sending blocked");
        std::env::remove_var("NOTIFY_SOCKET");
    }
}
