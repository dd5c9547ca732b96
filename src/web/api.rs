//! The JSON API, for other programs and for the tests (documented in the README). Every handler
//! takes the session's actor and makes one workflow call; scope is checked there. A stored
//! upload answers 200 whatever its verdict; a 4xx means nothing was stored.

use super::auth::{self, Session};
use super::common::{download, period_arg, read_upload, region_or_own, review_call, review_kind, rollup_workbook, submit};
use super::{ApiError, AppState};
use crate::workflow::Listing;
use crate::workflow::chain::CityReport;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;

pub fn routes(upload_cap: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/me", get(auth::me))
        .route("/api/password", post(auth::change_password))
        .route("/api/audit", get(audit))
        .route("/api/uploads", post(upload).layer(DefaultBodyLimit::max(upload_cap)))
        .route("/api/status", get(status))
        .route("/api/review/{action}", post(review))
        .route("/api/report", post(report))
        .route("/api/rollup", get(rollup))
        .route("/api/submissions/{id}/file", get(original))
}

/// `POST /api/uploads`: multipart with `file`, and optionally `note` (说明), `region` and
/// `period` (when the sheet does not say), `on_behalf_of` (代报), `late_reason` (迟报原因).
async fn upload(State(st): State<Arc<AppState>>, session: Session, mp: Multipart) -> Result<Response, ApiError> {
    let form = read_upload(&st, mp).await?;
    let out = submit(&st, &session, form).await?;
    json(&Answer {
        result: Wrapped::Submission { submission: &out },
        file: &out.report,
    })
}

/// A JSON body written straight from the value (no tree in between: the file's cells are most
/// of an upload's answer).
fn json<T: serde::Serialize>(value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// An upload's answer (and a 上报's): the result as `yuebao submit --format json` writes each
/// file's (`submission`, or the 上报's `submission`, `counted` and `expected`), beside the
/// file's validation report with its cells (`file`, as one of `validate --format json`'s files).
#[derive(serde::Serialize)]
struct Answer<'a, T> {
    #[serde(flatten)]
    result: Wrapped<&'a T>,
    file: &'a crate::validate::FileCheck,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Wrapped<T> {
    Submission { submission: T },
    Report(T),
}

#[derive(serde::Deserialize)]
struct StatusQuery {
    period: String,
    region: Option<String>,
    level: Option<String>,
}

/// `GET /api/status?period=YYYY-MM[&region=CODE][&level=city]`: as `yuebao status --format json`.
async fn status(
    State(st): State<Arc<AppState>>,
    session: Session,
    Query(q): Query<StatusQuery>,
) -> Result<Json<crate::workflow::standing::StatusDoc>, ApiError> {
    let period = period_arg(&q.period)?;
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let cities = match q.level.as_deref() {
        None | Some("county") => false,
        Some("city") => true,
        Some(other) => return Err(ApiError::BadRequest(format!("level “{other}”不对：应为 county（县区）或 city（市）"))),
    };
    let actor = session.actor.clone();
    let st2 = Arc::clone(&st);
    let v = st
        .with_workflow(move |wf| {
            let scope = st2.schemas.regions.get(&code).expect("resolved above");
            let listing = if cities { Listing::Cities } else { Listing::Counties };
            Ok(wf.status_doc(&actor, scope, period, listing)?)
        })
        .await?;
    Ok(Json(v))
}

#[derive(serde::Deserialize)]
struct ReviewBody {
    region: String,
    period: String,
    reason: Option<String>,
}

/// `POST /api/review/{return|approve|unlock}` `{"region","period","reason"}`.
async fn review(
    State(st): State<Arc<AppState>>,
    session: Session,
    Path(action): Path<String>,
    Json(body): Json<ReviewBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = review_kind(&action)?;
    let period = period_arg(&body.period)?;
    let out = review_call(&st, &session, body.region, period, kind, body.reason).await?;
    Ok(Json(serde_json::to_value(out).map_err(|e| ApiError::Internal(e.to_string()))?))
}

#[derive(serde::Deserialize)]
struct RollupQuery {
    period: String,
    region: Option<String>,
}

/// `GET /api/rollup?period=YYYY-MM[&region=CODE]`: the rollup workbook of a city or the
/// province, as `yuebao rollup` writes it from the store.
async fn rollup(State(st): State<Arc<AppState>>, session: Session, Query(q): Query<RollupQuery>) -> Result<Response, ApiError> {
    let period = period_arg(&q.period)?;
    let (bytes, name) = rollup_workbook(&st, &session, q.region.as_deref(), period).await?;
    Ok(download(bytes, &name))
}

/// `GET /api/submissions/{id}/file`: the original bytes of an upload.
async fn original(State(st): State<Arc<AppState>>, session: Session, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let actor = session.actor.clone();
    let (s, bytes) = st.with_workflow(move |wf| Ok(wf.download_original(&actor, id)?)).await?;
    Ok(download(bytes, &s.file_name))
}

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    pub since: Option<String>,
    pub user: Option<String>,
    pub action: Option<String>,
    pub region: Option<String>,
    pub limit: Option<usize>,
}

impl AuditQuery {
    /// The filter the query asks for; a bad time or region is refused in a sentence.
    pub fn filter(&self, st: &AppState) -> Result<crate::workflow::data::AuditFilter, ApiError> {
        let text = |o: &Option<String>| o.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        let since = match text(&self.since) {
            Some(t) => {
                Some(crate::time::stamp(crate::time::parse(&t).ok_or_else(|| {
                    ApiError::BadRequest(format!("时间“{t}”无法识别，请写作 2026-11-04 或 2026-11-04 16:30"))
                })?))
            }
            None => None,
        };
        let regions = match text(&self.region) {
            Some(r) => Some(vec![crate::workflow::scope::region_arg(&st.schemas, &r)?.code.clone()]),
            None => None,
        };
        Ok(crate::workflow::data::AuditFilter {
            since,
            user: text(&self.user),
            action: text(&self.action),
            regions,
            limit: Some(self.limit.unwrap_or(500).min(5000)),
        })
    }
}

/// `GET /api/audit?since=&user=&action=&region=&limit=`: audit entries the account may read
/// (the newest `limit`, 500 by default), oldest first.
async fn audit(State(st): State<Arc<AppState>>, session: Session, Query(q): Query<AuditQuery>) -> Result<Json<serde_json::Value>, ApiError> {
    let filter = q.filter(&st)?;
    let actor = session.actor.clone();
    let entries = st.with_workflow(move |wf| Ok(wf.audit_log(&actor, &filter)?)).await?;
    Ok(Json(serde_json::json!({ "entries": entries })))
}

#[derive(serde::Deserialize)]
struct ReportBody {
    region: String,
    period: String,
    note: Option<String>,
    late_reason: Option<String>,
}

/// `POST /api/report` `{"region","period"[,"note"][,"late_reason"]}`: the city's 上报 — its
/// rollup frozen and handed in as the city's sheet. Answers as an upload does, with the counts.
async fn report(State(st): State<Arc<AppState>>, session: Session, Json(b): Json<ReportBody>) -> Result<Response, ApiError> {
    let period = period_arg(&b.period)?;
    let out: CityReport = super::common::report_call(&st, &session, b.region, period, b.note, b.late_reason).await?;
    json(&Answer {
        result: Wrapped::Report(&out),
        file: &out.submission.report,
    })
}
