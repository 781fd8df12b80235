//! The ticket state machine, as pure functions: each takes a ticket and returns the changed
//! ticket with the history entry that records the change ([`Change`]), or a [`Refusal`].
//!
//! ```text
//!            ┌──── extension granted (new deadline, new period) ────┐
//!            v                                                      │
//! (confirmed) open ── deadline passed ──> overdue ── escalation steps recommended
//!            │                              │
//!            ├── re-check passed ──> resolved <─┤
//!            ├── operator ─────────> closed  <──┤
//!            └── filing cancelled ─> superseded <┘
//! ```
//! Extension refused and appeals (filed / upheld / rejected) are recorded without changing the
//! state. A *rectification period* starts with the notice and again with each granted
//! extension; the customer may appeal once per period. An upheld appeal lifts the recommended
//! restriction: escalation starts over, counted from the end of a grace period of
//! `tickets.appeal_grace_days` working days (or from the deadline, if later) — access is
//! restored only temporarily, the ticket stays open until the problem is fixed. While an appeal
//! is pending, no further escalation step is recommended.

use super::calendar::Calendar;
use super::evidence::TicketEvidence;
use super::observe::Streak;
use super::{shanghai_date, Action, AppealState, HistoryEntry, Refusal, State, Ticket, SCANNER};
use crate::config::EscalationStep;
use crate::finding::Code;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

/// A changed ticket and the history entry recording the change. `ticket.version` is one more
/// than the version the change was made from; storage applies it only over that version.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub ticket: Ticket,
    pub entry: HistoryEntry,
}

impl Change {
    /// The stored version this change must be applied over.
    pub fn base_version(&self) -> i64 {
        self.ticket.version - 1
    }
}

fn transition(
    t: &Ticket,
    to: State,
    action: Action,
    actor: &str,
    reason: String,
    detail: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Change {
    let mut ticket = t.clone();
    ticket.state = to;
    ticket.updated_at = now;
    ticket.version = t.version + 1;
    if !to.is_active() && t.state.is_active() {
        ticket.closed_at = Some(now);
    }
    let entry = HistoryEntry { at: now, actor: actor.to_string(), action, from_state: Some(t.state), to_state: to, reason, detail };
    Change { ticket, entry }
}

fn require_active(t: &Ticket, what: &str) -> Result<(), Refusal> {
    if t.state.is_active() {
        return Ok(());
    }
    let since = t.closed_at.map(|c| format!(" since {}", shanghai_date(c))).unwrap_or_default();
    Err(Refusal(format!(
        "ticket #{} is {}{since}: only open or overdue tickets can be {what}",
        t.id, t.state
    )))
}

fn require_reason(reason: &str) -> Result<String, Refusal> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Refusal("a reason is required (--reason TEXT)".into()));
    }
    Ok(r.to_string())
}

/// A new ticket for a confirmed problem, with its deadline in working days after today's notice.
#[allow(clippy::too_many_arguments)]
pub fn open(
    site_number: &str,
    subject_number: &str,
    code: Code,
    evidence: TicketEvidence,
    streak: &Streak,
    deadline_days: u32,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> (Ticket, HistoryEntry) {
    let notice_date = shanghai_date(now);
    let deadline = cal.add_working_days(notice_date, deadline_days);
    let ticket = Ticket {
        id: 0,
        site_number: site_number.to_string(),
        subject_number: subject_number.to_string(),
        code,
        state: State::Open,
        opened_at: now,
        notice_date,
        deadline,
        period: 1,
        period_start: notice_date,
        appeal_period: None,
        appeal_state: None,
        escalation_level: 0,
        escalation_from: None,
        first_seen_at: streak.first_at,
        last_seen_at: streak.last_at,
        evidence,
        closed_at: None,
        updated_at: now,
        version: 1,
    };
    let entry = HistoryEntry {
        at: now,
        actor: SCANNER.into(),
        action: Action::Opened,
        from_state: None,
        to_state: State::Open,
        reason: format!(
            "{code} seen in {}; deadline {deadline}, {deadline_days} working days after the notice of {notice_date}",
            streak.describe()
        ),
        detail: Some(json!({
            "deadline": deadline.to_string(),
            "working_days": deadline_days,
            "first_run": streak.first_run,
            "last_run": streak.last_run,
            "checks": streak.count,
        })),
    };
    (ticket, entry)
}

/// The problem was absent for the confirmation window: resolved by the scanner.
pub fn resolve(t: &Ticket, streak: &Streak, now: DateTime<Utc>) -> Result<Change, Refusal> {
    require_active(t, "resolved")?;
    Ok(transition(
        t,
        State::Resolved,
        Action::Resolved,
        SCANNER,
        format!("re-check passed: {} absent in {}", t.code, streak.describe()),
        Some(json!({"first_run": streak.first_run, "last_run": streak.last_run, "checks": streak.count})),
        now,
    ))
}

/// The filing no longer exists at this provider in a form the ticket applies to.
pub fn supersede(t: &Ticket, why: &str, now: DateTime<Utc>) -> Result<Change, Refusal> {
    require_active(t, "superseded")?;
    Ok(transition(t, State::Superseded, Action::Superseded, SCANNER, why.to_string(), None, now))
}

/// Time-driven changes due on `today`: open → overdue once the deadline has passed, then each
/// escalation step whose time has come, in order (possibly several at once), once the problem
/// has been seen on or after the step's day, and not while an appeal is pending.
pub fn advance(t: &Ticket, cal: &Calendar, steps: &[EscalationStep], today: NaiveDate, now: DateTime<Utc>) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut cur = t.clone();
    if cur.state == State::Open && today > cur.deadline {
        let c = transition(
            &cur,
            State::Overdue,
            Action::Overdue,
            SCANNER,
            format!("deadline {} passed without a passing re-check", cur.deadline),
            Some(json!({"deadline": cur.deadline.to_string()})),
            now,
        );
        cur = c.ticket.clone();
        changes.push(c);
    }
    // While an appeal is pending no further step is recommended: the officer decides it first.
    // Upheld, escalation starts over after the grace period; rejected, the steps due by then
    // are recommended at the next sweep, counted from the deadline as if no appeal had been.
    if cur.state != State::Overdue || cur.appeal_state == Some(AppealState::Pending) {
        return changes;
    }
    let base = cur.escalation_from.map_or(cur.deadline, |f| f.max(cur.deadline));
    // Each step needs the problem seen, by a conclusive check, after the deadline (or the appeal's
    // grace period) and no earlier than the step's own day: without such a sighting — our
    // resolver down, our network broken, the site not checked since — nothing shows the customer
    // did not fix it in time, and a sighting from before an earlier step says nothing of a later one.
    let seen = shanghai_date(cur.last_seen_at);
    if today <= base || seen <= base {
        return changes;
    }
    let late = cal.working_days_between(base, today);
    let late_when_seen = cal.working_days_between(base, seen);
    while let Some(step) = usize::try_from(cur.escalation_level).ok().and_then(|l| steps.get(l)) {
        if late < step.after_days || late_when_seen < step.after_days {
            break;
        }
        let mut c = transition(
            &cur,
            State::Overdue,
            Action::EscalationRecommended,
            SCANNER,
            format!(
                "recommend {} ({}): {} working day(s) past {} {}; beiand does not act on the customer's service",
                step.step.as_str(),
                step.step.zh(),
                late,
                if cur.escalation_from.is_some() { "the appeal grace period ending" } else { "the deadline" },
                base
            ),
            Some(json!({"step": step.step.as_str(), "after_days": step.after_days, "counted_from": base.to_string()})),
            now,
        );
        c.ticket.escalation_level += 1;
        cur = c.ticket.clone();
        changes.push(c);
    }
    changes
}

/// The operator grants an extension: a new deadline and a new rectification period.
pub fn extend(t: &Ticket, until: NaiveDate, reason: &str, actor: &str, today: NaiveDate, now: DateTime<Utc>) -> Result<Change, Refusal> {
    require_active(t, "extended")?;
    let reason = require_reason(reason)?;
    if until <= t.deadline {
        return Err(Refusal(format!(
            "ticket #{}: the new deadline {until} must be later than the current deadline {}",
            t.id, t.deadline
        )));
    }
    if until < today {
        return Err(Refusal(format!("ticket #{}: the new deadline {until} is already past (today is {today})", t.id)));
    }
    let mut c = transition(
        t,
        State::Open,
        Action::ExtensionGranted,
        actor,
        reason,
        Some(json!({"from": t.deadline.to_string(), "to": until.to_string(), "period": t.period + 1})),
        now,
    );
    c.ticket.deadline = until;
    c.ticket.period = t.period + 1;
    c.ticket.period_start = today;
    c.ticket.escalation_level = 0;
    c.ticket.escalation_from = None;
    Ok(c)
}

/// The operator refuses a requested extension; the deadline stands.
pub fn refuse_extension(t: &Ticket, requested: Option<NaiveDate>, reason: &str, actor: &str, now: DateTime<Utc>) -> Result<Change, Refusal> {
    require_active(t, "given an extension decision")?;
    let reason = require_reason(reason)?;
    let detail = json!({"deadline": t.deadline.to_string(), "requested": requested.map(|d| d.to_string())});
    Ok(transition(t, t.state, Action::ExtensionRefused, actor, reason, Some(detail), now))
}

/// The customer appeals; at most once per rectification period.
pub fn appeal(t: &Ticket, reason: &str, actor: &str, now: DateTime<Utc>) -> Result<Change, Refusal> {
    require_active(t, "appealed")?;
    let reason = require_reason(reason)?;
    if t.appeal_period == Some(t.period) {
        let how = t.appeal_state.map(AppealState::as_str).unwrap_or("pending");
        return Err(Refusal(format!(
            "ticket #{}: an appeal was already filed in this rectification period (period {}, since {}; that appeal is {how}). \
             One appeal is allowed per period; a new period starts when an extension is granted",
            t.id, t.period, t.period_start
        )));
    }
    let mut c = transition(t, t.state, Action::AppealFiled, actor, reason, Some(json!({"period": t.period})), now);
    c.ticket.appeal_period = Some(t.period);
    c.ticket.appeal_state = Some(AppealState::Pending);
    Ok(c)
}

/// The outcome of the pending appeal. Upheld: the restriction is lifted and escalation starts
/// over after `grace_days` working days; the ticket stays open. Rejected: nothing else changes.
#[allow(clippy::too_many_arguments)]
pub fn decide_appeal(
    t: &Ticket,
    upheld: bool,
    reason: &str,
    actor: &str,
    cal: &Calendar,
    grace_days: u32,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Change, Refusal> {
    require_active(t, "given an appeal decision")?;
    let reason = require_reason(reason)?;
    if t.appeal_state != Some(AppealState::Pending) {
        return Err(Refusal(format!(
            "ticket #{}: there is no pending appeal to decide{}",
            t.id,
            t.appeal_state.map(|a| format!(" (the latest appeal is {})", a.as_str())).unwrap_or_default()
        )));
    }
    if upheld {
        let until = cal.add_working_days(today, grace_days).max(t.deadline);
        let mut c = transition(
            t,
            t.state,
            Action::AppealUpheld,
            actor,
            reason,
            Some(json!({"escalation_suspended_until": until.to_string(), "steps_withdrawn": t.escalation_level})),
            now,
        );
        c.ticket.appeal_state = Some(AppealState::Upheld);
        c.ticket.escalation_level = 0;
        c.ticket.escalation_from = Some(until);
        Ok(c)
    } else {
        let mut c = transition(t, t.state, Action::AppealRejected, actor, reason, None, now);
        c.ticket.appeal_state = Some(AppealState::Rejected);
        Ok(c)
    }
}

/// The operator closes the ticket.
pub fn close(t: &Ticket, reason: &str, actor: &str, now: DateTime<Utc>) -> Result<Change, Refusal> {
    require_active(t, "closed")?;
    let reason = require_reason(reason)?;
    Ok(transition(t, State::Closed, Action::Closed, actor, reason, None, now))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::EscalationAction;
    use crate::ticket::observe::Seen;

    pub(crate) fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub(crate) fn streak(first: &str, last: &str) -> Streak {
        Streak { seen: Seen::Present, count: 2, first_run: 1, last_run: 2, first_at: at(first), last_at: at(last) }
    }

    fn steps() -> Vec<EscalationStep> {
        vec![
            EscalationStep { after_days: 0, step: EscalationAction::RestrictAccess },
            EscalationStep { after_days: 5, step: EscalationAction::CancelAccess },
        ]
    }

    fn opened() -> Ticket {
        let cal = Calendar::new(&[], &[]);
        let (mut t, e) = open(
            "京ICP备2024012345号-1",
            "京ICP备2024012345号",
            Code::PageNumberMissing,
            TicketEvidence::default(),
            &streak("2026-09-17T10:00:00+08:00", "2026-09-18T10:00:00+08:00"),
            10,
            &cal,
            at("2026-09-18T10:00:00+08:00"),
        );
        assert_eq!(e.action, Action::Opened);
        assert!(e.reason.contains("deadline 2026-10-09"), "{}", e.reason);
        t.id = 7;
        t
    }

    #[test]
    fn a_new_ticket_has_a_working_day_deadline_across_national_day() {
        let t = opened();
        assert_eq!(t.notice_date, d("2026-09-18"));
        assert_eq!(t.deadline, d("2026-10-09"));
        assert_eq!((t.state, t.period, t.version), (State::Open, 1, 1));
    }

    #[test]
    fn overdue_the_day_after_the_deadline_then_escalation_steps_in_working_days() {
        let cal = Calendar::new(&[], &[]);
        let mut t = opened();
        assert!(advance(&t, &cal, &steps(), d("2026-10-09"), at("2026-10-09T23:00:00+08:00")).is_empty());
        // Not seen since the notice (the scanner failed, or nothing checked the site): overdue,
        // but no restriction is recommended on the customer's service.
        let ch = advance(&t, &cal, &steps(), d("2026-11-30"), at("2026-11-30T09:00:00+08:00"));
        assert_eq!(ch.iter().map(|c| c.entry.action).collect::<Vec<_>>(), vec![Action::Overdue]);
        // Seen on the deadline day itself: still not after the deadline.
        t.last_seen_at = at("2026-10-09T23:30:00+08:00");
        assert_eq!(advance(&t, &cal, &steps(), d("2026-10-10"), at("2026-10-10T09:00:00+08:00")).len(), 1);
        // Saturday 10/10 is a make-up working day: seen still there that morning, overdue, and the
        // restriction is recommended.
        t.last_seen_at = at("2026-10-10T02:00:00+08:00");
        let ch = advance(&t, &cal, &steps(), d("2026-10-10"), at("2026-10-10T09:00:00+08:00"));
        assert_eq!(ch.iter().map(|c| c.entry.action).collect::<Vec<_>>(), vec![Action::Overdue, Action::EscalationRecommended]);
        let last = &ch.last().unwrap().ticket;
        assert_eq!((last.state, last.escalation_level, last.version), (State::Overdue, 1, 3));
        assert_eq!(ch[1].entry.actor, SCANNER);
        assert!(ch[1].entry.reason.contains("restrict_access"));
        // Cancel access on the 5th working day after the deadline: 10/10, 12, 13, 14, 15; not
        // while the newest sighting is the one that led to the restriction (our checks failing
        // since, say), only once a check that day or later still sees the problem.
        let mut last = last.clone();
        assert!(advance(&last, &cal, &steps(), d("2026-10-15"), at("2026-10-15T09:00:00+08:00")).is_empty());
        last.last_seen_at = at("2026-10-14T20:00:00+08:00");
        assert!(advance(&last, &cal, &steps(), d("2026-10-15"), at("2026-10-15T09:00:00+08:00")).is_empty());
        last.last_seen_at = at("2026-10-15T08:00:00+08:00");
        assert!(advance(&last, &cal, &steps(), d("2026-10-14"), at("2026-10-14T09:00:00+08:00")).is_empty());
        let ch = advance(&last, &cal, &steps(), d("2026-10-15"), at("2026-10-15T09:00:00+08:00"));
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].entry.detail.as_ref().unwrap()["step"], "cancel_access");
        assert!(advance(&ch[0].ticket, &cal, &steps(), d("2026-12-01"), at("2026-12-01T09:00:00+08:00")).is_empty());
        // Long overdue at once: the steps the newest sighting reaches, in one go.
        assert_eq!(advance(&t, &cal, &steps(), d("2026-11-30"), at("2026-11-30T09:00:00+08:00")).len(), 2);
        t.last_seen_at = at("2026-11-30T08:00:00+08:00");
        assert_eq!(advance(&t, &cal, &steps(), d("2026-11-30"), at("2026-11-30T09:00:00+08:00")).len(), 3);
    }

    #[test]
    fn extension_moves_the_deadline_and_starts_a_period_and_is_refused_when_closed() {
        let now = at("2026-10-12T09:00:00+08:00");
        let t = opened();
        let err = extend(&t, d("2026-10-09"), "more time", "alice", d("2026-10-12"), now).unwrap_err();
        assert!(err.0.contains("later than the current deadline"), "{err}");
        let err = extend(&t, d("2026-10-20"), "  ", "alice", d("2026-10-12"), now).unwrap_err();
        assert!(err.0.contains("reason is required"));
        let c = extend(&t, d("2026-10-20"), "waiting for the designer", "alice", d("2026-10-12"), now).unwrap();
        assert_eq!((c.ticket.deadline, c.ticket.period, c.ticket.period_start), (d("2026-10-20"), 2, d("2026-10-12")));
        assert_eq!((c.entry.action, c.entry.actor.as_str()), (Action::ExtensionGranted, "alice"));
        assert_eq!(c.entry.detail.as_ref().unwrap()["from"], "2026-10-09");
        let closed = close(&c.ticket, "customer left", "bob", now).unwrap().ticket;
        assert_eq!(closed.closed_at, Some(now));
        let err = extend(&closed, d("2026-11-20"), "x", "alice", d("2026-10-12"), now).unwrap_err();
        assert!(err.0.contains("ticket #7 is closed since 2026-10-12") && err.0.contains("can be extended"), "{err}");
        let refused = refuse_extension(&t, Some(d("2026-12-31")), "too long", "alice", now).unwrap();
        assert_eq!((refused.ticket.state, refused.ticket.deadline), (State::Open, t.deadline));
        assert_eq!(refused.entry.action, Action::ExtensionRefused);
    }

    #[test]
    fn an_overdue_ticket_extended_is_open_again_with_escalation_reset() {
        let cal = Calendar::new(&[], &[]);
        let t = opened();
        let over = advance(&t, &cal, &steps(), d("2026-10-12"), at("2026-10-12T09:00:00+08:00")).pop().unwrap().ticket;
        let c = extend(&over, d("2026-10-23"), "ok", "alice", d("2026-10-12"), at("2026-10-12T10:00:00+08:00")).unwrap();
        assert_eq!((c.ticket.state, c.ticket.escalation_level), (State::Open, 0));
        assert_eq!(c.entry.from_state, Some(State::Overdue));
    }

    #[test]
    fn no_step_is_recommended_while_an_appeal_is_pending() {
        let cal = Calendar::new(&[], &[]);
        let mut t = opened();
        t.last_seen_at = at("2026-10-20T08:00:00+08:00");
        // Filed before the deadline: overdue on time, but neither step while it is pending.
        let a = appeal(&t, "the number is in an image", "alice", at("2026-10-08T09:00:00+08:00")).unwrap().ticket;
        let ch = advance(&a, &cal, &steps(), d("2026-10-20"), at("2026-10-20T09:00:00+08:00"));
        assert_eq!(ch.iter().map(|c| c.entry.action).collect::<Vec<_>>(), vec![Action::Overdue]);
        let over = &ch[0].ticket;
        assert!(advance(over, &cal, &steps(), d("2026-10-21"), at("2026-10-21T09:00:00+08:00")).is_empty());
        // Rejected: the steps due since the deadline, at once.
        let rejected = decide_appeal(over, false, "not shown", "bob", &cal, 5, d("2026-10-21"), at("2026-10-21T10:00:00+08:00")).unwrap().ticket;
        let ch = advance(&rejected, &cal, &steps(), d("2026-10-21"), at("2026-10-21T11:00:00+08:00"));
        assert_eq!(ch.iter().map(|c| c.entry.action).collect::<Vec<_>>(), vec![Action::EscalationRecommended; 2]);
    }

    #[test]
    fn one_appeal_per_period() {
        let cal = Calendar::new(&[], &[]);
        let now = at("2026-10-12T09:00:00+08:00");
        let t = opened();
        let a = appeal(&t, "our footer is rendered by JavaScript", "alice", now).unwrap().ticket;
        assert_eq!((a.appeal_period, a.appeal_state), (Some(1), Some(AppealState::Pending)));
        let err = appeal(&a, "again", "alice", now).unwrap_err();
        assert!(err.0.contains("already filed in this rectification period"), "{err}");
        let rejected = decide_appeal(&a, false, "the number is not in the HTML", "bob", &cal, 5, d("2026-10-12"), now).unwrap().ticket;
        assert_eq!(rejected.appeal_state, Some(AppealState::Rejected));
        assert!(appeal(&rejected, "third", "alice", now).unwrap_err().0.contains("that appeal is rejected"));
        assert!(decide_appeal(&rejected, true, "x", "bob", &cal, 5, d("2026-10-12"), now).unwrap_err().0.contains("no pending appeal"));
        // A granted extension starts a new period, with a new appeal allowed.
        let ext = extend(&rejected, d("2026-10-30"), "ok", "bob", d("2026-10-12"), now).unwrap().ticket;
        assert!(appeal(&ext, "new period", "alice", now).is_ok());
    }

    #[test]
    fn an_upheld_appeal_lifts_the_restriction_for_a_grace_period_and_the_ticket_stays_overdue() {
        let cal = Calendar::new(&[], &[]);
        let mut t = opened();
        t.last_seen_at = at("2026-10-12T02:00:00+08:00");
        let over = advance(&t, &cal, &steps(), d("2026-10-12"), at("2026-10-12T09:00:00+08:00")).pop().unwrap().ticket;
        assert_eq!(over.escalation_level, 1);
        let now = at("2026-10-13T09:00:00+08:00");
        let a = appeal(&over, "restriction hurts our shop", "alice", now).unwrap().ticket;
        let up = decide_appeal(&a, true, "the fix is deployed tonight", "bob", &cal, 5, d("2026-10-13"), now).unwrap();
        assert_eq!(up.ticket.state, State::Overdue);
        assert_eq!(up.ticket.escalation_level, 0);
        assert_eq!(up.ticket.escalation_from, Some(d("2026-10-20")));
        assert_eq!(up.entry.detail.as_ref().unwrap()["escalation_suspended_until"], "2026-10-20");
        // No new restriction during the grace period; the next day it is recommended again.
        assert!(advance(&up.ticket, &cal, &steps(), d("2026-10-20"), at("2026-10-20T09:00:00+08:00")).is_empty());
        // After it, once the problem is seen again.
        assert!(advance(&up.ticket, &cal, &steps(), d("2026-10-21"), at("2026-10-21T09:00:00+08:00")).is_empty());
        let mut seen = up.ticket.clone();
        seen.last_seen_at = at("2026-10-21T02:00:00+08:00");
        let again = advance(&seen, &cal, &steps(), d("2026-10-21"), at("2026-10-21T09:00:00+08:00"));
        assert_eq!(again.len(), 1);
        assert!(again[0].entry.reason.contains("appeal grace period"));
    }

    #[test]
    fn resolve_and_supersede_only_active_tickets() {
        let now = at("2026-10-13T10:00:00+08:00");
        let t = opened();
        let s = Streak { seen: Seen::Absent, ..streak("2026-10-12T10:00:00+08:00", "2026-10-13T10:00:00+08:00") };
        let r = resolve(&t, &s, now).unwrap();
        assert_eq!((r.ticket.state, r.entry.actor.as_str()), (State::Resolved, SCANNER));
        assert!(r.entry.reason.contains("re-check passed"));
        assert!(resolve(&r.ticket, &s, now).is_err());
        assert!(supersede(&r.ticket, "filing cancelled", now).unwrap_err().0.contains("is resolved"));
        let sup = supersede(&t, "filing 京ICP备2024012345号-1 is deregistered (注销)", now).unwrap();
        assert_eq!(sup.ticket.state, State::Superseded);
        assert!(close(&sup.ticket, "x", "bob", now).unwrap_err().0.contains("can be closed"));
        assert_eq!(sup.base_version(), 1);
    }
}
