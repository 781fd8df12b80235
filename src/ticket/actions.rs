//! An operator's actions on a ticket — extend, appeal, close — shared by `beiand tickets` and
//! the admin API: load the ticket, run the pure transition, store it with its history entry.

use super::calendar::Calendar;
use super::lifecycle::{self, Change};
use super::{shanghai_date, Refusal};
use crate::config::Config;
use crate::store::Store;
use chrono::{DateTime, NaiveDate, Utc};

/// The decision on a pending appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealOutcome {
    /// The appeal is upheld: a recommended restriction is lifted for the grace period; the ticket stays open.
    Upheld,
    /// The appeal is rejected; nothing else changes.
    Rejected,
}

/// What the operator does.
#[derive(Debug, Clone)]
pub enum OperatorAction {
    /// Grant an extension to `until`, or with `refuse` record a refused request (for `until`, if given).
    Extend { until: Option<NaiveDate>, refuse: bool, reason: String },
    /// File the customer's appeal, or with `outcome` decide the pending one.
    Appeal { reason: String, outcome: Option<AppealOutcome> },
    Close { reason: String },
}

/// Why an action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no ticket #{0}")]
    NotFound(i64),
    /// The lifecycle forbids it (a second appeal in one period, extending a closed ticket…).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// Someone else changed the ticket between our read and our write.
    #[error("ticket #{0} was changed by someone else meanwhile; look at it again and retry")]
    Conflict(i64),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Applies an operator's action to ticket `id` and stores it; returns the stored change.
pub async fn perform(store: &Store, cfg: &Config, id: i64, actor: &str, action: OperatorAction, now: DateTime<Utc>) -> Result<Change, ActionError> {
    let actor = actor.trim();
    if actor.is_empty() {
        return Err(Refusal("an operator name is required for the history".into()).into());
    }
    // The history tells beiand's own actions from people's by this name.
    if actor.eq_ignore_ascii_case(super::SCANNER) {
        return Err(Refusal(format!("the operator name {:?} is kept for beiand's own actions", super::SCANNER)).into());
    }
    let today = shanghai_date(now);
    let t = store.ticket(id).await?.ok_or(ActionError::NotFound(id))?;
    let change = match action {
        OperatorAction::Extend { until, refuse: true, reason } => lifecycle::refuse_extension(&t, until, &reason, actor, now)?,
        OperatorAction::Extend { until: Some(until), refuse: false, reason } => lifecycle::extend(&t, until, &reason, actor, today, now)?,
        OperatorAction::Extend { until: None, refuse: false, .. } => {
            return Err(Refusal("a new deadline (until, YYYY-MM-DD) is required to grant an extension".into()).into())
        }
        OperatorAction::Appeal { reason, outcome: None } => lifecycle::appeal(&t, &reason, actor, now)?,
        OperatorAction::Appeal { reason, outcome: Some(o) } => {
            let cal = Calendar::from_config(&cfg.tickets);
            lifecycle::decide_appeal(&t, o == AppealOutcome::Upheld, &reason, actor, &cal, cfg.tickets.appeal_grace_days, today, now)?
        }
        OperatorAction::Close { reason } => lifecycle::close(&t, &reason, actor, now)?,
    };
    if !store.apply_changes(std::slice::from_ref(&change)).await? {
        return Err(ActionError::Conflict(id));
    }
    Ok(change)
}
