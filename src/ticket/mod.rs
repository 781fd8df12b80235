//! Rectification tickets (整改工单): one per (filing, finding code) while the problem lasts.
//!
//! The flow, from the edges in:
//! - [`observe`] reads stored scan results as per-site observations and decides when a problem is
//!   confirmed present or confirmed gone (pure);
//! - [`lifecycle`] is the state machine: every transition (open, overdue, escalation, extension,
//!   appeal, close, resolve, supersede) is a pure function returning the new ticket and the
//!   history entry that records it, or a [`Refusal`] saying why not;
//! - [`engine`] applies a finished scan run and the passage of time to the stored tickets;
//! - [`calendar`] counts China's working days, [`notice`] holds the Chinese notice texts,
//!   [`evidence`] extracts what a ticket shows from a check's evidence;
//! - [`actions`] are the operator's extend, appeal and close; [`cli`] is `beiand tickets …`.
//!
//! Storage is in `store::tickets`; each transition is written with its history entry in one
//! transaction, guarded by the ticket's version so concurrent writers cannot lose a change.

pub mod actions;
pub mod calendar;
pub mod cli;
pub mod engine;
pub mod evidence;
pub mod lifecycle;
pub mod notice;
pub mod observe;

pub use engine::{apply_run, sweep, Outcome};

use crate::finding::Code;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::fmt;

/// The actor recorded for automatic transitions.
pub const SCANNER: &str = "scanner";

/// Where a ticket stands (design §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Notice sent, within its deadline.
    Open,
    /// Past its deadline and not fixed.
    Overdue,
    /// A re-check found the problem gone for the confirmation window.
    Resolved,
    /// Closed by an operator, with a reason.
    Closed,
    /// The filing was cancelled, deregistered or removed: the ticket no longer applies.
    Superseded,
}

impl State {
    pub const ALL: [State; 5] = [State::Open, State::Overdue, State::Resolved, State::Closed, State::Superseded];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Overdue => "overdue",
            State::Resolved => "resolved",
            State::Closed => "closed",
            State::Superseded => "superseded",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            State::Open => "整改中",
            State::Overdue => "已逾期",
            State::Resolved => "已整改",
            State::Closed => "已关闭",
            State::Superseded => "已失效",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Open or overdue: the problem is still being worked on.
    pub fn is_active(self) -> bool {
        matches!(self, State::Open | State::Overdue)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The customer's appeal (申诉) in the current or an earlier rectification period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealState {
    Pending,
    /// Upheld: the restriction is lifted for a grace period; the ticket stays open.
    Upheld,
    Rejected,
}

impl AppealState {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealState::Pending => "pending",
            AppealState::Upheld => "upheld",
            AppealState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<AppealState> {
        [AppealState::Pending, AppealState::Upheld, AppealState::Rejected].into_iter().find(|a| a.as_str() == s)
    }
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Opened,
    Overdue,
    EscalationRecommended,
    ExtensionGranted,
    ExtensionRefused,
    AppealFiled,
    AppealUpheld,
    AppealRejected,
    Resolved,
    Closed,
    Superseded,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Opened,
        Action::Overdue,
        Action::EscalationRecommended,
        Action::ExtensionGranted,
        Action::ExtensionRefused,
        Action::AppealFiled,
        Action::AppealUpheld,
        Action::AppealRejected,
        Action::Resolved,
        Action::Closed,
        Action::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Opened => "opened",
            Action::Overdue => "overdue",
            Action::EscalationRecommended => "escalation_recommended",
            Action::ExtensionGranted => "extension_granted",
            Action::ExtensionRefused => "extension_refused",
            Action::AppealFiled => "appeal_filed",
            Action::AppealUpheld => "appeal_upheld",
            Action::AppealRejected => "appeal_rejected",
            Action::Resolved => "resolved",
            Action::Closed => "closed",
            Action::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One rectification ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub site_number: String,
    pub subject_number: String,
    pub code: Code,
    pub state: State,
    #[serde(serialize_with = "ser_stamp")]
    pub opened_at: DateTime<Utc>,
    /// The date of the notice (Asia/Shanghai): deadlines count working days after it.
    pub notice_date: NaiveDate,
    /// The last day to fix (Asia/Shanghai), inclusive.
    pub deadline: NaiveDate,
    /// The rectification period: 1 from the notice, +1 for each granted extension.
    pub period: i64,
    pub period_start: NaiveDate,
    /// The period in which the latest appeal was filed, and how it stands.
    pub appeal_period: Option<i64>,
    pub appeal_state: Option<AppealState>,
    /// How many of the configured escalation steps have been recommended.
    pub escalation_level: i64,
    /// When set, escalation steps count from this date instead of the deadline (after an upheld
    /// appeal lifted a restriction).
    pub escalation_from: Option<NaiveDate>,
    #[serde(serialize_with = "ser_stamp")]
    pub first_seen_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_stamp")]
    pub last_seen_at: DateTime<Utc>,
    pub evidence: evidence::TicketEvidence,
    #[serde(serialize_with = "ser_opt_stamp")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_stamp")]
    pub updated_at: DateTime<Utc>,
    /// Bumped by every stored change; a change is stored only over the version it was made from.
    #[serde(skip)]
    pub version: i64,
}

/// One recorded transition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    #[serde(serialize_with = "ser_stamp")]
    pub at: DateTime<Utc>,
    /// `scanner`, or the operator's name.
    pub actor: String,
    pub action: Action,
    pub from_state: Option<State>,
    pub to_state: State,
    pub reason: String,
    /// Facts of the change, e.g. `{"from":"2026-10-09","to":"2026-10-16"}` for an extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// Why an operator action was refused: shown to the operator, exit status non-zero.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn ser_stamp<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::clock::stamp(*t))
}

fn ser_opt_stamp<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::clock::stamp(*t)),
        None => s.serialize_none(),
    }
}

/// The date in Asia/Shanghai of an instant.
pub fn shanghai_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&crate::clock::shanghai()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(AppealState::parse("upheld"), Some(AppealState::Upheld));
        assert_eq!(State::parse("pending"), None);
        assert!(State::Overdue.is_active() && !State::Resolved.is_active());
    }

    #[test]
    fn shanghai_date_crosses_midnight_at_16_utc() {
        let t = crate::clock::parse_stamp("2026-09-30T16:30:00Z").unwrap();
        assert_eq!(shanghai_date(t), NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
    }
}
