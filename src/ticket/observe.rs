//! From stored results to confirmed facts: is a problem present on a filing, or gone?
//!
//! One run gives at most one *observation* per (filing, code):
//! - **present** when any conclusive check of one of the filing's domains reported the code;
//! - **absent** when every domain of the filing had a conclusive check in that run that could
//!   have reported the code and none did;
//! - otherwise **nothing**: inconclusive checks, domains not checked in the run (`scan --domain`),
//!   and checks that could not see the code (a page code when no page was fetched, a DNS code in
//!   a run without the DNS probe) neither confirm nor break anything.
//!
//! A streak is the run of equal observations ending at the newest one. It is *confirmed* when it
//! has at least `scans` observations and its first and last are at least `hours` apart. A ticket
//! opens on a confirmed present streak and resolves on a confirmed absent one, so a problem that
//! shows once (a flap) never opens a ticket and a fix that holds once never closes one.

use crate::finding::Code;
use chrono::{DateTime, Duration, Utc};

/// Which probes a run ran (the `runs.probes` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probes {
    pub dns: bool,
    pub http: bool,
    pub page: bool,
}

impl Probes {
    /// Parses `dns,http,page`.
    pub fn parse(s: &str) -> Probes {
        let has = |p: &str| s.split(',').any(|x| x.trim() == p);
        Probes { dns: has("dns"), http: has("http"), page: has("page") }
    }
}

/// One stored per-domain result, as the ticket engine reads it back.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultObs {
    pub run_id: i64,
    /// When the run started: the time of its observations.
    pub run_at: DateTime<Utc>,
    pub probes: Probes,
    pub site_number: String,
    pub domain: String,
    pub inconclusive: bool,
    pub http_status: Option<u16>,
    pub codes: Vec<Code>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Present,
    Absent,
}

/// What one run said about one (filing, code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub run_id: i64,
    pub at: DateTime<Utc>,
    pub seen: Seen,
}

/// The run of equal observations ending at the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streak {
    pub seen: Seen,
    pub count: u32,
    pub first_run: i64,
    pub last_run: i64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

impl Streak {
    /// At least `scans` observations spanning at least `hours`.
    pub fn confirmed(&self, scans: u32, hours: u32) -> bool {
        self.count >= scans && self.last_at - self.first_at >= Duration::hours(i64::from(hours))
    }

    /// For history reasons: `3 consecutive checks over 48 h (runs 4–9)`.
    pub fn describe(&self) -> String {
        let hours = (self.last_at - self.first_at).num_minutes() as f64 / 60.0;
        format!(
            "{} consecutive conclusive check{} over {:.0} h (runs {}–{})",
            self.count,
            if self.count == 1 { "" } else { "s" },
            hours,
            self.first_run,
            self.last_run
        )
    }
}

/// Whether a conclusive check of a domain could have reported `code`.
fn could_see(code: Code, r: &ResultObs, filing_active: bool) -> bool {
    if r.inconclusive {
        return false;
    }
    let fetched = r.http_status.is_some();
    match code {
        Code::DnsUnresolved | Code::DnsOtherProvider | Code::DnsOverseas | Code::DnsFiledIpMismatch | Code::DnsNonPublic => {
            filing_active && r.probes.dns
        }
        // Only domains with an in-region address are fetched; a page proves reachability.
        Code::HttpUnreachable => filing_active && (r.probes.http || r.probes.page) && fetched,
        Code::PageNumberMissing
        | Code::PageNumberWrong
        | Code::PageNumberUnlinked
        | Code::PageTitleMismatch
        | Code::PagePsbMissing => {
            filing_active && r.probes.page && fetched && !r.codes.contains(&Code::FilingUnfiledServed)
        }
        // Not served (or filed again) is the absence of the problem.
        Code::FilingUnfiledServed => r.probes.http || r.probes.page,
        Code::ScanInconclusive => false,
    }
}

/// The observation of one run (`rows` are that run's results for the filing).
pub fn observe(code: Code, domains: &[String], filing_active: bool, rows: &[&ResultObs]) -> Option<Seen> {
    let mine = |r: &&&ResultObs| domains.contains(&r.domain);
    if rows.iter().filter(mine).any(|r| !r.inconclusive && r.codes.contains(&code)) {
        return Some(Seen::Present);
    }
    let covered = !domains.is_empty()
        && domains.iter().all(|d| rows.iter().any(|r| r.domain == *d && could_see(code, r, filing_active)));
    covered.then_some(Seen::Absent)
}

/// The observations of `code` on one filing, newest first. `rows` are the filing's results,
/// newest run first (several rows per run when the filing has several domains).
pub fn series(code: Code, domains: &[String], filing_active: bool, rows: &[ResultObs]) -> Vec<Observation> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let run = rows[i].run_id;
        let mut j = i;
        while j < rows.len() && rows[j].run_id == run {
            j += 1;
        }
        let group: Vec<&ResultObs> = rows[i..j].iter().collect();
        if let Some(seen) = observe(code, domains, filing_active, &group) {
            out.push(Observation { run_id: run, at: rows[i].run_at, seen });
        }
        i = j;
    }
    out
}

/// The streak ending at the newest observation, or `None` when there is none.
pub fn streak(series: &[Observation]) -> Option<Streak> {
    let newest = series.first()?;
    let mut s = Streak {
        seen: newest.seen,
        count: 0,
        first_run: newest.run_id,
        last_run: newest.run_id,
        first_at: newest.at,
        last_at: newest.at,
    };
    for o in series.iter().take_while(|o| o.seen == newest.seen) {
        s.count += 1;
        s.first_run = o.run_id;
        s.first_at = o.at;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Probes = Probes { dns: true, http: true, page: true };

    fn t(h: i64) -> DateTime<Utc> {
        crate::clock::parse_stamp("2026-09-17T02:00:00Z").unwrap() + Duration::hours(h)
    }

    fn row(run: i64, h: i64, domain: &str, codes: &[Code]) -> ResultObs {
        ResultObs {
            run_id: run,
            run_at: t(h),
            probes: ALL,
            site_number: "京ICP备2024012345号-1".into(),
            domain: domain.into(),
            inconclusive: false,
            http_status: Some(200),
            codes: codes.to_vec(),
        }
    }

    fn inconclusive(run: i64, h: i64, domain: &str) -> ResultObs {
        ResultObs { inconclusive: true, http_status: None, ..row(run, h, domain, &[]) }
    }

    fn doms(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| s.to_string()).collect()
    }

    const MISSING: Code = Code::PageNumberMissing;

    #[test]
    fn two_sightings_a_day_apart_confirm_and_one_does_not() {
        let d = doms(&["a.cn"]);
        let rows = vec![row(2, 24, "a.cn", &[MISSING]), row(1, 0, "a.cn", &[MISSING])];
        let s = streak(&series(MISSING, &d, true, &rows)).unwrap();
        assert_eq!((s.seen, s.count, s.first_run, s.last_run), (Seen::Present, 2, 1, 2));
        assert!(s.confirmed(2, 24));
        assert!(!s.confirmed(3, 24));
        assert!(!s.confirmed(2, 25));
        assert_eq!(s.describe(), "2 consecutive conclusive checks over 24 h (runs 1–2)");

        // A flap: bad once between good checks.
        let rows = vec![row(3, 48, "a.cn", &[]), row(2, 24, "a.cn", &[MISSING]), row(1, 0, "a.cn", &[])];
        let obs = series(MISSING, &d, true, &rows);
        assert_eq!(obs.iter().map(|o| o.seen).collect::<Vec<_>>(), vec![Seen::Absent, Seen::Present, Seen::Absent]);
        let rows = vec![row(2, 24, "a.cn", &[MISSING]), row(1, 0, "a.cn", &[])];
        assert!(!streak(&series(MISSING, &d, true, &rows)).unwrap().confirmed(2, 24));
    }

    #[test]
    fn inconclusive_checks_neither_confirm_nor_break() {
        let d = doms(&["a.cn"]);
        let rows = vec![row(3, 24, "a.cn", &[MISSING]), inconclusive(2, 12, "a.cn"), row(1, 0, "a.cn", &[MISSING])];
        let obs = series(MISSING, &d, true, &rows);
        assert_eq!(obs.len(), 2);
        assert!(streak(&obs).unwrap().confirmed(2, 24));
        let rows = vec![inconclusive(2, 24, "a.cn"), row(1, 0, "a.cn", &[])];
        assert_eq!(series(MISSING, &d, true, &rows).len(), 1);
    }

    #[test]
    fn absence_needs_every_domain_checked_in_a_way_that_could_see_the_code() {
        let d = doms(&["a.cn", "www.a.cn"]);
        // Only one of two domains checked (scan --domain): no observation.
        assert_eq!(observe(MISSING, &d, true, &[&row(1, 0, "a.cn", &[])]), None);
        // One domain bad is enough for present.
        assert_eq!(observe(MISSING, &d, true, &[&row(1, 0, "www.a.cn", &[MISSING])]), Some(Seen::Present));
        // No page fetched (DNS now points abroad): a page code cannot be judged.
        let no_page = ResultObs { http_status: None, ..row(1, 0, "a.cn", &[Code::DnsOverseas]) };
        let other = row(1, 0, "www.a.cn", &[]);
        assert_eq!(observe(MISSING, &d, true, &[&no_page, &other]), None);
        assert_eq!(observe(Code::DnsOverseas, &d, true, &[&no_page, &other]), Some(Seen::Present));
        // A DNS-only run cannot clear a page problem, and a run without DNS cannot clear a DNS one.
        let dns_only = ResultObs { probes: Probes::parse("dns"), http_status: None, ..row(1, 0, "a.cn", &[]) };
        let dns_only2 = ResultObs { domain: "www.a.cn".into(), ..dns_only.clone() };
        assert_eq!(observe(MISSING, &d, true, &[&dns_only, &dns_only2]), None);
        assert_eq!(observe(Code::DnsOverseas, &d, true, &[&dns_only, &dns_only2]), Some(Seen::Absent));
        let no_dns = ResultObs { probes: Probes::parse("http,page"), ..row(1, 0, "a.cn", &[]) };
        assert_eq!(observe(Code::DnsOverseas, &doms(&["a.cn"]), true, &[&no_dns]), None);
        // A domain no longer on the filing does not count.
        assert_eq!(observe(MISSING, &doms(&["b.cn"]), true, &[&row(1, 0, "a.cn", &[MISSING])]), None);
        assert_eq!(observe(MISSING, &[], true, &[]), None);
    }

    #[test]
    fn reachability_and_unfiled_service() {
        let d = doms(&["a.cn"]);
        let unreachable = ResultObs { http_status: None, ..row(1, 0, "a.cn", &[Code::HttpUnreachable]) };
        assert_eq!(observe(Code::HttpUnreachable, &d, true, &[&unreachable]), Some(Seen::Present));
        assert_eq!(observe(Code::HttpUnreachable, &d, true, &[&row(1, 0, "a.cn", &[])]), Some(Seen::Absent));
        // A cancelled filing no longer served: the problem is gone.
        let gone = ResultObs { http_status: None, ..row(1, 0, "a.cn", &[]) };
        assert_eq!(observe(Code::FilingUnfiledServed, &d, false, &[&gone]), Some(Seen::Absent));
        let served = row(1, 0, "a.cn", &[Code::FilingUnfiledServed]);
        assert_eq!(observe(Code::FilingUnfiledServed, &d, false, &[&served]), Some(Seen::Present));
        // Page codes are not judged on a cancelled filing's page.
        assert_eq!(observe(MISSING, &d, false, &[&served]), None);
        assert_eq!(Probes::parse("dns,http,page"), ALL);
    }
}
