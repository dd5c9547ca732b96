//! The JSON API, for other programs and for the tests (documented in the README). Every handler
//! takes the session's actor and makes one workflow call; scope is checked there. A stored
//! upload answers 200 whatever its verdict; a 4xx means nothing was stored.

use super::auth::{self, Session};
use super::{ApiError, AppState};
use crate::period::Period;
use crate::schema::regions::Level;
use crate::validate::Hints;
use crate::workflow::{Action, Listing, ReviewKind, ReviewRequest, Role, Upload};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;

pub fn routes(upload_cap: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/me", get(auth::me))
        .route("/api/uploads", post(upload).layer(DefaultBodyLimit::max(upload_cap)))
        .route("/api/status", get(status))
        .route("/api/review/{action}", post(review))
        .route("/api/rollup", get(rollup))
        .route("/api/submissions/{id}/file", get(original))
}

fn period_arg(text: &str) -> Result<Period, ApiError> {
    text.parse::<Period>()
        .map_err(|_| ApiError::BadRequest(format!("报告期“{text}”不对，应写作 2026-10")))
}

/// The region a request names, or the account's own.
fn region_or_own(st: &AppState, session: &Session, text: Option<&str>) -> Result<String, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(crate::workflow::scope::region_arg(&st.schemas, t)?.code.clone()),
        None => Ok(session.user.region.clone()),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge("文件太大，超过了上传上限".into())
    } else {
        ApiError::BadRequest("上传的表单无法读取，请重新选择文件上传".into())
    }
}

/// `POST /api/uploads`: multipart with `file`, and optionally `note` (说明), `region` and
/// `period` (when the sheet does not say), `on_behalf_of` (代报).
async fn upload(State(st): State<Arc<AppState>>, session: Session, mut mp: Multipart) -> Result<Json<serde_json::Value>, ApiError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    let (mut note, mut region, mut period, mut on_behalf_of) = (None, None, None, None);
    while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            // The client's file name is data (it may name the region and period), never a path.
            let file_name = field
                .file_name()
                .map(str::to_string)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "上传文件".into());
            let bytes = field.bytes().await.map_err(multipart_error)?;
            file = Some((file_name, bytes.to_vec()));
        } else {
            let text = field.text().await.map_err(multipart_error)?;
            let text = Some(text.trim().to_string()).filter(|t| !t.is_empty());
            match name.as_str() {
                "note" => note = text,
                "region" => region = text,
                "period" => period = text,
                "on_behalf_of" => on_behalf_of = text,
                _ => {}
            }
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| ApiError::BadRequest("没有收到文件（表单字段 file）".into()))?;
    if bytes.is_empty() {
        return Err(ApiError::BadRequest(format!("“{file_name}”是空文件（0 字节），请重新选择文件")));
    }
    if bytes.len() as u64 > st.limits.file_bytes() {
        return Err(ApiError::TooLarge(format!("文件超过上传上限 {} MB", st.limits.file_mb)));
    }
    let period = period.as_deref().map(period_arg).transpose()?;
    // A county's reporter hands in its own county: the account says so when the sheet does not.
    let region = match region {
        Some(r) => Some(region_or_own(&st, &session, Some(&r))?),
        None if session.actor.role == Role::Reporter => Some(session.user.region.clone()),
        None => None,
    };
    let hints = Hints {
        region,
        period,
        isolate_readers: true,
        limits: st.limits,
        region_source: "上传时选择的地区".into(),
        period_source: "上传时选择的报告期".into(),
    };
    let actor = session.actor.clone();
    let out = st
        .with_workflow(move |wf| {
            let up = Upload {
                file_name: &file_name,
                display: &file_name,
                bytes: &bytes,
                received_at: None,
                note: note.as_deref(),
                on_behalf_of: on_behalf_of.as_deref(),
                hints: &hints,
            };
            Ok(wf.submit(&actor, &up)?)
        })
        .await?;
    Ok(Json(serde_json::json!({
        "submission": {
            "id": out.id,
            "region": out.region,
            "region_name": out.region_name,
            "period": out.period,
            "version": out.version,
            "status": out.status,
            "timeliness": out.timeliness,
            "received_at": out.received_at,
            "explains": out.explains,
        },
        "file": out.report,
    })))
}

#[derive(serde::Deserialize)]
struct StatusQuery {
    period: String,
    region: Option<String>,
    level: Option<String>,
}

/// `GET /api/status?period=YYYY-MM[&region=CODE][&level=city]`: as `yuebao status --format json`.
async fn status(State(st): State<Arc<AppState>>, session: Session, Query(q): Query<StatusQuery>) -> Result<Json<serde_json::Value>, ApiError> {
    let period = period_arg(&q.period)?;
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let cities = q.level.as_deref() == Some("city");
    let actor = session.actor.clone();
    let st2 = Arc::clone(&st);
    let v = st
        .with_workflow(move |wf| {
            let scope = st2.schemas.regions.get(&code).expect("resolved above");
            let listing = if cities { Listing::Cities } else { Listing::Counties };
            let rows = wf.standing(&actor, scope, period, listing)?;
            Ok(crate::workflow::standing::status_json(scope, period, wf.now, cities, &rows))
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
    let kind = match action.as_str() {
        "return" => ReviewKind::Return,
        "approve" => ReviewKind::Approve,
        "unlock" => ReviewKind::Unlock,
        _ => return Err(ApiError::NotFound(format!("没有“{action}”这种审核操作"))),
    };
    let period = period_arg(&body.period)?;
    let actor = session.actor.clone();
    let out = st
        .with_workflow(move |wf| {
            let req = ReviewRequest {
                region: &body.region,
                period,
                kind,
                reason: body.reason.as_deref(),
            };
            Ok(wf.review(&actor, &req)?)
        })
        .await?;
    Ok(Json(serde_json::to_value(out).map_err(|e| ApiError::Internal(e.to_string()))?))
}

/// A download: the bytes, typed, with the file name in `Content-Disposition` (RFC 6266: an
/// ASCII fallback and the UTF-8 name).
fn download(bytes: Vec<u8>, file_name: &str) -> Response {
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let ext = std::path::Path::new(file_name)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let fallback = format!(
        "download.{}",
        if ext.chars().all(|c| c.is_ascii_alphanumeric()) && !ext.is_empty() {
            &ext
        } else {
            "bin"
        }
    );
    let disposition = format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}");
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
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
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let actor = session.actor.clone();
    let st2 = Arc::clone(&st);
    let (bytes, name) = st
        .with_workflow(move |wf| {
            let scope = st2.schemas.regions.get(&code).expect("resolved above");
            if scope.level == Level::County {
                return Err(ApiError::BadRequest(format!("{}是县区，没有汇总表；请选择市或省", scope.name)));
            }
            let rollup = wf.rollup_sources(&actor, scope, period)?.rollup(wf, scope, period)?;
            let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
            let written = crate::report::rollup::write_workbooks(&rollup, wf.schemas, dir.path(), &crate::time::date_label(wf.now))
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let name = crate::report::file_name(scope, period);
            let path = written
                .into_iter()
                .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == name))
                .ok_or_else(|| ApiError::Internal(format!("汇总表 {name} 未生成")))?;
            let bytes = std::fs::read(&path).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok((bytes, name))
        })
        .await?;
    Ok(download(bytes, &name))
}

/// `GET /api/submissions/{id}/file`: the original bytes of an upload.
async fn original(State(st): State<Arc<AppState>>, session: Session, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let actor = session.actor.clone();
    let st2 = Arc::clone(&st);
    let (bytes, name) = st
        .with_workflow(move |wf| {
            let not_found = || ApiError::NotFound(format!("没有第 {id} 号报送"));
            let s = wf.store.submission(id)?.ok_or_else(not_found)?;
            // An upload whose region could not be told is seen only by the operator's tools.
            let region = s.region.as_deref().and_then(|c| st2.schemas.regions.get(c)).ok_or_else(not_found)?;
            wf.allow(&actor, Action::View, region)
                .map_err(|_| ApiError::Forbidden("无权查看该报送的原始文件".into()))?;
            let bytes = wf
                .store
                .bytes(&s.sha256)?
                .ok_or_else(|| ApiError::Internal(format!("第 {id} 号报送的原始文件缺失")))?;
            Ok((bytes, s.file_name))
        })
        .await?;
    Ok(download(bytes, &name))
}
