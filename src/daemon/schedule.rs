//! When profiles fire and how a run's checks are spread: pure functions of the cron expressions
//! and the clock. Cron expressions (the `cron` crate's syntax, with seconds) are read in
//! Asia/Shanghai.

use crate::clock;
use crate::config::Schedule;
use crate::scan::Target;
use crate::store::queue::QueuedTarget;
use chrono::{DateTime, Duration, Utc};
use std::str::FromStr;

/// The default spread is this share of the time to the profile's next firing …
const SPREAD_SHARE: i32 = 4;
/// … and at most this long.
const SPREAD_MAX: Duration = Duration::hours(1);

/// The first firing of `expr` strictly after `after`.
pub fn next_fire(expr: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let schedule = cron::Schedule::from_str(expr).ok()?;
    schedule.after(&after.with_timezone(&clock::shanghai())).next().map(|t| t.with_timezone(&Utc))
}

/// The latest firing of `expr` at or before `at`.
pub fn last_fire(expr: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let schedule = cron::Schedule::from_str(expr).ok()?;
    let after = (at + Duration::milliseconds(1)).with_timezone(&clock::shanghai());
    schedule.after(&after).next_back().map(|t| t.with_timezone(&Utc))
}

/// The firing a daemon starting at `now` should still honour: the latest one no longer ago than
/// `grace` (a restart right after the instant must not lose the night's run; a run already queued
/// for it is found by its instant, so honouring it twice queues nothing).
pub fn missed_fire(expr: &str, now: DateTime<Utc>, grace: Duration) -> Option<DateTime<Utc>> {
    last_fire(expr, now).filter(|t| now - *t <= grace)
}

/// How long after `fire` the profile's checks are spread: its `spread_seconds`, else a quarter
/// of the time to its next firing, at most an hour.
pub fn spread(profile: &Schedule, fire: DateTime<Utc>) -> Duration {
    if let Some(s) = profile.spread_seconds {
        return Duration::seconds(s as i64);
    }
    match next_fire(&profile.cron, fire) {
        Some(next) => ((next - fire) / SPREAD_SHARE).min(SPREAD_MAX),
        None => Duration::zero(),
    }
}

/// Gives each target a time not before which it is checked: the targets, shuffled so that
/// domains sharing a server do not come in a row, take evenly spaced slots over `spread`, each
/// at a random point within its slot.
pub fn spread_targets(targets: &[Target], start: DateTime<Utc>, spread: Duration) -> Vec<QueuedTarget> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    fastrand::shuffle(&mut order);
    let n = targets.len().max(1) as f64;
    let span = spread.num_milliseconds().max(0) as f64;
    order
        .into_iter()
        .enumerate()
        .map(|(slot, i)| {
            let offset = span * (slot as f64 + fastrand::f64()) / n;
            QueuedTarget {
                site_number: targets[i].filing.site_number.clone(),
                domain: targets[i].domain.clone(),
                not_before: start + Duration::milliseconds(offset as i64),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filing::{Filing, FilingStatus};
    use std::sync::Arc;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn profile(cron: &str, spread_seconds: Option<u64>) -> Schedule {
        Schedule {
            name: "p".into(),
            cron: cron.into(),
            select: Default::default(),
            probes: vec![crate::config::Probe::Dns],
            spread_seconds,
        }
    }

    #[test]
    fn cron_is_read_in_shanghai_time() {
        // 02:00 in Shanghai is 18:00 UTC the day before.
        assert_eq!(next_fire("0 0 2 * * *", at("2026-10-01T12:00:00Z")), Some(at("2026-10-01T18:00:00Z")));
        assert_eq!(next_fire("0 0 2 * * *", at("2026-10-01T18:00:00Z")), Some(at("2026-10-02T18:00:00Z")), "strictly after");
        assert_eq!(next_fire("*/5 * * * * *", at("2026-10-01T12:00:01Z")), Some(at("2026-10-01T12:00:05Z")));
        assert_eq!(next_fire("not cron", at("2026-10-01T12:00:00Z")), None);
    }

    #[test]
    fn the_latest_missed_instant_within_the_grace_is_honoured() {
        let two = at("2026-10-01T18:00:00Z");
        assert_eq!(last_fire("0 0 2 * * *", two), Some(two), "at the instant itself");
        assert_eq!(last_fire("0 0 2 * * *", at("2026-10-01T18:03:00Z")), Some(two));
        assert_eq!(missed_fire("0 0 2 * * *", at("2026-10-01T18:03:00Z"), Duration::minutes(5)), Some(two));
        assert_eq!(missed_fire("0 0 2 * * *", at("2026-10-01T18:06:00Z"), Duration::minutes(5)), None);
    }

    #[test]
    fn spread_defaults_to_a_quarter_of_the_interval_capped_at_an_hour() {
        let fire = at("2026-10-01T18:00:00Z");
        assert_eq!(spread(&profile("0 0 2 * * *", None), fire), Duration::hours(1));
        assert_eq!(spread(&profile("0 */20 * * * *", None), at("2026-10-01T18:00:00Z")), Duration::minutes(5));
        assert_eq!(spread(&profile("0 0 2 * * *", Some(90)), fire), Duration::seconds(90));
    }

    #[test]
    fn targets_are_spread_evenly_with_jitter_over_the_window() {
        let filing = Arc::new(Filing {
            site_number: "京ICP备12345678号-1".into(),
            subject_number: "京ICP备12345678号".into(),
            site_name: "x".into(),
            subject_name: None,
            subject_nature: None,
            domains: vec![],
            filed_ips: vec![],
            psb_number: None,
            status: FilingStatus::Active,
            province: None,
            homepage: None,
        });
        let targets: Vec<Target> =
            (0..100).map(|i| Target { filing: filing.clone(), domain: format!("d{i}.example.cn") }).collect();
        let start = at("2026-10-01T18:00:00Z");
        let q = spread_targets(&targets, start, Duration::seconds(100));
        assert_eq!(q.len(), 100);
        let mut offsets: Vec<i64> = q.iter().map(|t| (t.not_before - start).num_milliseconds()).collect();
        offsets.sort_unstable();
        // One per second-wide slot: evenly spread, none outside the window.
        for (i, ms) in offsets.iter().enumerate() {
            assert!((i as i64 * 1000..(i as i64 + 1) * 1000).contains(ms), "slot {i}: {ms} ms");
        }
        let mut domains: Vec<&str> = q.iter().map(|t| t.domain.as_str()).collect();
        domains.sort_unstable();
        domains.dedup();
        assert_eq!(domains.len(), 100, "every target once");
        assert!(spread_targets(&targets, start, Duration::zero()).iter().all(|t| t.not_before == start));
    }
}
