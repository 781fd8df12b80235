//! The clock: real time, or `$BEIAND_NOW` (RFC 3339) for tests and what-if runs (design §4.1).

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};

/// China Standard Time; mainland China has had no daylight saving since 1991.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Set by [`advance`]: the process start, as an instant and on the `$BEIAND_NOW` clock.
static ADVANCING: std::sync::OnceLock<(std::time::Instant, Option<DateTime<Utc>>)> = std::sync::OnceLock::new();

/// Now, or the instant `$BEIAND_NOW` names (plus the time since [`advance`] was called, in a
/// long-running process). A malformed `$BEIAND_NOW` is an error worth stopping for, so
/// [`check_env`] validates it once at start-up.
pub fn now() -> DateTime<Utc> {
    if let Some((since, Some(base))) = ADVANCING.get() {
        return *base + chrono::Duration::from_std(since.elapsed()).unwrap_or_default();
    }
    fixed().unwrap_or_else(Utc::now)
}

fn fixed() -> Option<DateTime<Utc>> {
    match std::env::var("BEIAND_NOW") {
        Ok(v) if !v.is_empty() => DateTime::parse_from_rfc3339(&v).ok().map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

/// For the daemon: from now on the clock moves. With `$BEIAND_NOW` set, time starts at that
/// instant and runs at the real pace, so schedules fire and deadlines pass as they would then.
pub fn advance() {
    let _ = ADVANCING.set((std::time::Instant::now(), fixed()));
}

/// Fails when `$BEIAND_NOW` is set but is not RFC 3339.
pub fn check_env() -> anyhow::Result<()> {
    if let Ok(v) = std::env::var("BEIAND_NOW") {
        if !v.is_empty() {
            DateTime::parse_from_rfc3339(&v)
                .map_err(|e| anyhow::anyhow!("BEIAND_NOW={v:?} is not an RFC 3339 time: {e}"))?;
        }
    }
    Ok(())
}

/// Today's date in Asia/Shanghai.
pub fn today() -> NaiveDate {
    now().with_timezone(&shanghai()).date_naive()
}

/// The storage form of an instant: RFC 3339 UTC with milliseconds, which sorts as text.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored instant.
pub fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}
