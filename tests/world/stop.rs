//! Stopping a server process the tests or the bench started (shared by `tests/world` and
//! `bench/scan.rs`).

use std::process::Child;
use std::time::{Duration, Instant};

/// Stops a server with SIGTERM, then SIGKILL after 5 s: nginx and nsd take their worker
/// processes down with them only on an orderly stop (SIGKILL on the master leaves them running).
pub fn stop(c: &mut Child) {
    // SAFETY: kill(2) takes plain integers; the pid is our own child's, not yet reaped.
    unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && matches!(c.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = c.kill();
    let _ = c.wait();
}
