//! Prometheus metrics. Counters and histograms of this process (checks by result and finding
//! code, probe latencies, run durations) go through the `metrics` facade; the figures every
//! instance shares — tickets by state, the last finished run per profile — are read from the
//! database at scrape time, so any instance's `/metrics` tells the truth about all of them.
//! Those are written out apart from the recorder, and only when the database answered within
//! [`DATABASE_AT_MOST`] (`beiand_database_up` says whether it did): while it is down, a scrape
//! still gets this process's own figures, and never a stale ticket count.
//! Without [`install`] (one-shot commands) recording is a no-op.

use crate::scan::DomainCheck;
use crate::store::Store;
use anyhow::Result;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::fmt::Write;
use std::sync::OnceLock;
use std::time::Duration;

/// How long a scrape waits for the database's figures.
pub const DATABASE_AT_MOST: Duration = Duration::from_secs(2);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

const PROBE_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const RUN_BUCKETS: &[f64] = &[1.0, 10.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0];

/// Installs the process-wide recorder (once; later calls return the same handle).
pub fn install() -> Result<&'static PrometheusHandle> {
    if let Some(h) = HANDLE.get() {
        return Ok(h);
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full("beiand_probe_duration_seconds".into()), PROBE_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full("beiand_run_duration_seconds".into()), RUN_BUCKETS)?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))?;
    describe();
    Ok(HANDLE.get_or_init(|| handle))
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!("beiand_checks_total", "Domain checks finished, by result (compliant, findings, inconclusive).");
    describe_counter!("beiand_findings_total", "Findings produced by checks, by finding code.");
    describe_histogram!("beiand_probe_duration_seconds", Unit::Seconds, "Time one probe took for one domain, by probe.");
    describe_counter!("beiand_runs_total", "Runs this instance finished, by profile and state.");
    describe_histogram!("beiand_run_duration_seconds", Unit::Seconds, "Wall time of finished runs, by profile.");
    describe_counter!("beiand_runs_skipped_total", "Cron firings skipped because the profile's previous run was still going (each counted by one instance only).");
    describe_gauge!("beiand_checks_in_flight", "Checks this instance is running now.");
    describe_counter!("beiand_config_reloads_total", "Configuration reloads, by result (ok, error).");
}

/// Counts one finished check.
pub fn record_check(check: &DomainCheck) {
    metrics::counter!("beiand_checks_total", "result" => check.result()).increment(1);
    for f in &check.findings {
        metrics::counter!("beiand_findings_total", "code" => f.code.as_str()).increment(1);
    }
    let t = &check.timings;
    metrics::histogram!("beiand_probe_duration_seconds", "probe" => "dns").record(t.dns_us as f64 / 1e6);
    if t.http_us > 0 {
        metrics::histogram!("beiand_probe_duration_seconds", "probe" => "http").record(t.http_us as f64 / 1e6);
    }
    if t.page_us > 0 {
        metrics::histogram!("beiand_probe_duration_seconds", "probe" => "page").record(t.page_us as f64 / 1e6);
    }
}

/// Counts one finished run.
pub fn record_run(profile: &str, state: &str, seconds: f64) {
    metrics::counter!("beiand_runs_total", "profile" => profile.to_string(), "state" => state.to_string()).increment(1);
    metrics::histogram!("beiand_run_duration_seconds", "profile" => profile.to_string()).record(seconds);
}

/// The exposition text: this process's metrics plus the shared figures read from `store`.
pub async fn render(store: &Store) -> Result<String> {
    let mut text = install()?.render();
    let shared = tokio::time::timeout(DATABASE_AT_MOST, shared_figures(store)).await;
    let up = match shared {
        Ok(Ok(figures)) => {
            text.push_str(&figures);
            1
        }
        Ok(Err(e)) => {
            tracing::warn!(error = format!("{e:#}"), "metrics: the database's figures are left out");
            0
        }
        Err(_) => {
            tracing::warn!("metrics: the database did not answer within {} s; its figures are left out", DATABASE_AT_MOST.as_secs());
            0
        }
    };
    let _ = write!(
        text,
        "# HELP beiand_database_up Whether the database answered this scrape (the ticket and run figures are left out when not).\n\
         # TYPE beiand_database_up gauge\nbeiand_database_up {up}\n"
    );
    Ok(text)
}

/// The figures every instance shares, read from the database, as exposition text.
async fn shared_figures(store: &Store) -> Result<String> {
    let mut by_state: std::collections::BTreeMap<String, i64> =
        crate::ticket::State::ALL.iter().map(|s| (s.as_str().to_string(), 0)).collect();
    for (state, n) in store.ticket_counts().await? {
        by_state.insert(state, n);
    }
    let mut text = String::from("# HELP beiand_tickets Rectification tickets, by state (all instances).\n# TYPE beiand_tickets gauge\n");
    for (state, n) in by_state {
        let _ = writeln!(text, "beiand_tickets{{state=\"{}\"}} {n}", label(&state));
    }
    text.push_str(
        "# HELP beiand_last_run_timestamp_seconds When the latest run of a profile finished, by profile and state (all instances).\n\
         # TYPE beiand_last_run_timestamp_seconds gauge\n",
    );
    for (profile, state, at) in store.last_runs_by_profile().await? {
        let _ = writeln!(
            text,
            "beiand_last_run_timestamp_seconds{{profile=\"{}\",state=\"{}\"}} {}",
            label(&profile),
            label(&state),
            at.timestamp_millis() as f64 / 1000.0
        );
    }
    Ok(text)
}

/// A label value escaped as the exposition format wants it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
