//! Typed configuration (design §4.1): parsed from TOML, validated while parsing so that every
//! error names the file, the line and the key, with relative paths resolved against the folder
//! of the config file.

use crate::finding::Code;
use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use ipnet::IpNet;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where `--config` points when neither the flag nor `$BEIAND_CONFIG` is given.
pub const DEFAULT_PATH: &str = "/etc/beiand/beiand.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub database: Database,
    pub provider: Provider,
    pub dns: Dns,
    #[serde(default)]
    pub http: Http,
    #[serde(default)]
    pub scan: Scan,
    #[serde(default)]
    pub tickets: Tickets,
    #[serde(default)]
    pub server: Server,
    #[serde(default)]
    pub schedule: Vec<Schedule>,
    /// The file this was read from (not a key).
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `sqlite://PATH` (relative to the config folder), `sqlite::memory:`, or `postgres://…`.
    #[serde(deserialize_with = "database_url")]
    pub url: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// `beiand run` deletes the per-domain results (evidence) of runs finished more than this
    /// many days ago; runs, tickets and their history are kept. 0 keeps everything.
    #[serde(default = "default_keep_days")]
    pub keep_days: u32,
}

impl Default for Database {
    fn default() -> Self {
        Database { url: "sqlite://data/beiand.db".into(), max_connections: default_max_connections(), keep_days: default_keep_days() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub name: String,
    /// The provider's own address blocks (design §4.3).
    pub inventory: PathBuf,
    /// Mainland-China address blocks: plain CIDRs or APNIC delegated statistics.
    #[serde(default)]
    pub mainland: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Queried directly; the system resolver is never used.
    pub nameservers: Vec<SocketAddr>,
    #[serde(default = "default_dns_timeout")]
    pub timeout_ms: u64,
    /// Tries per query before a nameserver failure is declared.
    #[serde(default = "default_dns_attempts")]
    pub attempts: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    #[serde(default = "default_http_port")]
    pub port: u16,
    #[serde(default = "default_https_port")]
    pub https_port: u16,
    #[serde(default = "default_http_timeout")]
    pub timeout_ms: u64,
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    #[serde(default = "default_max_redirects")]
    pub max_redirects: usize,
    /// Non-public ranges that may nevertheless be fetched (and are classified like public ones).
    #[serde(default)]
    pub allow_private_targets: Vec<IpNet>,
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            port: default_http_port(),
            https_port: default_https_port(),
            timeout_ms: default_http_timeout(),
            max_body_bytes: default_max_body(),
            max_redirects: default_max_redirects(),
            allow_private_targets: Vec::new(),
            user_agent: default_user_agent(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scan {
    /// Domains checked at the same time (by one process, all profiles together).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Homepage fetches per second to any one address (0: unlimited), after a burst of
    /// `per_address_burst`: many filed domains share one customer server.
    #[serde(default = "default_per_address_rate")]
    pub per_address_rate: f64,
    #[serde(default = "default_per_address_burst")]
    pub per_address_burst: u32,
    /// `beiand run`: how long a claimed domain stays this instance's without renewal (renewed
    /// every third of it); the claims of an instance that died expire after this long and
    /// another instance, or this one restarted, takes them.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: u64,
    /// `beiand run`: on SIGTERM, how long checks in flight may take to finish.
    #[serde(default = "default_drain_seconds")]
    pub drain_seconds: u64,
}

impl Default for Scan {
    fn default() -> Self {
        Scan {
            concurrency: default_concurrency(),
            per_address_rate: default_per_address_rate(),
            per_address_burst: default_per_address_burst(),
            lease_seconds: default_lease_seconds(),
            drain_seconds: default_drain_seconds(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tickets {
    #[serde(default = "default_confirm_scans")]
    pub confirm_scans: u32,
    #[serde(default = "default_confirm_hours")]
    pub confirm_hours: u32,
    #[serde(default)]
    pub extra_holidays: Vec<NaiveDate>,
    #[serde(default)]
    pub extra_workdays: Vec<NaiveDate>,
    /// Working days to fix, per finding code.
    #[serde(default)]
    pub deadline_days: BTreeMap<Code, u32>,
    /// Per-code overrides of `confirm_scans` / `confirm_hours`: `[tickets.confirm."http.unreachable"]`.
    #[serde(default)]
    pub confirm: BTreeMap<Code, ConfirmRule>,
    /// What to recommend once a ticket is overdue, in working days after its deadline.
    #[serde(default = "default_escalation")]
    pub escalation: Vec<EscalationStep>,
    /// Working days an upheld appeal suspends escalation (access restored meanwhile).
    #[serde(default = "default_appeal_grace_days")]
    pub appeal_grace_days: u32,
}

/// Confirmation window for one finding code; an unset field falls back to `[tickets]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRule {
    pub scans: Option<u32>,
    pub hours: Option<u32>,
}

/// One escalation step: recommended (never carried out) once the ticket has been overdue for
/// `after_days` working days beyond its deadline (0: as soon as it is overdue), and only after
/// a conclusive check past the deadline has seen the problem still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    pub after_days: u32,
    pub step: EscalationAction,
}

/// What beiand recommends to the provider's operators; it never acts on customers' services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationAction {
    /// 限制访问
    RestrictAccess,
    /// 取消接入
    CancelAccess,
}

impl EscalationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationAction::RestrictAccess => "restrict_access",
            EscalationAction::CancelAccess => "cancel_access",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            EscalationAction::RestrictAccess => "限制访问",
            EscalationAction::CancelAccess => "取消接入",
        }
    }
}

impl Default for Tickets {
    fn default() -> Self {
        Tickets {
            confirm_scans: default_confirm_scans(),
            confirm_hours: default_confirm_hours(),
            extra_holidays: Vec::new(),
            extra_workdays: Vec::new(),
            deadline_days: BTreeMap::new(),
            confirm: BTreeMap::new(),
            escalation: default_escalation(),
            appeal_grace_days: default_appeal_grace_days(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
}

impl Default for Server {
    fn default() -> Self {
        Server { listen: default_listen(), token_file: None }
    }
}

/// One scan profile: which filings, which probes, when.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub name: String,
    /// cron crate syntax with seconds, evaluated in Asia/Shanghai.
    #[serde(deserialize_with = "cron_expr")]
    pub cron: String,
    #[serde(default)]
    pub select: Select,
    #[serde(default = "all_probes")]
    pub probes: Vec<Probe>,
    /// Spread the run's checks over this many seconds after the cron instant, with jitter, instead
    /// of bursting [default: a quarter of the time to the next firing, at most an hour].
    #[serde(default)]
    pub spread_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Select {
    #[default]
    Active,
    OpenTickets,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    Dns,
    Http,
    Page,
}

fn all_probes() -> Vec<Probe> {
    vec![Probe::Dns, Probe::Http, Probe::Page]
}
fn default_max_connections() -> u32 {
    8
}
fn default_keep_days() -> u32 {
    90
}
fn default_dns_timeout() -> u64 {
    2000
}
fn default_dns_attempts() -> usize {
    2
}
fn default_http_port() -> u16 {
    80
}
fn default_https_port() -> u16 {
    443
}
fn default_http_timeout() -> u64 {
    10_000
}
fn default_max_body() -> usize {
    2 * 1024 * 1024
}
fn default_max_redirects() -> usize {
    5
}
fn default_user_agent() -> String {
    concat!("beiand/", env!("CARGO_PKG_VERSION"), " (ICP filing verification)").into()
}
fn default_concurrency() -> usize {
    256
}
fn default_per_address_rate() -> f64 {
    5.0
}
fn default_per_address_burst() -> u32 {
    10
}
fn default_lease_seconds() -> u64 {
    120
}
fn default_drain_seconds() -> u64 {
    30
}
fn default_confirm_scans() -> u32 {
    2
}
fn default_confirm_hours() -> u32 {
    24
}
fn default_escalation() -> Vec<EscalationStep> {
    vec![
        EscalationStep { after_days: 0, step: EscalationAction::RestrictAccess },
        EscalationStep { after_days: 5, step: EscalationAction::CancelAccess },
    ]
}
fn default_appeal_grace_days() -> u32 {
    5
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9469))
}

fn database_url<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    let url = String::deserialize(d)?;
    if url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url)
    } else {
        Err(serde::de::Error::custom(format!(
            "unsupported database url {url:?}: expected sqlite://PATH or postgres://USER@HOST/DB"
        )))
    }
}

fn cron_expr<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    let expr = String::deserialize(d)?;
    let fields = expr.split_whitespace().count();
    if fields == 5 {
        // The crontab(5) form: the cron crate's own message only repeats the expression.
        return Err(serde::de::Error::custom(format!(
            "invalid cron expression {expr:?}: 5 fields, but this syntax starts with seconds \
             (sec min hour day-of-month month day-of-week [year]): \"0 {expr}\""
        )));
    }
    let schedule = cron::Schedule::from_str(&expr)
        .map_err(|e| serde::de::Error::custom(format!("invalid cron expression {expr:?}: {e}")))?;
    // Never at all (30 February), not merely no more (a one-off campaign's year, once past: a
    // config that held it must still load after it fired; the scheduler leaves it out).
    if schedule.after(&chrono::DateTime::<chrono::Utc>::UNIX_EPOCH.with_timezone(&crate::clock::shanghai())).next().is_none() {
        return Err(serde::de::Error::custom(format!("cron expression {expr:?} never fires")));
    }
    Ok(expr)
}

impl Config {
    /// The path given by `--config`, else `$BEIAND_CONFIG`, else [`DEFAULT_PATH`].
    pub fn locate(flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| std::env::var_os("BEIAND_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PATH))
    }

    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Config::parse(&text, path)
    }

    /// Parses config text as if read from `path` (used for relative paths and messages).
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let mut cfg: Config = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        cfg.path = path.to_path_buf();
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        cfg.provider.inventory = base.join(&cfg.provider.inventory);
        cfg.provider.mainland = cfg.provider.mainland.as_ref().map(|p| base.join(p));
        cfg.server.token_file = cfg.server.token_file.as_ref().map(|p| base.join(p));
        cfg.database.url = resolve_sqlite_url(&cfg.database.url, &base);
        cfg.validate().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(cfg)
    }

    /// Checks that cross keys; single values are checked while parsing.
    fn validate(&self) -> Result<()> {
        if self.dns.nameservers.is_empty() {
            bail!("key dns.nameservers: at least one nameserver (ip:port) is required");
        }
        if self.dns.timeout_ms == 0 || self.http.timeout_ms == 0 {
            bail!("key dns.timeout_ms / http.timeout_ms: must be greater than 0");
        }
        if self.dns.attempts == 0 {
            bail!("key dns.attempts: must be at least 1");
        }
        if self.http.max_body_bytes < 1024 {
            bail!("key http.max_body_bytes: must be at least 1024");
        }
        if self.scan.concurrency == 0 {
            bail!("key scan.concurrency: must be at least 1");
        }
        if !(self.scan.per_address_rate >= 0.0 && self.scan.per_address_rate.is_finite()) {
            bail!("key scan.per_address_rate: must be 0 (unlimited) or a positive number of fetches per second");
        }
        if self.scan.per_address_burst == 0 {
            bail!("key scan.per_address_burst: must be at least 1");
        }
        let longest_confirm = Code::ALL.iter().filter(|c| c.is_customer_problem()).map(|c| self.confirm_rule(*c).1).max().unwrap_or(0);
        let needed_hours = u64::from(longest_confirm) + 24 * crate::ticket::engine::LOOKBACK_SLACK_DAYS as u64;
        if self.database.keep_days > 0 && u64::from(self.database.keep_days) * 24 < needed_hours {
            bail!(
                "key database.keep_days: {} days would delete results the tickets still read (at least {} days with confirmation windows up to {longest_confirm} h)",
                self.database.keep_days,
                needed_hours.div_ceil(24)
            );
        }
        if !(3..=86_400).contains(&self.scan.lease_seconds) {
            bail!("key scan.lease_seconds: must be from 3 (leases are renewed every third of it) to 86400");
        }
        if self.scan.drain_seconds > 3600 {
            bail!("key scan.drain_seconds: must be at most 3600");
        }
        if self.tickets.confirm_scans == 0 {
            bail!("key tickets.confirm_scans: must be at least 1");
        }
        if let Some(code) = self.tickets.deadline_days.keys().find(|c| !c.is_customer_problem()) {
            bail!("key tickets.deadline_days.\"{code}\": {code} never opens a ticket");
        }
        for (code, rule) in &self.tickets.confirm {
            if !code.is_customer_problem() {
                bail!("key tickets.confirm.\"{code}\": {code} never opens a ticket");
            }
            if rule.scans == Some(0) {
                bail!("key tickets.confirm.\"{code}\".scans: must be at least 1");
            }
        }
        if self.tickets.escalation.windows(2).any(|w| w[0].after_days >= w[1].after_days) {
            bail!("key tickets.escalation: steps must be listed with strictly increasing after_days");
        }
        if let Some(d) = self.tickets.extra_holidays.iter().find(|d| self.tickets.extra_workdays.contains(d)) {
            bail!("keys tickets.extra_holidays and tickets.extra_workdays both list {d}");
        }
        let mut names = std::collections::HashSet::new();
        for s in &self.schedule {
            if !names.insert(s.name.as_str()) {
                bail!("[[schedule]] name {:?} is used twice", s.name);
            }
            if [API_PROFILE, MANUAL_PROFILE].contains(&s.name.as_str()) {
                bail!("[[schedule]] name {:?} is kept for the runs of the admin API ({API_PROFILE}) and of `beiand scan` ({MANUAL_PROFILE})", s.name);
            }
            if s.spread_seconds.is_some_and(|v| v > 7 * 86_400) {
                bail!("[[schedule]] {:?}: key spread_seconds must be at most a week (604800)", s.name);
            }
            if s.probes.is_empty() {
                bail!("[[schedule]] {:?}: key probes must name at least one probe", s.name);
            }
        }
        Ok(())
    }

    /// The configured deadline in working days for a finding code.
    pub fn deadline_days(&self, code: Code) -> u32 {
        self.tickets.deadline_days.get(&code).copied().unwrap_or(10)
    }

    /// How many consecutive conclusive scans, spanning at least how many hours, confirm that a
    /// finding of this code is present (to open a ticket) or gone (to resolve one).
    pub fn confirm_rule(&self, code: Code) -> (u32, u32) {
        let rule = self.tickets.confirm.get(&code).copied().unwrap_or_default();
        (rule.scans.unwrap_or(self.tickets.confirm_scans), rule.hours.unwrap_or(self.tickets.confirm_hours))
    }
}

/// The profile name of runs started through the admin API (no `[[schedule]]` may take it: a
/// profile runs once at a time, and the API's runs would block it).
pub const API_PROFILE: &str = "api";
/// The profile name of runs of `beiand scan`.
pub const MANUAL_PROFILE: &str = "manual";

/// Makes a relative `sqlite://` path absolute against the config folder.
fn resolve_sqlite_url(url: &str, base: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return url.to_string();
    };
    // One spelling, `sqlite://PATH`, whatever was written: the single-instance lock reads it.
    if rest.starts_with(":memory:") {
        return url.to_string();
    }
    if rest.starts_with('/') {
        return format!("sqlite://{rest}");
    }
    format!("sqlite://{}", base.join(rest).display())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[provider]
name = "示例云"
inventory = "inventory.csv"
[dns]
nameservers = ["127.0.0.1:5353"]
"#;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("/etc/beiand/beiand.toml"))
    }

    #[test]
    fn minimal_config_gets_defaults_and_resolves_paths() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.provider.inventory, PathBuf::from("/etc/beiand/inventory.csv"));
        assert_eq!(c.database.url, "sqlite:///etc/beiand/data/beiand.db");
        // Every spelling of a SQLite path becomes sqlite://PATH, which the instance lock reads.
        for (url, want) in [
            ("sqlite:/var/lib/beiand/b.db", "sqlite:///var/lib/beiand/b.db"),
            ("sqlite:///var/lib/beiand/b.db", "sqlite:///var/lib/beiand/b.db"),
            ("sqlite:b.db", "sqlite:///etc/beiand/b.db"),
            ("sqlite::memory:", "sqlite::memory:"),
        ] {
            assert_eq!(resolve_sqlite_url(url, Path::new("/etc/beiand")), want, "{url}");
        }
        assert_eq!(c.http.port, 80);
        assert_eq!(c.tickets.confirm_scans, 2);
        assert_eq!(c.deadline_days(Code::PageNumberMissing), 10);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = format!("{MINIMAL}colour = 1\n");
        let err = parse(&text.replace("[dns]", "[dns]\nretries = 3")).unwrap_err().to_string();
        assert!(err.contains("/etc/beiand/beiand.toml"), "{err}");
        assert!(err.contains("line 6"), "{err}");
        assert!(err.contains("retries"), "{err}");
    }

    #[test]
    fn bad_values_are_rejected_with_line() {
        for (bad, needle) in [
            (r#"nameservers = ["223.5.5.5"]"#, "line 6"),
            (r#"nameservers = ["223.5.5.5:53"]
timeout_ms = "fast""#, "line 7"),
        ] {
            let err = parse(&MINIMAL.replace(r#"nameservers = ["127.0.0.1:5353"]"#, bad)).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
        let err = parse(&format!("{MINIMAL}[http]\nallow_private_targets = [\"10.0.0.0/33\"]\n")).unwrap_err();
        assert!(err.to_string().contains("line 8"), "{err}");
        let err = parse(&format!("[database]\nurl = \"mysql://x\"\n{MINIMAL}")).unwrap_err();
        assert!(err.to_string().contains("line 2") && err.to_string().contains("unsupported database url"), "{err}");
        let err = parse(&format!("{MINIMAL}[[schedule]]\nname = \"n\"\ncron = \"every day\"\n")).unwrap_err();
        assert!(err.to_string().contains("invalid cron expression"), "{err}");
        // The crontab form without seconds is told what to write; a date that never comes too.
        let err = parse(&format!("{MINIMAL}[[schedule]]\nname = \"n\"\ncron = \"0 2 * * *\"\n")).unwrap_err();
        assert!(err.to_string().contains("line 9") && err.to_string().contains("starts with seconds") && err.to_string().contains("\"0 0 2 * * *\""), "{err}");
        let err = parse(&format!("{MINIMAL}[[schedule]]\nname = \"n\"\ncron = \"0 0 2 30 2 *\"\n")).unwrap_err();
        assert!(err.to_string().contains("line 9") && err.to_string().contains("never fires"), "{err}");
        // One that fired for the last time (a past year) still loads: the config of a finished
        // campaign must not stop the daemon's restart.
        parse(&format!("{MINIMAL}[[schedule]]\nname = \"n\"\ncron = \"0 0 2 9 10 * 2020\"\n")).unwrap();
        let err = parse(&format!("{MINIMAL}[tickets.deadline_days]\n\"page.nope\" = 3\n")).unwrap_err();
        assert!(err.to_string().contains("line 8"), "{err}");
        let err = parse(&format!("{MINIMAL}[tickets]\nextra_holidays = [\"2026-13-01\"]\n")).unwrap_err();
        assert!(err.to_string().contains("line 8"), "{err}");
    }

    #[test]
    fn cross_key_errors_name_the_key() {
        let err = parse(&MINIMAL.replace(r#"["127.0.0.1:5353"]"#, "[]")).unwrap_err().to_string();
        assert!(err.contains("dns.nameservers"), "{err}");
    }

    #[test]
    fn config_is_located_by_flag_then_env_then_default() {
        assert_eq!(Config::locate(Some(Path::new("x.toml"))), PathBuf::from("x.toml"));
    }

    #[test]
    fn ticket_keys_have_defaults_overrides_and_checks() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.confirm_rule(Code::HttpUnreachable), (2, 24));
        assert_eq!(c.tickets.escalation.len(), 2);
        assert_eq!(c.tickets.escalation[1], EscalationStep { after_days: 5, step: EscalationAction::CancelAccess });
        assert_eq!(c.tickets.appeal_grace_days, 5);
        let c = parse(&format!(
            "{MINIMAL}[tickets]\nconfirm_scans = 3\nescalation = [{{ after_days = 2, step = \"restrict_access\" }}]\n\
             [tickets.confirm.\"http.unreachable\"]\nhours = 48\n"
        ))
        .unwrap();
        assert_eq!(c.confirm_rule(Code::HttpUnreachable), (3, 48));
        assert_eq!(c.confirm_rule(Code::DnsOverseas), (3, 24));
        assert_eq!(c.tickets.escalation, vec![EscalationStep { after_days: 2, step: EscalationAction::RestrictAccess }]);
        for (bad, needle) in [
            ("[tickets.confirm.\"scan.inconclusive\"]\nscans = 2\n", "never opens a ticket"),
            ("[tickets.confirm.\"dns.overseas\"]\nscans = 0\n", "scans: must be at least 1"),
            ("[tickets.confirm.\"dns.overseas\"]\nminutes = 5\n", "minutes"),
            ("[tickets]\nescalation = [{ after_days = 5, step = \"cancel_access\" }, { after_days = 5, step = \"restrict_access\" }]\n", "strictly increasing"),
            ("[tickets]\nescalation = [{ after_days = 1, step = \"shut_down\" }]\n", "shut_down"),
            ("[tickets]\nextra_holidays = [\"2026-10-10\"]\nextra_workdays = [\"2026-10-10\"]\n", "both list 2026-10-10"),
            ("[[schedule]]\nname = \"api\"\ncron = \"0 0 2 * * *\"\n", "kept for the runs of the admin API"),
        ] {
            let err = parse(&format!("{MINIMAL}{bad}")).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }
}
