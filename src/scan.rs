//! The scan pipeline: for each (filing, domain) target, run the probes a profile selects, turn the
//! evidence into findings, and stream the results into storage with bounded concurrency. A failure
//! on our side (resolver down, local network error) makes a check `scan.inconclusive`, never a
//! customer finding.

use crate::check::dns::{DnsAnswer, DnsProbe};
use crate::check::http::{Failure, HttpProbe, Page};
use crate::check::ip::{classify_addresses, ClassifiedIp};
use crate::check::page::{self, PageExpect};
use crate::clock;
use crate::config::{Config, Probe};
use crate::filing::{Filing, FilingStatus};
use crate::finding::{Code, Finding};
use crate::netclass::Classifier;
use crate::ratelimit::AddressLimiter;
use crate::store::{ResultRow, Store};
use anyhow::Result;
use futures::StreamExt;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// One domain of one filing, to be checked.
#[derive(Debug, Clone)]
pub struct Target {
    pub filing: Arc<Filing>,
    pub domain: String,
}

/// Which filings a scan covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every filing on record (active ones get every probe, the others DNS and HTTP).
    All,
    Active,
    /// Filings with an open or overdue ticket (the re-check).
    OpenTickets,
    /// Every filing that lists this domain, for this domain only.
    Domain(String),
    /// One website filing number.
    Site(String),
}

impl Selection {
    pub fn from_config(s: crate::config::Select) -> Selection {
        match s {
            crate::config::Select::Active => Selection::Active,
            crate::config::Select::OpenTickets => Selection::OpenTickets,
            crate::config::Select::All => Selection::All,
        }
    }
}

/// The targets a selection names. A domain or site that no filing has is an error.
pub async fn select_targets(store: &Store, selection: &Selection) -> Result<Vec<Target>> {
    use crate::store::FilingSelect;
    Ok(match selection {
        Selection::All => targets(store.filings(FilingSelect::All).await?),
        Selection::Active => targets(store.filings(FilingSelect::Active).await?),
        Selection::OpenTickets => {
            let sites = store.active_ticket_sites().await?;
            let filings = store.filings_by_numbers(&sites).await?;
            let mut list: Vec<Filing> = filings.into_values().filter(|(_, removed)| !removed).map(|(f, _)| f).collect();
            list.sort_by(|a, b| a.site_number.cmp(&b.site_number));
            targets(list)
        }
        Selection::Domain(given) => {
            // In the form import stores domains in: `例子.中国` is `xn--fsqu00a.xn--fiqs8s`.
            let d = crate::import::parse_domain(given).ok_or_else(|| anyhow::anyhow!("{given:?} is not a domain name"))?;
            let filings = store.filings_by_domain(&d).await?;
            if filings.is_empty() {
                let as_given = given.trim().trim_end_matches('.');
                let also = if as_given.eq_ignore_ascii_case(&d) { String::new() } else { format!(" ({as_given})") };
                anyhow::bail!("no filing lists the domain {d}{also}");
            }
            filings.into_iter().map(|f| Target { filing: Arc::new(f), domain: d.clone() }).collect()
        }
        Selection::Site(s) => {
            let number = crate::number::parse_site_number(s).map(|n| n.to_string()).unwrap_or_else(|_| s.trim().to_string());
            let filing = store.filing(&number).await?.ok_or_else(|| anyhow::anyhow!("no filing with site number {s}"))?;
            targets(vec![filing])
        }
    })
}

/// What a scan goes over: a list in hand, or every filing of a kind read from the store a page
/// at a time (so that a scan of 100,000 filings never holds them all).
pub enum Targets {
    List(Vec<Target>),
    Filings(crate::store::FilingSelect),
}

/// Filings read per page by [`Targets::Filings`].
const FILINGS_PAGE: i64 = 500;

impl Targets {
    /// The targets of a selection: every filing streams from the store, the rest is a list.
    pub async fn of(store: &Store, selection: &Selection) -> Result<Targets> {
        Ok(match selection {
            Selection::All => Targets::Filings(crate::store::FilingSelect::All),
            Selection::Active => Targets::Filings(crate::store::FilingSelect::Active),
            other => Targets::List(select_targets(store, other).await?),
        })
    }

    /// How many targets there are.
    pub async fn count(&self, store: &Store) -> Result<usize> {
        match self {
            Targets::List(list) => Ok(list.len()),
            Targets::Filings(select) => store.count_targets(*select).await,
        }
    }

    /// The targets as a stream; a storage error ends it with that error.
    fn stream(self, store: Store) -> futures::stream::BoxStream<'static, Result<Target>> {
        match self {
            Targets::List(list) => futures::stream::iter(list.into_iter().map(Ok)).boxed(),
            Targets::Filings(select) => futures::stream::unfold(Some(None::<String>), move |after| {
                let store = store.clone();
                async move {
                    let after = after?;
                    match store.filings_after(select, after.as_deref(), FILINGS_PAGE).await {
                        Ok(page) if page.is_empty() => None,
                        Ok(page) => {
                            let last = page.last().map(|f| f.site_number.clone());
                            Some((futures::stream::iter(targets(page).into_iter().map(Ok)).boxed(), Some(last)))
                        }
                        Err(e) => Some((futures::stream::iter([Err(e)]).boxed(), None)),
                    }
                }
            })
            .flatten()
            .boxed(),
        }
    }
}

/// Every domain of every filing given.
pub fn targets(filings: Vec<Filing>) -> Vec<Target> {
    filings
        .into_iter()
        .flat_map(|f| {
            let f = Arc::new(f);
            f.domains.clone().into_iter().map(move |domain| Target { filing: f.clone(), domain })
        })
        .collect()
}

/// Which probes run.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSet {
    pub dns: bool,
    pub http: bool,
    pub page: bool,
}

impl ProbeSet {
    pub const ALL: ProbeSet = ProbeSet { dns: true, http: true, page: true };

    pub fn from_list(probes: &[Probe]) -> ProbeSet {
        ProbeSet { dns: probes.contains(&Probe::Dns), http: probes.contains(&Probe::Http), page: probes.contains(&Probe::Page) }
    }

    /// The inverse of [`ProbeSet::names`]: `dns,http` → DNS and HTTP only.
    pub fn parse(names: &str) -> ProbeSet {
        let has = |n: &str| names.split(',').any(|p| p.trim() == n);
        ProbeSet { dns: has("dns"), http: has("http"), page: has("page") }
    }

    pub fn names(&self) -> String {
        [(self.dns, "dns"), (self.http, "http"), (self.page, "page")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The evidence and findings for one domain: the `scan --json` object (design §4.4).
#[derive(Debug, Clone, Serialize)]
pub struct DomainCheck {
    pub site_number: String,
    pub domain: String,
    pub filing_status: FilingStatus,
    pub checked_at: String,
    pub dns: DnsAnswer,
    pub ips: Vec<ClassifiedIp>,
    pub http_status: Option<u16>,
    pub final_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http_failures: Vec<Failure>,
    pub title: Option<String>,
    pub icp_numbers: Vec<page::IcpMention>,
    pub psb_numbers: Vec<page::PsbMention>,
    pub license_numbers: Vec<page::LicenseMention>,
    pub findings: Vec<Finding>,
    pub inconclusive: bool,
    pub elapsed_ms: u64,
    /// Where this check's time went, in microseconds.
    pub timings: Timings,
}

/// Wall time per phase of one check, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    pub dns_us: u64,
    pub http_us: u64,
    pub page_us: u64,
}

impl DomainCheck {
    /// A check of `target` with its DNS answer and nothing else yet.
    fn new(target: &Target, dns: DnsAnswer) -> DomainCheck {
        DomainCheck {
            site_number: target.filing.site_number.clone(),
            domain: target.domain.clone(),
            filing_status: target.filing.status,
            checked_at: clock::stamp(clock::now()),
            dns,
            ips: Vec::new(),
            http_status: None,
            final_url: None,
            page: None,
            http_failures: Vec::new(),
            title: None,
            icp_numbers: Vec::new(),
            psb_numbers: Vec::new(),
            license_numbers: Vec::new(),
            findings: Vec::new(),
            inconclusive: false,
            elapsed_ms: 0,
            timings: Timings::default(),
        }
    }

    /// The check of a target that beiand itself failed on (it panicked): inconclusive.
    pub fn internal_error(target: &Target, detail: &str) -> DomainCheck {
        let mut check = DomainCheck::new(target, DnsAnswer::Failed { reason: "the check did not complete".into() });
        check.inconclusive = true;
        check.findings.push(Finding::new(Code::ScanInconclusive, format!("internal error: {detail}")));
        check
    }

    /// The stored form, with the evidence JSON made of this check.
    pub fn into_row(self, evidence: String) -> ResultRow {
        ResultRow {
            codes: self.codes(),
            site_number: self.site_number,
            domain: self.domain,
            checked_at: clock::now(),
            inconclusive: self.inconclusive,
            http_status: self.http_status,
            final_url: self.final_url,
            title: self.title,
            evidence,
        }
    }

    /// How the check came out, for counting: `inconclusive`, `findings` or `compliant`.
    pub fn result(&self) -> &'static str {
        if self.inconclusive {
            "inconclusive"
        } else if self.findings.is_empty() {
            "compliant"
        } else {
            "findings"
        }
    }

    /// Customer finding codes (never `scan.inconclusive`), space-separated, for storage.
    pub fn codes(&self) -> String {
        let mut codes: Vec<&str> =
            self.findings.iter().filter(|f| f.code.is_customer_problem()).map(|f| f.code.as_str()).collect();
        codes.dedup();
        codes.join(" ")
    }
}

/// The probes with their settings.
pub struct Scanner {
    classifier: Arc<Classifier>,
    dns: DnsProbe,
    http: HttpProbe,
    limiter: AddressLimiter,
    concurrency: usize,
}

impl Scanner {
    pub fn new(cfg: &Config) -> Result<Scanner> {
        let classifier = Arc::new(Classifier::load(
            &cfg.provider.inventory,
            cfg.provider.mainland.as_deref(),
            &cfg.http.allow_private_targets,
        )?);
        let dns = DnsProbe::new(&cfg.dns);
        let http = HttpProbe::new(cfg.http.clone(), dns.clone(), classifier.clone())?;
        let limiter = AddressLimiter::new(cfg.scan.per_address_rate, cfg.scan.per_address_burst);
        Ok(Scanner { classifier, dns, http, limiter, concurrency: cfg.scan.concurrency })
    }

    /// What the address data says about addresses.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Checks run at the same time.
    pub fn concurrency(&self) -> usize {
        self.concurrency.max(1)
    }

    /// Checks one domain of one filing, and counts it in the metrics.
    pub async fn check(&self, target: &Target, probes: ProbeSet) -> DomainCheck {
        match self.check_within(target, probes, None).await {
            Ok(check) => check,
            Err(_) => unreachable!("an unbounded wait is never deferred"),
        }
    }

    /// Like [`Scanner::check`], but when the per-address limit would make the fetch wait longer
    /// than `max_wait`, gives up at once and says how long the wait would be (the daemon then
    /// puts the domain back in the queue for later instead of holding a slot while it sleeps).
    pub async fn check_within(&self, target: &Target, probes: ProbeSet, max_wait: Option<std::time::Duration>) -> Result<DomainCheck, std::time::Duration> {
        let check = self.check_inner(target, probes, max_wait).await?;
        crate::metrics::record_check(&check);
        Ok(check)
    }

    async fn check_inner(&self, target: &Target, probes: ProbeSet, max_wait: Option<std::time::Duration>) -> Result<DomainCheck, std::time::Duration> {
        let started = Instant::now();
        let filing = &target.filing;
        let active = filing.status == FilingStatus::Active;
        let answer = self.dns.resolve(&target.domain).await;
        let mut check = DomainCheck::new(target, answer.clone());
        check.timings.dns_us = started.elapsed().as_micros() as u64;
        if let DnsAnswer::Failed { reason } = &answer {
            check.inconclusive = true;
            check.findings.push(Finding::new(Code::ScanInconclusive, format!("DNS: {reason}")));
            check.elapsed_ms = started.elapsed().as_millis() as u64;
            return Ok(check);
        }
        let (ips, dns_findings) = classify_addresses(filing, &answer, &self.classifier);
        if active && probes.dns {
            check.findings.extend(dns_findings);
        }
        let in_region: Vec<_> = ips.iter().filter(|c| c.in_region()).map(|c| c.ip).collect();
        check.ips = ips;

        if (probes.http || probes.page) && !in_region.is_empty() {
            let mut http_us = 0;
            for ip in in_region.iter().take(MAX_FETCH_ADDRESSES) {
                self.limiter.wait_within(*ip, max_wait).await?;
                let fetch_started = Instant::now();
                let fetched = self.http.fetch_homepage(&target.domain, *ip).await;
                http_us += fetch_started.elapsed().as_micros() as u64;
                match fetched {
                    Ok(page) => {
                        check.page = Some(page);
                        break;
                    }
                    Err(failures) => check.http_failures.extend(failures),
                }
            }
            match &check.page {
                Some(page) => {
                    check.http_status = Some(page.status);
                    check.final_url = Some(page.final_url.clone());
                }
                None if check.http_failures.iter().any(Failure::is_ours) => {
                    check.inconclusive = true;
                    let ours = check.http_failures.iter().find(|f| f.is_ours()).expect("one is ours");
                    check.findings.push(Finding::new(Code::ScanInconclusive, format!("HTTP ({}): {}", ours.kind, ours.detail)));
                }
                None if active => {
                    let tried: Vec<String> = check.http_failures.iter().map(|f| format!("{} {} ({})", f.ip, f.url, f.kind)).collect();
                    let tried_zh: Vec<String> = check
                        .http_failures
                        .iter()
                        .map(|f| format!("{} {}（{}）", f.ip, f.url, crate::check::http::failure_kind_zh(f.kind)))
                        .collect();
                    let (untried, untried_zh) = match in_region.len().saturating_sub(MAX_FETCH_ADDRESSES) {
                        0 => (String::new(), String::new()),
                        n => (format!("; {n} more in-region addresses not tried"), format!("；另有 {n} 个境内地址未尝试")),
                    };
                    let detail = format!("no usable homepage: {}{untried}", tried.join("; "));
                    let detail_zh = format!("未能从任何境内地址取得可用的首页：{}{untried_zh}", tried_zh.join("；"));
                    check.findings.push(Finding::new(Code::HttpUnreachable, detail).zh(detail_zh));
                }
                None => {}
            }
            check.timings.http_us = http_us;
        }

        if let Some(page) = &check.page {
            if active && probes.page {
                let page_started = Instant::now();
                let report = page::analyse(
                    &page.html,
                    &PageExpect {
                        site_number: Some(filing.site_number.clone()),
                        site_name: Some(filing.site_name.clone()),
                        psb_number: filing.psb_number.clone(),
                    },
                );
                check.title = report.title;
                check.icp_numbers = report.icp_numbers;
                check.psb_numbers = report.psb_numbers;
                check.license_numbers = report.license_numbers;
                check.findings.extend(report.findings);
                check.timings.page_us = page_started.elapsed().as_micros() as u64;
            } else if !active {
                check.findings.push(Finding::at(
                    Code::FilingUnfiledServed,
                    page.ip,
                    format!(
                        "filing is {} ({}) but {} still resolves to the provider's mainland address {} and serves HTTP {}",
                        filing.status.as_str(),
                        filing.status.zh(),
                        target.domain,
                        page.ip,
                        page.status
                    ),
                )
                .zh(format!(
                    "备案状态为{}，但 {} 仍解析到本接入商的境内地址 {}，并以 HTTP {} 提供页面",
                    filing.status.zh(),
                    target.domain,
                    page.ip,
                    page.status
                )));
            }
        }
        check.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(check)
    }
}

/// The most in-region addresses one check fetches from, one after another until one gives a
/// page: a domain that publishes hundreds of silent addresses would otherwise hold its check
/// slot for hours (every try may take `http.timeout_ms`, twice).
const MAX_FETCH_ADDRESSES: usize = 8;

/// Runs `check`, the check of `target`, in a task of its own. A panic is our bug, not the
/// customer's: that check is inconclusive and the scan goes on.
async fn check_in_own_task(target: &Target, check: impl std::future::Future<Output = DomainCheck> + Send + 'static) -> Result<DomainCheck> {
    match tokio::spawn(check).await {
        Ok(check) => Ok(check),
        Err(e) if e.is_panic() => {
            tracing::error!(domain = %target.domain, "the check panicked: recorded as inconclusive");
            Ok(DomainCheck::internal_error(target, "the check panicked"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Counts of a finished run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: i64,
    pub state: String,
    pub targets: usize,
    pub checked: usize,
    pub compliant: usize,
    pub with_findings: usize,
    pub inconclusive: usize,
    pub by_code: BTreeMap<Code, usize>,
    pub seconds: f64,
    /// Time spent waiting on the database to store results.
    pub store_seconds: f64,
}

impl RunSummary {
    /// The human summary printed at the end of `scan`.
    pub fn render(&self) -> String {
        let mut s = format!(
            "run {} {}: checked {} of {} domains in {:.2} s ({:.0}/s): {} compliant, {} with findings, {} inconclusive\n",
            self.run_id,
            self.state,
            self.checked,
            self.targets,
            self.seconds,
            self.checked as f64 / self.seconds.max(1e-9),
            self.compliant,
            self.with_findings,
            self.inconclusive
        );
        for (code, n) in &self.by_code {
            s.push_str(&format!("  {:<24} {n}\n", code.as_str()));
        }
        s
    }
}

/// A run in which at least this share of domains was inconclusive is `degraded`: the fault is
/// most likely ours, and such a run must change no ticket.
pub const DEGRADED_SHARE: f64 = 0.5;

/// Runs a scan over `targets`, stores every result, and calls `each` with every check as it
/// completes (for `--json` output and progress). Each check runs as a task of its own, so the
/// runtime's worker threads share the parsing; results are stored by a writer task in batches,
/// so a slow database never stalls the checks in flight.
pub async fn run(
    store: &Store,
    scanner: Arc<Scanner>,
    profile: &str,
    probes: ProbeSet,
    targets: Targets,
    mut each: impl FnMut(&DomainCheck, &str),
) -> Result<RunSummary> {
    let started = Instant::now();
    let total = targets.count(store).await?;
    let run_id = store.start_run(profile, &probes.names(), total, clock::now()).await?;
    let mut summary = RunSummary { run_id, targets: total, ..Default::default() };

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ResultRow>>(4);
    let writer_store = store.clone();
    let writer = tokio::spawn(async move {
        let mut busy = 0.0;
        while let Some(batch) = rx.recv().await {
            let t = Instant::now();
            writer_store.record_results(run_id, &batch).await?;
            busy += t.elapsed().as_secs_f64();
        }
        anyhow::Ok(busy)
    });

    let concurrency = scanner.concurrency();
    let mut checks = targets
        .stream(store.clone())
        .map(|t| {
            let scanner = scanner.clone();
            async move {
                let t = t?;
                let check = {
                    let t = t.clone();
                    async move { scanner.check(&t, probes).await }
                };
                check_in_own_task(&t, check).await
            }
        })
        .buffer_unordered(concurrency);
    let mut batch: Vec<ResultRow> = Vec::with_capacity(500);
    while let Some(check) = checks.next().await {
        let check = check?;
        let evidence = serde_json::to_string(&check)?;
        each(&check, &evidence);
        summary.checked += 1;
        if check.inconclusive {
            summary.inconclusive += 1;
        } else if check.findings.is_empty() {
            summary.compliant += 1;
        } else {
            summary.with_findings += 1;
        }
        for f in &check.findings {
            *summary.by_code.entry(f.code).or_default() += 1;
        }
        batch.push(check.into_row(evidence));
        if batch.len() >= 500 && tx.send(std::mem::take(&mut batch)).await.is_err() {
            break; // the writer failed; its error is reported below
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch).await;
    }
    drop(tx);
    summary.store_seconds = writer.await??;
    let degraded = summary.checked > 0 && summary.inconclusive as f64 >= summary.checked as f64 * DEGRADED_SHARE;
    summary.state = if degraded { "degraded" } else { "completed" }.to_string();
    let note = degraded.then(|| format!("{} of {} checks inconclusive", summary.inconclusive, summary.checked));
    store
        .finish_run(run_id, &summary.state, summary.checked, summary.inconclusive, summary.with_findings, note.as_deref(), clock::now())
        .await?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        let filing = Filing {
            site_number: "京ICP备2024000001号-1".into(),
            subject_number: "京ICP备2024000001号".into(),
            site_name: "甲站".into(),
            subject_name: None,
            subject_nature: None,
            domains: vec!["a.example.cn".into()],
            filed_ips: vec![],
            psb_number: None,
            status: FilingStatus::Active,
            province: None,
            homepage: None,
        };
        Target { filing: Arc::new(filing), domain: "a.example.cn".into() }
    }

    #[tokio::test]
    async fn a_domain_is_looked_up_in_the_form_import_stores() {
        let store = Store::open("sqlite::memory:", 1).await.unwrap();
        let mut filing = target().filing.as_ref().clone();
        filing.domains = vec!["xn--fsqu00a.xn--fiqs8s".into(), "a.example.cn".into()]; // import's 例子.中国
        store.upsert_filings(&[filing], clock::now()).await.unwrap();
        for given in ["xn--fsqu00a.xn--fiqs8s", "例子.中国", " 例子.中国. ", "XN--FSQU00A.xn--FIQS8S"] {
            let targets = select_targets(&store, &Selection::Domain(given.into())).await.unwrap_or_else(|e| panic!("{given:?}: {e:#}"));
            let got: Vec<(&str, &str)> = targets.iter().map(|t| (t.filing.site_number.as_str(), t.domain.as_str())).collect();
            assert_eq!(got, vec![("京ICP备2024000001号-1", "xn--fsqu00a.xn--fiqs8s")], "{given:?}");
        }
        let err = select_targets(&store, &Selection::Domain("例子.中国网".into())).await.err().unwrap().to_string();
        assert_eq!(err, "no filing lists the domain xn--fsqu00a.xn--fiqs8s688a (例子.中国网)");
        let err = select_targets(&store, &Selection::Domain("B.example.cn.".into())).await.err().unwrap().to_string();
        assert_eq!(err, "no filing lists the domain b.example.cn");
        for bad in ["http://a.example.cn/", "a..example.cn", "1.2.3.4", "localhost", "a example.cn"] {
            let err = select_targets(&store, &Selection::Domain(bad.into())).await.err().unwrap().to_string();
            assert_eq!(err, format!("{bad:?} is not a domain name"));
        }
    }

    #[tokio::test]
    async fn a_check_that_panics_is_inconclusive_and_no_finding() {
        let t = target();
        let check = check_in_own_task(&t, async { panic!("a bug in a probe") }).await.expect("a panic is no error of the scan");
        assert!(check.inconclusive);
        assert_eq!((check.site_number.as_str(), check.domain.as_str()), ("京ICP备2024000001号-1", "a.example.cn"));
        assert_eq!(check.findings.len(), 1, "{:?}", check.findings);
        assert_eq!(check.findings[0].code, Code::ScanInconclusive);
        assert_eq!(check.findings[0].detail, "internal error: the check panicked");
        assert_eq!(check.codes(), "", "no customer finding");
    }

    #[tokio::test]
    async fn a_check_that_does_not_panic_is_passed_through() {
        let t = target();
        let answer = DnsAnswer::NoAddress { cnames: vec![], nxdomain: true };
        let check = check_in_own_task(&t, std::future::ready(DomainCheck::new(&t, answer))).await.unwrap();
        assert!(!check.inconclusive);
        assert!(check.findings.is_empty());
        assert!(matches!(check.dns, DnsAnswer::NoAddress { nxdomain: true, .. }));
    }
}
