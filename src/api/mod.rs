//! The admin HTTP API (`server.listen`): health, Prometheus metrics, filings, tickets and their
//! operator actions, runs, and scans queued for the daemon's workers.
//!
//! Everything but `GET /healthz` needs `Authorization: Bearer <token>` with the token read from
//! `server.token_file` (compared in constant time); without a token file the API refuses every
//! authenticated path. Every answer but `/metrics` is JSON, errors included: `{"error": "…"}`
//! (a failure on our side says 503 or 500 and no more: the log has the error).
//! The ticket JSON is the one `beiand tickets … --json` prints (design §4.4), and ticket reads and
//! actions bring the tickets up to date first ([`crate::ticket::sweep`]), as the CLI does.
//!
//! The two lists that grow with the register are paged, so that no request reads more than one
//! page into memory: `GET /api/filings` (by site number) and the `results=true` evidence of
//! `GET /api/runs/{id}` (by domain, then site number) take `limit` (default 1000, at most 10000;
//! a larger one is a 400) and `offset` (rows skipped, default 0; past the end, an empty list);
//! on a run they are a 400 without `results=true`.
//! The number matching before paging is the `X-Total-Count` header of the filings and the
//! `results_total` field next to `results` of a run. Paging and counting are done in SQL.

mod handlers;
#[cfg(test)]
mod tests;

use crate::daemon::Shared;
use anyhow::Context;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::sync::Arc;

/// The largest request body accepted (the JSON bodies of the API are a few hundred bytes).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API's routes over the daemon's shared state.
pub fn router(shared: Arc<Shared>) -> Router {
    let authenticated = Router::new()
        .route("/metrics", get(handlers::metrics))
        .route("/api/filings", get(handlers::filings))
        .route("/api/filings/{site_number}", get(handlers::filing))
        .route("/api/tickets", get(handlers::tickets))
        .route("/api/tickets/{id}", get(handlers::ticket))
        .route("/api/tickets/{id}/extend", post(handlers::extend))
        .route("/api/tickets/{id}/appeal", post(handlers::appeal))
        .route("/api/tickets/{id}/close", post(handlers::close))
        .route("/api/runs", get(handlers::runs))
        .route("/api/runs/{id}", get(handlers::run))
        .route("/api/scan", post(handlers::scan))
        .route_layer(middleware::from_fn_with_state(shared.clone(), require_token));
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .merge(authenticated)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(log_request))
        .with_state(shared)
}

/// Serves the API on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "admin API listening");
    }
    axum::serve(listener, router(shared)).with_graceful_shutdown(shutdown).await.context("admin API server")?;
    Ok(())
}

/// An error answer: a status and `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    /// Something failed on our side: logged in full, answered without the internals (the
    /// database's own errors name its host, user, tables and queries): 503 when the database
    /// cannot be reached, which passes, else 500.
    pub fn internal(e: anyhow::Error) -> ApiError {
        tracing::error!(error = format!("{e:#}"), "admin API request failed");
        if database_unreachable(&e) {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable; try again later (the daemon's log has the error)")
        } else {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error (the daemon's log has the error)")
        }
    }
}

/// Whether `e` comes of not reaching the database (no connection to be had, or it broke), as
/// opposed to a query that failed.
fn database_unreachable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(c.downcast_ref::<sqlx::Error>(), Some(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)))
    })
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body whose rejections (bad syntax, missing field, wrong type, no JSON content
/// type, body too large) are JSON errors with axum's status and message.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            // A missing field or a wrong type is a bad request like bad syntax (axum says 422).
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::bad_request(e.body_text())),
            Err(r) => Err(ApiError::new(r.status(), r.body_text())),
        }
    }
}

/// A path parameter, with JSON rejections.
pub struct PathParam<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(PathParam(v)),
            Err(r) => Err(ApiError::new(r.status(), r.body_text())),
        }
    }
}

/// A query string, with JSON rejections (unknown parameters included, when `T` denies them).
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryParams(v)),
            Err(r) => Err(ApiError::new(r.status(), r.body_text())),
        }
    }
}

/// Lets the request through only with the configured bearer token.
async fn require_token(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let Some(expected) = shared.token() else {
        return ApiError::unauthorized("the admin API is disabled: server.token_file is not set in the configuration")
            .into_response();
    };
    let given = req.headers().get(header::AUTHORIZATION).map(|v| bearer(v.as_bytes()));
    match given {
        None => ApiError::unauthorized("authentication required: send Authorization: Bearer <token>").into_response(),
        Some(Some(token)) if constant_time_eq(token, expected.as_bytes()) => next.run(req).await,
        Some(_) => ApiError::unauthorized("invalid bearer token").into_response(),
    }
}

/// The token of an `Authorization: Bearer <token>` value (the scheme is case-insensitive).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let scheme = value.get(..7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = value[7..].trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Compares in time that depends on the lengths only, never on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{method} is not allowed on {}", uri.path()))
}

/// One log line per request: method, path, status and time (never the headers: the token).
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    if resp.status().is_server_error() {
        tracing::warn!(%method, path, status, ms, "admin API");
    } else if method == Method::GET {
        tracing::debug!(%method, path, status, ms, "admin API");
    } else {
        tracing::info!(%method, path, status, ms, "admin API");
    }
    resp
}
