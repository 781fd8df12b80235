//! The endpoints. Parameters are validated here with messages naming the bad value; the work is
//! the store's, the ticket actions' ([`crate::ticket::actions::perform`]) and the queue's.

use super::{ApiError, ApiResult, Body, PathParam, QueryParams};
use crate::clock;
use crate::daemon::Shared;
use crate::filing::{Filing, FilingStatus};
use crate::scan::{ProbeSet, Selection};
use crate::store::queue::Enqueued;
use crate::store::tickets::TicketFilter;
use crate::store::{Run, Store};
use crate::ticket::actions::{self, ActionError, AppealOutcome, OperatorAction};
use crate::ticket::cli::{self, detail_json, summary_json};
use crate::ticket::{State as TicketState, Ticket};
use anyhow::Context;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

type Shr = State<Arc<Shared>>;

/// How long `/healthz` waits for the database before calling it unavailable.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

const RUNS_DEFAULT: i64 = 20;
const RUNS_MAX: i64 = 1000;
/// The page size of `/api/filings`, `/api/tickets` and of the results of `/api/runs/{id}` without
/// `limit`.
const PAGE_DEFAULT: i64 = 1000;
/// The largest `limit` of `/api/filings`, `/api/tickets` and of `/api/runs/{id}?results=true`: one page is read
/// into memory whole (a run's evidence is a few KB a domain).
const PAGE_MAX: i64 = 10_000;

/// Attempts at a free (profile, slot) for an API run before giving up (see [`scan`]).
const SLOT_ATTEMPTS: i64 = 100;

/// A query value, with an empty one (`?state=`) meaning absent.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn flag(name: &str, v: &Option<String>) -> ApiResult<bool> {
    match given(v) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!("{name}: expected true or false, got {other:?}"))),
    }
}

fn limit(v: &Option<String>, default: Option<i64>, max: i64) -> ApiResult<Option<i64>> {
    match given(v) {
        None => Ok(default),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::bad_request(format!("limit: expected a whole number from 1 to {max}, got {s:?}"))),
        },
    }
}

/// The `offset` of a paged list: rows skipped, 0 when absent.
fn offset(v: &Option<String>) -> ApiResult<i64> {
    match given(v) {
        None => Ok(0),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(ApiError::bad_request(format!("offset: expected a whole number, 0 or more, got {s:?}"))),
        },
    }
}

async fn sweep(shared: &Shared) -> ApiResult<()> {
    let cfg = shared.config();
    crate::ticket::sweep(&shared.store, &cfg, clock::now()).await.context("bringing tickets up to date")?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Health and metrics

pub async fn healthz(State(shared): Shr) -> Response {
    let probe = sqlx::query("SELECT 1").fetch_one(shared.store.pool());
    // The endpoint needs no token: the database's own error (which can name its user, host or
    // tables) goes to the log, and the answer says only which way it failed.
    let error = match tokio::time::timeout(HEALTH_TIMEOUT, probe).await {
        Ok(Ok(_)) => return (StatusCode::OK, Json(json!({"status": "ok", "instance": shared.instance}))).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check failed");
            "database: the query failed (the daemon's log has the error)".to_string()
        }
        Err(_) => {
            let error = format!("database: no answer within {} s", HEALTH_TIMEOUT.as_secs());
            tracing::warn!(error, "health check failed");
            error
        }
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "instance": shared.instance, "error": error}))).into_response()
}

pub async fn metrics(State(shared): Shr) -> ApiResult<Response> {
    let text = crate::metrics::render(&shared.store).await?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))], text).into_response())
}

// ---------------------------------------------------------------------------------------------
// Filings

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilingsQuery {
    status: Option<String>,
    domain: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// Filings not removed, by site number, one page of them: `limit` (default [`PAGE_DEFAULT`],
/// at most [`PAGE_MAX`]) from `offset` (default 0). `X-Total-Count` is the number matching the
/// filters before paging.
pub async fn filings(State(shared): Shr, QueryParams(q): QueryParams<FilingsQuery>) -> ApiResult<Response> {
    let status = match given(&q.status) {
        None => None,
        Some(s) => Some(FilingStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!("unknown status {s:?}: expected active, access_cancelled or deregistered"))
        })?),
    };
    let limit = limit(&q.limit, Some(PAGE_DEFAULT), PAGE_MAX)?.unwrap_or(PAGE_DEFAULT);
    let offset = offset(&q.offset)?;
    let domain = given(&q.domain).map(domain_param).transpose()?;
    let page = shared.store.filings_page(status, domain.as_deref(), limit, offset).await?;
    let mut resp = Json(page.items).into_response();
    resp.headers_mut().insert("x-total-count", HeaderValue::from(page.total));
    Ok(resp)
}

/// A `domain` parameter in the form import stores domains in (lower-case IDNA ASCII, no
/// trailing dot: `例子.中国` is `xn--fsqu00a.xn--fiqs8s`); 400 when it is not a domain name.
fn domain_param(d: &str) -> ApiResult<String> {
    crate::import::parse_domain(d).ok_or_else(|| ApiError::bad_request(format!("domain: {d:?} is not a domain name")))
}

/// One filing by website number (removed ones too), as given or normalised.
async fn find_filing(store: &Store, number: &str) -> anyhow::Result<Option<Filing>> {
    let number = number.trim();
    if let Some(f) = store.filing(number).await? {
        return Ok(Some(f));
    }
    match crate::number::parse_site_number(number) {
        Ok(n) if n.to_string() != number => store.filing(&n.to_string()).await,
        _ => Ok(None),
    }
}

pub async fn filing(State(shared): Shr, PathParam(site_number): PathParam<String>) -> ApiResult<Json<Filing>> {
    match find_filing(&shared.store, &site_number).await? {
        Some(f) => Ok(Json(f)),
        None => Err(ApiError::not_found(format!("no filing with site number {}", site_number.trim()))),
    }
}

// ---------------------------------------------------------------------------------------------
// Tickets

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketsQuery {
    state: Option<String>,
    code: Option<String>,
    subject: Option<String>,
    site: Option<String>,
    overdue: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// The filter of `beiand tickets list`, with its validation.
fn ticket_filter(q: &TicketsQuery) -> ApiResult<TicketFilter> {
    let state = given(&q.state).map(cli::parse_state).transpose().map_err(ApiError::bad_request)?;
    let code = given(&q.code).map(cli::parse_code).transpose().map_err(ApiError::bad_request)?;
    let overdue = flag("overdue", &q.overdue)?;
    if overdue && state.is_some() {
        return Err(ApiError::bad_request("give state or overdue=true, not both (overdue=true is state=overdue)"));
    }
    Ok(TicketFilter {
        states: if overdue { vec![TicketState::Overdue] } else { state.into_iter().collect() },
        code,
        subject_number: given(&q.subject).map(cli::subject_of),
        site_number: given(&q.site).map(str::to_string),
    })
}

/// The tickets matching the filters, oldest first, in the form of `tickets list --json`, one page
/// of them: `limit` (default [`PAGE_DEFAULT`], at most [`PAGE_MAX`]) from `offset` (default 0).
/// `X-Total-Count` is the number matching the filters before paging.
pub async fn tickets(State(shared): Shr, QueryParams(q): QueryParams<TicketsQuery>) -> ApiResult<Response> {
    let filter = ticket_filter(&q)?;
    let limit = limit(&q.limit, Some(PAGE_DEFAULT), PAGE_MAX)?.unwrap_or(PAGE_DEFAULT);
    let offset = offset(&q.offset)?;
    sweep(&shared).await?;
    let page = shared.store.tickets_page(&filter, limit, offset).await?;
    let mut resp = Json(page.items.iter().map(summary_json).collect::<Vec<Value>>()).into_response();
    resp.headers_mut().insert("x-total-count", HeaderValue::from(page.total));
    Ok(resp)
}

/// The form of `tickets show --json`: the ticket, its notice, the filing's names, the history.
async fn detail(store: &Store, t: &Ticket) -> ApiResult<Json<Value>> {
    let history = store.ticket_history(t.id).await?;
    let filing = store.filing(&t.site_number).await?;
    Ok(Json(detail_json(t, &history, filing.as_ref())))
}

pub async fn ticket(State(shared): Shr, PathParam(id): PathParam<i64>) -> ApiResult<Json<Value>> {
    sweep(&shared).await?;
    let t = shared.store.ticket(id).await?.ok_or_else(|| ApiError::not_found(format!("no ticket #{id}")))?;
    detail(&shared.store, &t).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// The new deadline, `YYYY-MM-DD`; with `refuse`, the date the customer asked for (optional).
    until: Option<String>,
    reason: String,
    actor: String,
    #[serde(default)]
    refuse: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealBody {
    reason: String,
    actor: String,
    outcome: Option<AppealOutcome>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    reason: String,
    actor: String,
}

/// The actor and the reason, both required and not blank.
fn who_and_why(actor: &str, reason: &str) -> ApiResult<String> {
    if reason.trim().is_empty() {
        return Err(ApiError::bad_request("reason: a reason is required for the history"));
    }
    let actor = actor.trim();
    if actor.is_empty() {
        return Err(ApiError::bad_request("actor: an operator name is required for the history"));
    }
    Ok(actor.to_string())
}

async fn act(shared: &Shared, id: i64, actor: &str, action: OperatorAction) -> ApiResult<Json<Value>> {
    sweep(shared).await?;
    let cfg = shared.config();
    match actions::perform(&shared.store, &cfg, id, actor, action, clock::now()).await {
        Ok(change) => {
            tracing::info!(ticket = id, actor, action = change.entry.action.as_str(), "ticket action by API");
            detail(&shared.store, &change.ticket).await
        }
        Err(e @ ActionError::NotFound(_)) => Err(ApiError::not_found(e.to_string())),
        Err(ActionError::Refused(r)) => Err(ApiError::conflict(r.0)),
        Err(e @ ActionError::Conflict(_)) => Err(ApiError::conflict(e.to_string())),
        Err(ActionError::Failed(e)) => Err(ApiError::internal(e)),
    }
}

pub async fn extend(State(shared): Shr, PathParam(id): PathParam<i64>, Body(b): Body<ExtendBody>) -> ApiResult<Json<Value>> {
    let actor = who_and_why(&b.actor, &b.reason)?;
    let until = match given(&b.until) {
        None => None,
        Some(s) => Some(
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| ApiError::bad_request(format!("until: expected a date YYYY-MM-DD, got {s:?} ({e})")))?,
        ),
    };
    if until.is_none() && !b.refuse {
        return Err(ApiError::bad_request("until: the new deadline (YYYY-MM-DD) is required to grant an extension"));
    }
    act(&shared, id, &actor, OperatorAction::Extend { until, refuse: b.refuse, reason: b.reason }).await
}

pub async fn appeal(State(shared): Shr, PathParam(id): PathParam<i64>, Body(b): Body<AppealBody>) -> ApiResult<Json<Value>> {
    let actor = who_and_why(&b.actor, &b.reason)?;
    act(&shared, id, &actor, OperatorAction::Appeal { reason: b.reason, outcome: b.outcome }).await
}

pub async fn close(State(shared): Shr, PathParam(id): PathParam<i64>, Body(b): Body<CloseBody>) -> ApiResult<Json<Value>> {
    let actor = who_and_why(&b.actor, &b.reason)?;
    act(&shared, id, &actor, OperatorAction::Close { reason: b.reason }).await
}

// ---------------------------------------------------------------------------------------------
// Runs

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    limit: Option<String>,
}

pub async fn runs(State(shared): Shr, QueryParams(q): QueryParams<RunsQuery>) -> ApiResult<Json<Vec<Run>>> {
    let n = limit(&q.limit, Some(RUNS_DEFAULT), RUNS_MAX)?.unwrap_or(RUNS_DEFAULT);
    Ok(Json(shared.store.runs(n).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    results: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// The run, `progress: {done, total}` of its queued targets (for a run not made through the
/// queue, such as `beiand scan`, its checked and target counts), and with `results=true` one
/// page of the stored evidence of its checked domains, by domain then site number: `limit`
/// (default [`PAGE_DEFAULT`], at most [`PAGE_MAX`]) from `offset` (default 0), with
/// `results_total`, the number of stored results of the run.
pub async fn run(State(shared): Shr, PathParam(id): PathParam<i64>, QueryParams(q): QueryParams<RunQuery>) -> ApiResult<Json<Value>> {
    let with_results = flag("results", &q.results)?;
    let limit = limit(&q.limit, Some(PAGE_DEFAULT), PAGE_MAX)?.unwrap_or(PAGE_DEFAULT);
    let offset = offset(&q.offset)?;
    if !with_results && (given(&q.limit).is_some() || given(&q.offset).is_some()) {
        return Err(ApiError::bad_request("limit and offset page the results: give results=true with them"));
    }
    let run = shared.store.run(id).await?.ok_or_else(|| ApiError::not_found(format!("no run #{id}")))?;
    let (done, total) = match shared.store.run_progress(id).await? {
        (_, 0) if run.targets > 0 => (run.checked.min(run.targets), run.targets),
        p => p,
    };
    let mut v = serde_json::to_value(&run).context("run as JSON")?;
    v["progress"] = json!({"done": done, "total": total});
    if with_results {
        let page = shared.store.run_evidence_page(id, limit, offset).await?;
        let results: Vec<Value> = page
            .items
            .into_iter()
            // Evidence is stored as JSON; should one not parse, it is shown as the text it is.
            .map(|e| serde_json::from_str(&e).unwrap_or(Value::String(e)))
            .collect();
        v["results"] = Value::Array(results);
        v["results_total"] = json!(page.total);
    }
    Ok(Json(v))
}

// ---------------------------------------------------------------------------------------------
// Scans

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanBody {
    domain: Option<String>,
    site_number: Option<String>,
}

/// Queues a check of one domain or one filing for the daemon's workers: 202 `{"run_id"}`.
pub async fn scan(State(shared): Shr, Body(b): Body<ScanBody>) -> ApiResult<Response> {
    let selection = match (given(&b.domain), given(&b.site_number)) {
        // Checked here for a 400; `select_targets` normalises it again and names both forms.
        (Some(d), None) => Selection::Domain(domain_param(d).map(|_| d.to_string())?),
        (None, Some(s)) => Selection::Site(s.to_string()),
        _ => return Err(ApiError::bad_request("give exactly one of domain or site_number")),
    };
    let now = clock::now();
    // A run is unique per (profile, slot): two API requests in the same millisecond (or under a
    // `$BEIAND_NOW` that does not move) would share one. The next free millisecond is taken.
    for k in 0..SLOT_ATTEMPTS {
        let slot = now + chrono::Duration::milliseconds(k);
        let queued = shared.enqueue(crate::config::API_PROFILE, &selection, ProbeSet::ALL, slot, chrono::Duration::zero(), false).await;
        match queued {
            Ok(Enqueued::Created(run_id)) => {
                tracing::info!(run_id, ?selection, "scan queued by API");
                let mut resp = (StatusCode::ACCEPTED, Json(json!({"run_id": run_id}))).into_response();
                if let Ok(loc) = HeaderValue::from_str(&format!("/api/runs/{run_id}")) {
                    resp.headers_mut().insert(header::LOCATION, loc);
                }
                return Ok(resp);
            }
            Ok(Enqueued::Exists(_)) => continue,
            Ok(Enqueued::Busy(run_id) | Enqueued::BusySkipped(run_id)) => return Err(ApiError::conflict(format!("run #{run_id} of profile api is still going"))),
            // `select_targets` found nothing to check: its message names what was asked for.
            Err(e) if e.to_string().starts_with("no filing ") => return Err(ApiError::not_found(e.to_string())),
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no free slot for a new API run; retry"))
}
