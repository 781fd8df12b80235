//! Politeness towards customers' servers: a per-address rate limit. Many filed domains often
//! share one server; however many checks run at once, no address is sent more than `rate`
//! homepage fetches per second after an initial burst. Each caller reserves the next free slot
//! of its address (a GCRA, first come first served) and sleeps until it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limiter shared by every check of a scanner.
#[derive(Debug)]
pub struct AddressLimiter {
    /// Time between fetches to one address; `None`: unlimited.
    interval: Option<Duration>,
    /// How far ahead of its schedule an address may be (burst − 1 intervals).
    slack: Duration,
    /// Per address: the theoretical arrival time of its next fetch.
    next: Mutex<HashMap<IpAddr, Instant>>,
}

/// Past this many addresses, entries whose slot is in the past are dropped.
const PRUNE_AT: usize = 16_384;

impl AddressLimiter {
    /// `rate` fetches per second per address (0: unlimited), bursts of up to `burst`.
    pub fn new(rate: f64, burst: u32) -> AddressLimiter {
        let interval = (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate));
        let slack = interval.map(|i| i * burst.saturating_sub(1)).unwrap_or_default();
        AddressLimiter { interval, slack, next: Mutex::new(HashMap::new()) }
    }

    /// How long a fetch to `ip` must wait from `now`, its slot reserved; when the wait would
    /// exceed `max`, reserves nothing and returns the wait as the error.
    pub fn reserve_within(&self, ip: IpAddr, now: Instant, max: Option<Duration>) -> Result<Duration, Duration> {
        let Some(interval) = self.interval else { return Ok(Duration::ZERO) };
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        if next.len() >= PRUNE_AT {
            next.retain(|_, t| *t > now);
        }
        let tat = next.get(&ip).copied().filter(|t| *t > now).unwrap_or(now);
        let wait = (tat.checked_sub(self.slack).unwrap_or(now)).saturating_duration_since(now);
        if max.is_some_and(|max| wait > max) {
            return Err(wait);
        }
        next.insert(ip, tat + interval);
        Ok(wait)
    }

    /// Waits for `ip`'s turn, unless it is further away than `max`: then returns how far.
    pub async fn wait_within(&self, ip: IpAddr, max: Option<Duration>) -> Result<(), Duration> {
        let d = self.reserve_within(ip, Instant::now(), max)?;
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unbounded reservation.
    fn reserve(l: &AddressLimiter, ip: IpAddr, now: Instant) -> Duration {
        l.reserve_within(ip, now, None).expect("unbounded")
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(47, 92, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(47, 92, 0, 2));

    #[test]
    fn a_burst_then_one_slot_per_interval_per_address() {
        let l = AddressLimiter::new(10.0, 3);
        let t = Instant::now();
        let waits: Vec<u128> = (0..6).map(|_| reserve(&l, A, t).as_millis()).collect();
        assert_eq!(waits, [0, 0, 0, 100, 200, 300]);
        assert_eq!(reserve(&l, B, t), Duration::ZERO, "another address has its own budget");
        // After a quiet second the burst is available again.
        assert_eq!(reserve(&l, A, t + Duration::from_secs(2)), Duration::ZERO);
    }

    #[test]
    fn a_bounded_wait_reserves_nothing_when_too_long() {
        let l = AddressLimiter::new(10.0, 1);
        let t = Instant::now();
        let max = Some(Duration::from_millis(150));
        assert_eq!(l.reserve_within(A, t, max), Ok(Duration::ZERO));
        assert_eq!(l.reserve_within(A, t, max), Ok(Duration::from_millis(100)));
        assert_eq!(l.reserve_within(A, t, max), Err(Duration::from_millis(200)));
        assert_eq!(l.reserve_within(A, t, max), Err(Duration::from_millis(200)), "the refused slot was not taken");
    }

    #[test]
    fn zero_rate_is_unlimited() {
        let l = AddressLimiter::new(0.0, 1);
        let t = Instant::now();
        assert!((0..1000).all(|_| reserve(&l, A, t).is_zero()));
    }
}
