//! `beiand report --format html|csv|json --out PATH`: what the compliance team reads.
//!
//! [`build`] gathers one [`Report`] from the store (tickets brought up to date first): totals by
//! state, counts by category and code, the overdue tickets oldest deadline first, the trend over
//! recent runs, and per subject (主体) the material of a rectification notice (整改通知). The
//! renderers in [`html`] (with the inline SVG chart of [`chart`]), [`csv`] and JSON only format
//! it; [`escape`] makes what websites wrote harmless in HTML and in spreadsheets.

pub mod chart;
pub mod csv;
pub mod escape;
pub mod html;

use crate::clock;
use crate::config::Config;
use crate::filing::Filing;
use crate::finding::Code;
use crate::store::tickets::TicketFilter;
use crate::store::Store;
use crate::ticket::calendar::Calendar;
use crate::ticket::evidence::TicketEvidence;
use crate::ticket::notice::{self, Notice};
use crate::ticket::{shanghai_date, State, Ticket};
use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// Runs shown in the trend.
pub const TREND_RUNS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Html,
    Csv,
    Json,
}

/// Ticket counts by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub open: usize,
    pub overdue: usize,
    pub resolved: usize,
    pub closed: usize,
    pub superseded: usize,
}

impl Counts {
    fn add(&mut self, s: State) {
        match s {
            State::Open => self.open += 1,
            State::Overdue => self.overdue += 1,
            State::Resolved => self.resolved += 1,
            State::Closed => self.closed += 1,
            State::Superseded => self.superseded += 1,
        }
    }
}

/// Counts for one finding code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeRow {
    pub code: Code,
    pub category: &'static str,
    pub title: &'static str,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Counts for one category, with its codes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryRow {
    pub category: &'static str,
    #[serde(flatten)]
    pub counts: Counts,
    pub codes: Vec<CodeRow>,
}

/// One ticket as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketLine {
    pub id: i64,
    pub state: State,
    pub state_zh: &'static str,
    pub site_number: String,
    pub site_name: Option<String>,
    pub domains: Vec<String>,
    pub subject_number: String,
    pub subject_name: Option<String>,
    pub code: Code,
    pub category: &'static str,
    pub problem: &'static str,
    pub notice_date: NaiveDate,
    pub deadline: NaiveDate,
    pub opened_at: String,
    /// Working days past the deadline (0 when not overdue).
    pub overdue_working_days: u32,
    pub period: i64,
    pub appeal_state: Option<&'static str>,
    /// Escalation steps recommended so far, by name.
    pub escalation: Vec<&'static str>,
    pub evidence: TicketEvidence,
}

/// One run in the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub run_id: i64,
    pub started_at: String,
    pub state: String,
    pub checked: i64,
    pub with_findings: i64,
    pub inconclusive: i64,
    /// Open + overdue tickets after the run was applied (unknown for runs never applied).
    pub active_tickets: Option<i64>,
}

/// The material of one subject's rectification notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectNotice {
    pub subject_number: String,
    pub subject_name: Option<String>,
    /// Its open and overdue tickets (the same lines as [`Report::tickets`], not copies).
    pub tickets: Vec<Arc<TicketLine>>,
    /// The notice texts of the codes concerned.
    pub notices: Vec<Notice>,
    pub earliest_deadline: NaiveDate,
}

/// Everything a report says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub generated_at: String,
    pub generated_date: NaiveDate,
    pub provider: String,
    pub totals: Counts,
    pub by_category: Vec<CategoryRow>,
    /// Overdue tickets, oldest deadline first (the same lines as [`Report::tickets`], not copies).
    pub overdue: Vec<Arc<TicketLine>>,
    /// Recent runs, oldest first.
    pub trend: Vec<TrendPoint>,
    /// Subjects with open or overdue tickets, the most urgent first.
    pub subjects: Vec<SubjectNotice>,
    /// Every ticket, overdue first, then open, then closed ones; oldest deadline first within.
    pub tickets: Vec<Arc<TicketLine>>,
}

/// The report's line for a ticket, which it takes over (its evidence is moved, not copied).
fn line(t: Ticket, filing: Option<&Filing>, cal: &Calendar, steps: &[crate::config::EscalationStep], today: NaiveDate) -> TicketLine {
    let n = notice::notice(t.code);
    TicketLine {
        id: t.id,
        state: t.state,
        state_zh: t.state.zh(),
        site_number: t.site_number,
        site_name: filing.map(|f| f.site_name.clone()),
        domains: filing.map(|f| f.domains.clone()).unwrap_or_default(),
        subject_number: t.subject_number,
        subject_name: filing.and_then(|f| f.subject_name.clone()),
        code: t.code,
        category: t.code.category().map(|c| c.zh()).unwrap_or(""),
        problem: n.map(|n| n.title).unwrap_or(""),
        notice_date: t.notice_date,
        deadline: t.deadline,
        opened_at: clock::stamp(t.opened_at),
        overdue_working_days: if t.state == State::Overdue { cal.working_days_between(t.deadline, today) } else { 0 },
        period: t.period,
        appeal_state: t.appeal_state.map(|a| a.as_str()),
        escalation: steps.iter().take(usize::try_from(t.escalation_level).unwrap_or(0)).map(|s| s.step.zh()).collect(),
        evidence: t.evidence,
    }
}

fn rank(s: State) -> u8 {
    match s {
        State::Overdue => 0,
        State::Open => 1,
        State::Resolved => 2,
        State::Closed => 3,
        State::Superseded => 4,
    }
}

/// Gathers the report (after bringing tickets up to date).
pub async fn build(store: &Store, cfg: &Config, now: DateTime<Utc>) -> Result<Report> {
    crate::ticket::sweep(store, cfg, now).await?;
    let today = shanghai_date(now);
    let cal = Calendar::from_config(&cfg.tickets);
    let tickets = store.tickets(&TicketFilter::default()).await?;
    let mut sites: Vec<String> = tickets.iter().map(|t| t.site_number.clone()).collect();
    sites.sort();
    sites.dedup();
    let filings = store.filings_by_numbers(&sites).await?;
    let mut lines: Vec<Arc<TicketLine>> = tickets
        .into_iter()
        .map(|t| {
            let filing = filings.get(&t.site_number).map(|(f, _)| f);
            Arc::new(line(t, filing, &cal, &cfg.tickets.escalation, today))
        })
        .collect();
    drop(filings);
    lines.sort_by_key(|l| (rank(l.state), l.deadline, l.id));

    let mut totals = Counts::default();
    let mut by_code: BTreeMap<Code, Counts> = BTreeMap::new();
    for l in &lines {
        totals.add(l.state);
        by_code.entry(l.code).or_default().add(l.state);
    }
    let mut by_category: Vec<CategoryRow> = Vec::new();
    for code in Code::ALL {
        let (Some(counts), Some(n)) = (by_code.get(&code), notice::notice(code)) else { continue };
        let row = CodeRow { code, category: n.category.zh(), title: n.title, counts: counts.clone() };
        match by_category.iter_mut().find(|c| c.category == row.category) {
            Some(c) => {
                c.counts.open += counts.open;
                c.counts.overdue += counts.overdue;
                c.counts.resolved += counts.resolved;
                c.counts.closed += counts.closed;
                c.counts.superseded += counts.superseded;
                c.codes.push(row);
            }
            None => by_category.push(CategoryRow { category: row.category, counts: counts.clone(), codes: vec![row] }),
        }
    }

    let overdue: Vec<Arc<TicketLine>> = lines.iter().filter(|l| l.state == State::Overdue).cloned().collect();

    let applied: HashMap<i64, i64> =
        store.ticket_runs(TREND_RUNS * 2).await?.into_iter().map(|r| (r.run_id, r.open_total + r.overdue_total)).collect();
    let mut trend: Vec<TrendPoint> = store
        .finished_runs(TREND_RUNS)
        .await?
        .into_iter()
        .map(|r| TrendPoint {
            run_id: r.id,
            started_at: r.started_at,
            state: r.state,
            checked: r.checked,
            with_findings: r.with_findings,
            inconclusive: r.inconclusive,
            active_tickets: applied.get(&r.id).copied(),
        })
        .collect();
    trend.reverse();

    let mut by_subject: BTreeMap<String, Vec<Arc<TicketLine>>> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.state.is_active()) {
        by_subject.entry(l.subject_number.clone()).or_default().push(l.clone());
    }
    let mut subjects: Vec<SubjectNotice> = by_subject
        .into_iter()
        .map(|(subject_number, tickets)| {
            let mut codes: Vec<Code> = tickets.iter().map(|t| t.code).collect();
            codes.sort();
            codes.dedup();
            SubjectNotice {
                subject_name: tickets.iter().find_map(|t| t.subject_name.clone()),
                earliest_deadline: tickets.iter().map(|t| t.deadline).min().unwrap_or(today),
                notices: codes.into_iter().filter_map(notice::notice).collect(),
                subject_number,
                tickets,
            }
        })
        .collect();
    subjects.sort_by(|a, b| (a.earliest_deadline, &a.subject_number).cmp(&(b.earliest_deadline, &b.subject_number)));

    Ok(Report {
        generated_at: clock::stamp(now),
        generated_date: today,
        provider: cfg.provider.name.clone(),
        totals,
        by_category,
        overdue,
        trend,
        subjects,
        tickets: lines,
    })
}

/// Renders the report in `format`.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write(report, format, &mut out)?;
    Ok(out)
}

/// Renders the report in `format` into `w` as it goes (the HTML a subject's notice at a time), so
/// that a report of many tickets is not held twice, once as data and once as text.
pub fn write(report: &Report, format: Format, w: &mut dyn std::io::Write) -> Result<()> {
    match format {
        Format::Html => html::write(report, &mut *w)?,
        Format::Csv => csv::write(report, &mut *w)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, report)?;
            w.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// The folder `out` is written in (`.` for a bare file name).
fn folder_of(out: &Path) -> &Path {
    out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Refuses an `--out` path the report could not be written to, before the report is built: a
/// folder, or a file in a folder that does not exist.
fn check_out(out: &Path) -> Result<()> {
    if out == Path::new("-") {
        return Ok(());
    }
    if out.is_dir() {
        anyhow::bail!("--out {} is a folder; give the path of the report file", out.display());
    }
    let dir = folder_of(out);
    if !dir.is_dir() {
        anyhow::bail!("cannot write {}: folder {} does not exist", out.display(), dir.display());
    }
    Ok(())
}

/// `beiand report`: builds, renders and writes the report (`-` writes to stdout). The file is
/// written next to its destination and renamed into place, so a reader never sees half a report;
/// it gets the permissions the umask gives a new file.
pub async fn run(cfg: &Config, format: Format, out: &Path) -> Result<()> {
    check_out(out)?;
    let store = Store::open(&cfg.database.url, cfg.database.max_connections).await?;
    let report = build(&store, cfg, clock::now()).await;
    store.close().await;
    let report = report?;
    if out == Path::new("-") {
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        write(&report, format, &mut w)?;
        std::io::Write::flush(&mut w)?;
        return Ok(());
    }
    let dir = folder_of(out);
    // Created as a shell redirection would create it (0666 less the umask), not private to
    // its writer as temporary files are: the report is for the compliance team to read.
    let mut tmp = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        write(&report, format, &mut w)?;
        std::io::Write::flush(&mut w)?;
    }
    tmp.persist(out).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "report written to {} ({} open, {} overdue, {} subject notice(s))",
        out.display(),
        report.totals.open,
        report.totals.overdue,
        report.subjects.len()
    );
    Ok(())
}

pub use crate::ticket::evidence::ip_class_zh;

/// Chinese words for the customer's appeal (`ticket::AppealState::as_str`), empty for none.
pub fn appeal_zh(a: Option<&str>) -> &'static str {
    match a {
        Some("pending") => "申诉处理中",
        Some("upheld") => "申诉已支持",
        Some("rejected") => "申诉已驳回",
        _ => "",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::filing::FilingStatus;
    use crate::store::testing::each_backend;
    use crate::ticket::evidence::{DomainEvidence, IpEvidence, NumberEvidence};
    use crate::ticket::lifecycle;
    use std::path::Path;

    pub(crate) fn cfg() -> Config {
        Config::parse(
            "[provider]\nname = \"示例云\"\ninventory = \"inv.csv\"\n[dns]\nnameservers = [\"127.0.0.1:53\"]\n",
            Path::new("/tmp/beiand.toml"),
        )
        .unwrap()
    }

    pub(crate) fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    pub(crate) fn hostile_evidence() -> TicketEvidence {
        TicketEvidence {
            run_id: Some(2),
            domains: vec![DomainEvidence {
                domain: "www.example.cn".into(),
                ips: vec![IpEvidence { ip: "47.93.1.1".into(), class: "provider_mainland".into(), region: None }],
                http_status: Some(200),
                final_url: Some("http://www.example.cn/?q=\"><img src=x onerror=alert(2)>".into()),
                title: Some("<script>alert(1)</script>".into()),
                icp_numbers: vec![NumberEvidence { text: "沪ICP备2019000001号-1".into(), linked: true, href: Some("javascript:alert(3)".into()) }],
                excerpt: Some("=HYPERLINK(\"http://evil\")".into()),
                findings: vec![crate::finding::Finding::new(Code::PageTitleMismatch, "title <b>lacks</b> 示例科技官网")],
                ..Default::default()
            }],
        }
    }

    /// A store with one filing and tickets in several states.
    pub(crate) async fn seeded(store: &Store) -> i64 {
        let f = Filing {
            site_number: "京ICP备2024012345号-1".into(),
            subject_number: "京ICP备2024012345号".into(),
            site_name: "示例科技官网".into(),
            subject_name: Some("北京示例科技有限公司".into()),
            subject_nature: None,
            domains: vec!["www.example.cn".into()],
            filed_ips: vec![],
            psb_number: None,
            status: FilingStatus::Active,
            province: None,
            homepage: None,
        };
        store.upsert_filings(&[f], at("2026-09-01T00:00:00Z")).await.unwrap();
        let cal = Calendar::new(&[], &[]);
        let streak = lifecycle::tests::streak("2026-09-17T10:00:00+08:00", "2026-09-18T10:00:00+08:00");
        let mut first = 0;
        for (i, code) in [Code::PageTitleMismatch, Code::PageNumberMissing, Code::DnsOverseas].into_iter().enumerate() {
            let (mut t, e) = lifecycle::open(
                "京ICP备2024012345号-1",
                "京ICP备2024012345号",
                code,
                hostile_evidence(),
                &streak,
                if i == 0 { 10 } else { 20 },
                &cal,
                at("2026-09-18T10:00:00+08:00"),
            );
            // Still seen after its deadline, so escalation is due.
            t.last_seen_at = at("2026-10-12T10:00:00+08:00");
            let id = store.insert_ticket(&t, &e).await.unwrap().unwrap();
            if i == 0 {
                first = id;
            }
            if code == Code::DnsOverseas {
                let t = store.ticket(id).await.unwrap().unwrap();
                let c = lifecycle::close(&t, "moved", "bob", at("2026-09-19T10:00:00+08:00")).unwrap();
                assert!(store.apply_changes(&[c]).await.unwrap());
            }
        }
        first
    }

    #[tokio::test]
    async fn report_counts_orders_and_groups_by_subject() {
        for store in each_backend().await {
            let first = seeded(&store).await;
            let r = build(&store, &cfg(), at("2026-10-13T10:00:00+08:00")).await.unwrap();
            // The 10-day ticket (deadline 10/09) is overdue by 10/10 (make-up day), 10/12, 10/13.
            assert_eq!(r.totals, Counts { open: 1, overdue: 1, closed: 1, ..Default::default() });
            assert_eq!(r.overdue.len(), 1);
            assert_eq!((r.overdue[0].id, r.overdue[0].overdue_working_days), (first, 3));
            assert_eq!(r.overdue[0].escalation, vec!["限制访问"]);
            assert_eq!(r.tickets[0].state, State::Overdue);
            assert_eq!(r.by_category.len(), 2);
            let content = r.by_category.iter().find(|c| c.category == "网站内容不合格").unwrap();
            assert_eq!((content.counts.open, content.counts.overdue, content.codes.len()), (1, 1, 2));
            assert_eq!(r.subjects.len(), 1);
            assert_eq!(r.subjects[0].subject_name.as_deref(), Some("北京示例科技有限公司"));
            assert_eq!(r.subjects[0].tickets.len(), 2, "closed tickets are not in a notice");
            assert_eq!(r.subjects[0].earliest_deadline.to_string(), "2026-10-09");
            assert_eq!(r.subjects[0].notices.len(), 2);
            // One copy of each ticket, however many parts of the report show it: a report of every
            // ticket ever opened must not hold their evidence three times over.
            assert!(std::sync::Arc::ptr_eq(&r.overdue[0], &r.tickets[0]));
            assert!(std::sync::Arc::ptr_eq(&r.subjects[0].tickets[0], &r.tickets[0]));
            let json: serde_json::Value = serde_json::from_slice(&render(&r, Format::Json).unwrap()).unwrap();
            assert_eq!(json["totals"]["overdue"], 1);
            assert_eq!(json["overdue"][0]["deadline"], "2026-10-09");
        }
    }

    #[tokio::test]
    async fn the_trend_shows_the_last_30_finished_runs_while_one_is_running() {
        for store in each_backend().await {
            for i in 0..TREND_RUNS + 5 {
                let t = at("2026-09-01T02:00:00+08:00") + chrono::Duration::days(i);
                let id = store.start_run("nightly", "dns,http,page", 1, t).await.unwrap();
                store.finish_run(id, "completed", 1, 0, 0, None, t).await.unwrap();
            }
            let running = store.start_run("nightly", "dns,http,page", 1, at("2026-10-10T02:00:00+08:00")).await.unwrap();
            let r = build(&store, &cfg(), at("2026-10-10T10:00:00+08:00")).await.unwrap();
            assert_eq!(r.trend.len(), TREND_RUNS as usize);
            assert!(r.trend.iter().all(|p| p.run_id != running));
            assert_eq!(r.trend.last().unwrap().run_id, running - 1, "the newest finished run is the last point");
        }
    }

    /// The keys of a JSON object, sorted.
    fn keys(v: &serde_json::Value) -> Vec<&str> {
        let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort();
        k
    }

    #[tokio::test]
    async fn the_json_has_the_shape_the_readme_gives() {
        let store = each_backend().await.remove(0);
        seeded(&store).await;
        let id = store.start_run("nightly", "dns,http,page", 1, at("2026-10-12T02:00:00+08:00")).await.unwrap();
        store.finish_run(id, "completed", 1, 0, 1, None, at("2026-10-12T02:10:00+08:00")).await.unwrap();
        let r = build(&store, &cfg(), at("2026-10-13T10:00:00+08:00")).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&render(&r, Format::Json).unwrap()).unwrap();
        let readme = include_str!("../../README.md");
        let counts = ["closed", "open", "overdue", "resolved", "superseded"];
        assert_eq!(keys(&v), ["by_category", "generated_at", "generated_date", "overdue", "provider", "subjects", "tickets", "totals", "trend"]);
        assert_eq!(keys(&v["totals"]), counts);
        for (value, named) in [
            (&v["tickets"][0], keys(&v["tickets"][0])),
            (&v["trend"][0], keys(&v["trend"][0])),
            (&v["subjects"][0], keys(&v["subjects"][0])),
            (&v["by_category"][0], keys(&v["by_category"][0])),
            (&v["by_category"][0]["codes"][0], keys(&v["by_category"][0]["codes"][0])),
        ] {
            for k in named.into_iter().filter(|k| !counts.contains(k)) {
                assert!(readme.contains(&format!("\"{k}\"")), "README's report JSON lacks {k:?} of {value}");
            }
        }
        assert_eq!(v["tickets"][0]["deadline"], "2026-10-09");
    }

    /// The process's umask, as Linux shows it in /proc/self/status.
    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:")).unwrap();
        u32::from_str_radix(line.trim(), 8).unwrap()
    }

    #[tokio::test]
    async fn the_report_file_gets_the_permissions_the_umask_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::parse(
            &format!(
                "[database]\nurl = \"sqlite://{}/b.db\"\n[provider]\nname = \"示例云\"\ninventory = \"inv.csv\"\n[dns]\nnameservers = [\"127.0.0.1:53\"]\n",
                dir.path().display()
            ),
            &dir.path().join("beiand.toml"),
        )
        .unwrap();
        let out = dir.path().join("report.html");
        run(&cfg, Format::Html, &out).await.unwrap();
        // As `beiand report --out - > report.html` would create it, not private to its writer.
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask(), "mode {mode:o}");
    }
}
