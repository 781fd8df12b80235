//! `beiand tickets list|show|extend|appeal|close` (design §4.4): reading tickets, and the
//! operator's actions on them. Before anything is read or changed, the tickets are brought up to
//! date ([`super::sweep`]: overdue, escalation, superseded). A refused action prints why on
//! stderr and exits with status [`REFUSED`].

pub use super::actions::AppealOutcome;
use super::actions::{self, ActionError, OperatorAction};
use super::lifecycle::Change;
use super::notice::{self, Notice};
use super::{AppealState, HistoryEntry, Refusal, State, Ticket};
use crate::clock;
use crate::config::Config;
use crate::finding::Code;
use crate::store::tickets::TicketFilter;
use crate::store::Store;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::process::ExitCode;

/// Exit status of a refused action (a second appeal in one period, extending a closed ticket…).
pub const REFUSED: u8 = 3;

#[derive(Debug, clap::Args)]
pub struct TicketsArgs {
    /// Operator name recorded in the history of a change [default: $USER]
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub command: TicketsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TicketsCommand {
    /// List tickets, oldest first.
    List {
        /// Only tickets in this state: open, overdue, resolved, closed, superseded.
        #[arg(long, value_name = "S", value_parser = parse_state, conflicts_with = "overdue")]
        state: Option<State>,
        /// Only tickets for this finding code, e.g. page.number_missing.
        #[arg(long, value_name = "C", value_parser = parse_code)]
        code: Option<Code>,
        /// Only tickets of this subject (主体) number, e.g. 京ICP备12345678号 (a website number selects its subject).
        #[arg(long, value_name = "N")]
        subject: Option<String>,
        /// Only tickets of this website filing number.
        #[arg(long, value_name = "N")]
        site: Option<String>,
        /// Only overdue tickets (same as --state overdue).
        #[arg(long)]
        overdue: bool,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one ticket: the notice, the evidence, the history.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Grant an extension (a new deadline), or record that a requested extension was refused.
    Extend {
        id: i64,
        /// The new deadline (Asia/Shanghai), later than the current one; with --refuse, the date requested.
        #[arg(long, value_name = "YYYY-MM-DD", required_unless_present = "refuse")]
        until: Option<NaiveDate>,
        /// Record that the extension is refused; the deadline stands.
        #[arg(long)]
        refuse: bool,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Record the customer's appeal (once per rectification period), or with --outcome its decision.
    Appeal {
        id: i64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Decide the pending appeal instead of filing one.
        #[arg(long, value_enum)]
        outcome: Option<AppealOutcome>,
        #[arg(long)]
        json: bool,
    },
    /// Close a ticket by hand, with a reason.
    Close {
        id: i64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn parse_state(s: &str) -> Result<State, String> {
    State::parse(s).ok_or_else(|| format!("unknown state {s:?}: expected open, overdue, resolved, closed or superseded"))
}

pub(crate) fn parse_code(s: &str) -> Result<Code, String> {
    match Code::parse(s) {
        Some(c) if c.is_customer_problem() => Ok(c),
        Some(c) => Err(format!("{c} never opens a ticket")),
        None => Err(format!("unknown finding code {s:?}")),
    }
}

/// A subject number from a subject or website number: `京ICP备12345678号-3` → `京ICP备12345678号`.
pub(crate) fn subject_of(n: &str) -> String {
    let n = n.trim();
    match n.rsplit_once('-') {
        Some((head, tail)) if head.ends_with('号') && !tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit()) => head.to_string(),
        _ => n.to_string(),
    }
}

/// Text a website wrote, made safe for a terminal: control characters (escape sequences) shown as `?`.
fn term(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

fn operator(flag: Option<String>) -> Result<String, Refusal> {
    flag.or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Refusal("no operator name for the history: pass --actor NAME or set $USER".into()))
}

/// The list form of a ticket (design §4.4 fields first).
pub fn summary_json(t: &Ticket) -> Value {
    json!({
        "id": t.id,
        "site_number": t.site_number,
        "subject_number": t.subject_number,
        "code": t.code.as_str(),
        "category": t.code.category().map(|c| c.zh()),
        "state": t.state.as_str(),
        "deadline": t.deadline.to_string(),
        "opened_at": clock::stamp(t.opened_at),
        "notice_date": t.notice_date.to_string(),
        "period": t.period,
        "appeal_state": t.appeal_state.map(AppealState::as_str),
        "escalation_level": t.escalation_level,
        "closed_at": t.closed_at.map(clock::stamp),
    })
}

fn notice_json(n: &Notice) -> Value {
    json!({
        "title": n.title,
        "text": n.text,
        "cause": n.cause,
        "fix": n.fix,
        "legal_basis": n.basis.map(|b| json!({"articles": b.articles, "summary": b.summary})),
    })
}

/// The full form: the ticket, its notice, the filing's names and the history.
pub fn detail_json(t: &Ticket, history: &[HistoryEntry], filing: Option<&crate::filing::Filing>) -> Value {
    let mut v = serde_json::to_value(t).unwrap_or_else(|_| json!({}));
    let obj = v.as_object_mut().expect("a ticket serialises to an object");
    obj.insert("category".into(), json!(t.code.category().map(|c| c.zh())));
    obj.insert("notice".into(), notice::notice(t.code).map(|n| notice_json(&n)).unwrap_or(Value::Null));
    obj.insert("site_name".into(), json!(filing.map(|f| f.site_name.clone())));
    obj.insert("subject_name".into(), json!(filing.and_then(|f| f.subject_name.clone())));
    obj.insert("domains".into(), json!(filing.map(|f| f.domains.clone()).unwrap_or_default()));
    obj.insert("history".into(), serde_json::to_value(history).unwrap_or_default());
    v
}

/// `s` padded with spaces to `width` terminal columns (CJK characters take two).
fn pad(s: &str, width: usize) -> String {
    let w: usize = s.chars().map(|c| if c >= '\u{2e80}' { 2 } else { 1 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn render_list(tickets: &[Ticket]) -> String {
    if tickets.is_empty() {
        return "no tickets\n".into();
    }
    let mut s = format!("{:>5}  {:<10}  {:<10}  {:<22}  {:<26}  {}\n", "ID", "STATE", "DEADLINE", "CODE", "SITE", "NOTES");
    for t in tickets {
        let mut notes = Vec::new();
        if t.period > 1 {
            notes.push(format!("extended (period {})", t.period));
        }
        if let Some(a) = t.appeal_state {
            notes.push(format!("appeal {}", a.as_str()));
        }
        if t.escalation_level > 0 {
            notes.push(format!("{} escalation step(s)", t.escalation_level));
        }
        s.push_str(&format!(
            "{:>5}  {:<10}  {:<10}  {:<22}  {}  {}\n",
            t.id,
            t.state.as_str(),
            t.deadline.to_string(),
            t.code.as_str(),
            pad(&t.site_number, 26),
            notes.join(", ")
        ));
    }
    s
}

fn render_show(t: &Ticket, history: &[HistoryEntry], filing: Option<&crate::filing::Filing>) -> String {
    let local = |x: chrono::DateTime<chrono::Utc>| x.with_timezone(&clock::shanghai()).format("%Y-%m-%d %H:%M").to_string();
    let mut s = format!("ticket #{}  {}  {}\n", t.id, t.code, t.state);
    let n = notice::notice(t.code);
    s.push_str(&format!(
        "  site        {} {}\n",
        t.site_number,
        filing.map(|f| format!("{} ({})", term(&f.site_name), f.domains.join(", "))).unwrap_or_default()
    ));
    s.push_str(&format!(
        "  subject     {} {}\n",
        t.subject_number,
        filing.and_then(|f| f.subject_name.as_deref()).map(term).unwrap_or_default()
    ));
    if let Some(n) = &n {
        s.push_str(&format!("  problem     {}（{}）\n", n.title, n.category.zh()));
    }
    s.push_str(&format!(
        "  deadline    {} ({} since {}; notice of {})\n",
        t.deadline,
        if t.period > 1 { format!("period {}, extended", t.period) } else { "period 1".into() },
        t.period_start,
        t.notice_date
    ));
    s.push_str(&format!(
        "  appeal      {}\n",
        match (t.appeal_state, t.appeal_period) {
            (Some(a), Some(p)) => format!("{} (filed in period {p})", a.as_str()),
            _ => "none".into(),
        }
    ));
    s.push_str(&format!("  escalation  {} step(s) recommended\n", t.escalation_level));
    s.push_str(&format!("  seen        {} … {}\n", local(t.first_seen_at), local(t.last_seen_at)));
    if let Some(n) = &n {
        s.push_str(&format!("  notice      {}\n  cause       {}\n  fix         {}\n", n.text, n.cause, n.fix));
        if let Some(b) = n.basis {
            s.push_str(&format!("  basis       {}\n", b.articles));
        }
    }
    s.push_str("  evidence\n");
    for d in &t.evidence.domains {
        s.push_str(&format!("    {}\n", term(&d.domain)));
        if !d.ips.is_empty() {
            s.push_str(&format!(
                "      addresses  {}\n",
                d.ips.iter().map(|i| format!("{} ({})", i.ip, i.class)).collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(st) = d.http_status {
            s.push_str(&format!("      http       {st} {}\n", d.final_url.as_deref().map(term).unwrap_or_default()));
        }
        if let Some(title) = &d.title {
            s.push_str(&format!("      title      {}\n", term(title)));
        }
        for num in &d.icp_numbers {
            s.push_str(&format!(
                "      number     {}{}\n",
                term(&num.text),
                match (&num.href, num.linked) {
                    (Some(h), true) => format!(" → {}", term(h)),
                    (Some(h), false) => format!(" (link {} does not count)", term(h)),
                    (None, _) => " (not linked)".into(),
                }
            ));
        }
        if let Some(x) = &d.excerpt {
            s.push_str(&format!("      footer     {}\n", term(x)));
        }
        for f in &d.http_failures {
            s.push_str(&format!("      tried      {}\n", term(f)));
        }
        for f in &d.findings {
            s.push_str(&format!("      finding    {}\n", term(&f.detail)));
        }
    }
    s.push_str("  history\n");
    for h in history {
        s.push_str(&format!(
            "    {}  {:<10} {:<24} {:>8} → {:<10} {}\n",
            local(h.at),
            term(&h.actor),
            h.action.as_str(),
            h.from_state.map(State::as_str).unwrap_or("-"),
            h.to_state.as_str(),
            term(&h.reason)
        ));
    }
    s
}

/// Runs a `tickets` command.
pub async fn run(cfg: &Config, args: TicketsArgs) -> Result<ExitCode> {
    let store = Store::open(&cfg.database.url, cfg.database.max_connections).await?;
    let result = dispatch(cfg, &store, args).await;
    store.close().await;
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => match e.downcast::<Refusal>() {
            Ok(refusal) => {
                eprintln!("beiand: refused: {refusal}");
                Ok(ExitCode::from(REFUSED))
            }
            Err(e) => Err(e),
        },
    }
}

async fn load(store: &Store, id: i64) -> Result<Ticket> {
    store.ticket(id).await?.with_context(|| format!("no ticket #{id}"))
}

async fn dispatch(cfg: &Config, store: &Store, args: TicketsArgs) -> Result<()> {
    let now = clock::now();
    super::sweep(store, cfg, now).await?;
    let (id, action, json_out) = match args.command {
        TicketsCommand::List { state, code, subject, site, overdue, json } => {
            let filter = TicketFilter {
                states: if overdue { vec![State::Overdue] } else { state.into_iter().collect() },
                code,
                subject_number: subject.as_deref().map(subject_of),
                site_number: site.map(|s| s.trim().to_string()),
            };
            let tickets = store.tickets(&filter).await?;
            if json {
                let list: Vec<Value> = tickets.iter().map(summary_json).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print!("{}", render_list(&tickets));
            }
            return Ok(());
        }
        TicketsCommand::Show { id, json } => {
            let t = load(store, id).await?;
            let history = store.ticket_history(id).await?;
            let filing = store.filing(&t.site_number).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&detail_json(&t, &history, filing.as_ref()))?);
            } else {
                print!("{}", render_show(&t, &history, filing.as_ref()));
            }
            return Ok(());
        }
        TicketsCommand::Extend { id, until, refuse, reason, json } => (id, OperatorAction::Extend { until, refuse, reason }, json),
        TicketsCommand::Appeal { id, reason, outcome, json } => (id, OperatorAction::Appeal { reason, outcome }, json),
        TicketsCommand::Close { id, reason, json } => (id, OperatorAction::Close { reason }, json),
    };
    let actor = operator(args.actor)?;
    let change = match actions::perform(store, cfg, id, &actor, action, now).await {
        Ok(c) => c,
        Err(ActionError::Refused(r)) => return Err(r.into()),
        Err(e) => return Err(e.into()),
    };
    report_change(store, change, json_out).await
}

async fn report_change(store: &Store, c: Change, json: bool) -> Result<()> {
    let id = c.ticket.id;
    if json {
        let history = store.ticket_history(id).await?;
        let filing = store.filing(&c.ticket.site_number).await?;
        println!("{}", serde_json::to_string_pretty(&detail_json(&c.ticket, &history, filing.as_ref()))?);
    } else {
        let what = match &c.entry.detail {
            Some(d) if d.get("to").is_some() => format!(
                "deadline {} → {} (period {})",
                d["from"].as_str().unwrap_or("?"),
                d["to"].as_str().unwrap_or("?"),
                c.ticket.period
            ),
            Some(d) if d.get("escalation_suspended_until").is_some() => format!(
                "escalation suspended until {}",
                d["escalation_suspended_until"].as_str().unwrap_or("?")
            ),
            _ => format!("state {}", c.ticket.state),
        };
        println!("ticket #{id}: {} by {}: {what}", c.entry.action.as_str(), term(&c.entry.actor));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_filter_accepts_a_website_number() {
        assert_eq!(subject_of("京ICP备12345678号-3"), "京ICP备12345678号");
        assert_eq!(subject_of(" 京ICP备12345678号 "), "京ICP备12345678号");
        assert_eq!(subject_of("a-b"), "a-b");
    }

    #[test]
    fn terminal_output_neutralises_escape_sequences() {
        assert_eq!(term("ok\u{1b}[31mred"), "ok?[31mred");
    }

    #[test]
    fn padding_counts_cjk_as_two_columns() {
        assert_eq!(pad("京ICP备1号-1", 14), "京ICP备1号-1  ", "12 columns wide");
        assert_eq!(pad("abc", 2), "abc");
    }

    #[test]
    fn codes_and_states_parse_for_filters() {
        assert_eq!(parse_code("page.number_missing"), Ok(Code::PageNumberMissing));
        assert!(parse_code("scan.inconclusive").unwrap_err().contains("never opens"));
        assert!(parse_code("nope").is_err());
        assert_eq!(parse_state("overdue"), Ok(State::Overdue));
        assert!(parse_state("pending").is_err());
    }

    #[test]
    fn operator_name_comes_from_the_flag_first() {
        assert_eq!(operator(Some("alice".into())), Ok("alice".into()));
        assert!(operator(Some("  ".into())).is_err());
    }
}
