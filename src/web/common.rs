//! What the JSON API and the pages share: reading an upload form, handing it to the workflow,
//! the arguments every page takes (a month, a region), and downloads.

use super::auth::Session;
use super::{ApiError, AppState};
use crate::period::Period;
use crate::validate::Hints;
use crate::workflow::audit::Event;
use crate::workflow::{ReviewKind, ReviewOutcome, ReviewRequest, SubmitOutcome, Upload};
use axum::extract::Multipart;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub fn period_arg(text: &str) -> Result<Period, ApiError> {
    text.trim()
        .parse::<Period>()
        .map_err(|_| ApiError::BadRequest(format!("报告期“{text}”不对，应写作 2026-10")))
}

/// The code of the region a request names, or of the account's own; always a region of the
/// schema (an account whose region left the schema is told so).
pub fn region_or_own(st: &AppState, session: &Session, text: Option<&str>) -> Result<String, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(crate::workflow::scope::region_arg(&st.schemas, t)?.code.clone()),
        None => match st.schemas.regions.get(&session.user.region) {
            Some(r) => Ok(r.code.clone()),
            None => Err(ApiError::Forbidden(format!(
                "账号所属地区代码 {} 不在地区表中，请联系系统管理员",
                session.user.region
            ))),
        },
    }
}

/// An upload as the form (or a script) sent it.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// 说明 (强制上报 when the sheet has only warnings).
    pub note: Option<String>,
    pub region: Option<String>,
    pub period: Option<String>,
    /// 代报: the region whose sheet this is.
    pub on_behalf_of: Option<String>,
    /// 迟报原因.
    pub late_reason: Option<String>,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge("文件太大，超过了上传上限".into())
    } else {
        ApiError::BadRequest("上传的表单无法读取，请重新选择文件上传".into())
    }
}

/// Reads a multipart upload: `file`, and the optional text fields of [`UploadForm`]. The
/// client's file name is kept as data (it may name the region and period), never a path.
pub async fn read_upload(st: &AppState, mut mp: Multipart) -> Result<UploadForm, ApiError> {
    let mut form = UploadForm::default();
    let mut got_file = false;
    while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            form.file_name = field
                .file_name()
                .map(str::to_string)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "上传文件".into());
            form.bytes = field.bytes().await.map_err(multipart_error)?.to_vec();
            got_file = true;
        } else {
            let text = field.text().await.map_err(multipart_error)?;
            let text = Some(text.trim().to_string()).filter(|t| !t.is_empty());
            match name.as_str() {
                "note" => form.note = text,
                "region" => form.region = text,
                "period" => form.period = text,
                "on_behalf_of" => form.on_behalf_of = text,
                "late_reason" => form.late_reason = text,
                _ => {}
            }
        }
    }
    if !got_file {
        return Err(ApiError::BadRequest("没有收到文件，请选择要上传的报表".into()));
    }
    if form.bytes.is_empty() {
        return Err(ApiError::BadRequest(format!("“{}”是空文件（0 字节），请重新选择文件", form.file_name)));
    }
    if form.bytes.len() as u64 > st.limits.file_bytes() {
        return Err(ApiError::TooLarge(format!("文件超过上传上限 {} MB", st.limits.file_mb)));
    }
    Ok(form)
}

/// Hands an upload to the workflow as `session`'s actor.
pub async fn submit(st: &Arc<AppState>, session: &Session, form: UploadForm) -> Result<SubmitOutcome, ApiError> {
    let period = form.period.as_deref().map(period_arg).transpose()?;
    // A county's reporter hands in its own county: the account says so when the sheet does
    // not. 代报 names the county it is for.
    let region = match form.region.as_deref().or(form.on_behalf_of.as_deref()) {
        Some(r) => Some(region_or_own(st, session, Some(r))?),
        None => session.actor.own_sheet().map(str::to_string),
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
    st.with_workflow(move |wf| {
        let up = Upload {
            file_name: &form.file_name,
            display: &form.file_name,
            bytes: &form.bytes,
            received_at: None,
            note: form.note.as_deref(),
            on_behalf_of: form.on_behalf_of.as_deref(),
            late_reason: form.late_reason.as_deref(),
            hints: &hints,
            basis: None,
            channel: crate::workflow::Channel::Portal,
            mail: None,
        };
        Ok(wf.submit(&actor, &up)?)
    })
    .await
}

/// The city's 上报 as `session`'s actor (see `Workflow::report_city`).
pub async fn report_call(
    st: &Arc<AppState>,
    session: &Session,
    region: String,
    period: Period,
    note: Option<String>,
    late_reason: Option<String>,
) -> Result<crate::workflow::chain::CityReport, ApiError> {
    let code = region_or_own(st, session, Some(&region))?;
    let actor = session.actor.clone();
    let hints = reread_hints(st);
    let text = |o: Option<String>| o.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let (note, late_reason) = (text(note), text(late_reason));
    st.with_workflow(move |wf| Ok(wf.report_city(&actor, &code, period, note.as_deref(), late_reason.as_deref(), &hints)?))
        .await
}

/// `return`, `approve` or `unlock`.
pub fn review_kind(action: &str) -> Result<ReviewKind, ApiError> {
    match action {
        "return" => Ok(ReviewKind::Return),
        "approve" => Ok(ReviewKind::Approve),
        "unlock" => Ok(ReviewKind::Unlock),
        _ => Err(ApiError::NotFound(format!("没有“{action}”这种审核操作"))),
    }
}

/// A reviewer's decision on a region's month, as `session`'s actor.
pub async fn review_call(
    st: &Arc<AppState>,
    session: &Session,
    region: String,
    period: Period,
    kind: ReviewKind,
    reason: Option<String>,
) -> Result<ReviewOutcome, ApiError> {
    let actor = session.actor.clone();
    st.with_workflow(move |wf| {
        let req = ReviewRequest {
            region: &region,
            period,
            kind,
            reason: reason.as_deref().map(str::trim).filter(|r| !r.is_empty()),
        };
        Ok(wf.review(&actor, &req)?)
    })
    .await
}

/// Hints for reading a stored upload again.
pub fn reread_hints(st: &AppState) -> Hints {
    Hints {
        isolate_readers: true,
        limits: st.limits,
        ..Hints::default()
    }
}

/// A download: the bytes, typed, with the file name in `Content-Disposition` (RFC 6266: an
/// ASCII fallback and the UTF-8 name).
pub fn download(bytes: Vec<u8>, file_name: &str) -> Response {
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
        .filter(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "bin".into());
    let disposition = format!("attachment; filename=\"download.{ext}\"; filename*=UTF-8''{encoded}");
    let content_type = match ext.as_str() {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> ApiError {
    ApiError::Internal(format!("工作簿生成失败：{e}"))
}

/// The rollup workbook of a city or the province for a month, as `yuebao rollup` writes it
/// from the store (the form and its 报送情况 sheet), and its file name.
pub async fn rollup_workbook(st: &Arc<AppState>, session: &Session, region: Option<&str>, period: Period) -> Result<(Vec<u8>, String), ApiError> {
    let code = region_or_own(st, session, region)?;
    let actor = session.actor.clone();
    let st2 = Arc::clone(st);
    st.with_workflow(move |wf| {
        let scope = st2.schemas.regions.get(&code).expect("resolved by region_or_own");
        let rollup = wf.rollup_sources(&actor, scope, period)?.rollup(wf, scope, period)?;
        let (name, bytes) = crate::workbook::rollup::workbook_bytes(&rollup, wf.schemas, &scope.code, &crate::time::date_label(wf.now))
            .map_err(xlsx_error)?
            .ok_or_else(|| ApiError::Internal(format!("{} 的汇总表未生成", scope.name)))?;
        wf.record(&actor, Event::Download, Some(&code), &format!("下载汇总表“{name}”"))?;
        Ok((bytes, name))
    })
    .await
}

/// The annotated copy of upload `id` (errors red, warnings yellow, the messages as notes).
pub async fn annotated_workbook(st: &Arc<AppState>, session: &Session, id: i64) -> Result<(Vec<u8>, String), ApiError> {
    let actor = session.actor.clone();
    let hints = reread_hints(st);
    st.with_workflow(move |wf| {
        let (s, rep) = wf.reread(&actor, id, &hints)?;
        let text = format!("下载第 {id} 号报送（第 {} 版）的审核批注版", s.version);
        wf.record(&actor, Event::Download, s.region.as_deref(), &text)?;
        let mut wb = crate::workbook::annotate::annotated_workbook(&rep, wf.schemas).map_err(xlsx_error)?;
        let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
        let stem = std::path::Path::new(&s.file_name)
            .file_stem()
            .map(|x| x.to_string_lossy().into_owned())
            .unwrap_or_else(|| "报表".into());
        Ok((bytes, format!("{stem}-审核批注-第{}版.xlsx", s.version)))
    })
    .await
}
