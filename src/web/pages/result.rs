//! The result of an upload, at once: what became of it, the findings table, the sheet drawn as
//! a grid with error cells red and warning cells yellow (each message on its cell), the
//! annotated copy, and — when there are only warnings — the 说明 box that submits it anyway
//! (强制上报).

use super::layout::{self, Who};
use super::{Page, PageError};
use crate::finding::{Finding, Severity};
use crate::period::Period;
use crate::validate::FileCheck;
use crate::web::AppState;
use crate::web::common::{UploadForm, annotated_workbook, download, read_upload, reread_hints, submit};
use crate::workflow::SubStatus;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Largest part of a sheet drawn; the findings table lists everything.
const MAX_ROWS: u32 = 300;
const MAX_COLS: u32 = 40;

/// One upload as the result page shows it.
struct Shown<'a> {
    id: i64,
    version: i64,
    status: SubStatus,
    file: &'a str,
    region: Option<&'a str>,
    region_name: Option<&'a str>,
    period: Option<Period>,
    received_at: crate::time::Time,
    timeliness: Option<String>,
    note: Option<&'a str>,
    late_reason: Option<&'a str>,
    /// The account's own region is this upload's (a county), or one above it (代报 / review).
    own: bool,
    /// The workflow lets the viewer give the 说明 now.
    explainable: bool,
}

/// `POST /upload` (the county's form and the city's 代报): the result page of the new version.
pub async fn upload(State(st): State<Arc<AppState>>, Page(session): Page, mp: Multipart) -> Result<Response, PageError> {
    let form = read_upload(&st, mp).await?;
    let out = submit(&st, &session, form).await?;
    let shown = Shown {
        id: out.id,
        version: out.version,
        status: out.status,
        file: &out.file,
        region: out.region.as_deref(),
        region_name: out.region_name.as_deref(),
        period: out.period,
        received_at: out.received_at,
        timeliness: out.timeliness.map(|t| t.words()),
        note: out.note.as_deref(),
        late_reason: None,
        own: out.region.as_deref() == Some(session.user.region.as_str()),
        explainable: out.explainable,
    };
    Ok(render(&st, &session, &shown, &out.report).into_response())
}

/// `GET /submissions/{id}`: the result page of a stored version, read again from its bytes.
pub async fn show(State(st): State<Arc<AppState>>, Page(session): Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    let actor = session.actor.clone();
    let hints = reread_hints(&st);
    let (s, rep, explainable) = st
        .with_workflow(move |wf| {
            let (s, rep) = wf.reread(&actor, id, &hints)?;
            let explainable = wf.explainable(&actor, &s)?;
            Ok((s, rep, explainable))
        })
        .await?;
    let shown = Shown {
        id: s.id,
        version: s.version,
        status: s.status,
        file: &s.file_name,
        region: s.region.as_deref(),
        region_name: rep.region_name.as_deref(),
        period: s.period,
        received_at: s.received_at,
        timeliness: None,
        note: s.note.as_deref(),
        late_reason: s.late_reason.as_deref(),
        own: s.region.as_deref() == Some(session.user.region.as_str()),
        explainable,
    };
    Ok(render(&st, &session, &shown, &rep).into_response())
}

#[derive(serde::Deserialize)]
pub struct ExplainForm {
    note: String,
}

/// `POST /submissions/{id}/explain`: hands the same file in again with a 说明 (强制上报).
pub async fn explain(State(st): State<Arc<AppState>>, Page(session): Page, Path(id): Path<i64>, Form(f): Form<ExplainForm>) -> Result<Response, PageError> {
    let actor = session.actor.clone();
    let (s, bytes) = st.with_workflow(move |wf| Ok(wf.pending_original(&actor, id)?)).await?;
    let own = s.region.as_deref() == Some(session.user.region.as_str());
    let form = UploadForm {
        file_name: s.file_name.clone(),
        bytes,
        note: Some(f.note.trim().to_string()).filter(|n| !n.is_empty()),
        region: s.region.clone(),
        period: s.period.map(|p| p.to_string()),
        // Someone above the county explains on its behalf.
        on_behalf_of: if own { None } else { s.region.clone() },
        late_reason: s.late_reason.clone(),
    };
    if form.note.is_none() {
        return Err(crate::web::ApiError::Unprocessable("说明不能为空：请写明提醒项的数据为什么没有问题".into()).into());
    }
    let out = submit(&st, &session, form).await?;
    Ok(Redirect::to(&format!("/submissions/{}", out.id)).into_response())
}

/// `GET /submissions/{id}/annotated`: the annotated copy.
pub async fn annotated(State(st): State<Arc<AppState>>, Page(session): Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    let (bytes, name) = annotated_workbook(&st, &session, id).await?;
    Ok(download(bytes, &name))
}

/// `GET /submissions/{id}/original`: the bytes handed in.
pub async fn original(State(st): State<Arc<AppState>>, Page(session): Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    let actor = session.actor.clone();
    let (s, bytes) = st.with_workflow(move |wf| Ok(wf.download_original(&actor, id)?)).await?;
    Ok(download(bytes, &s.file_name))
}

fn render(st: &AppState, session: &crate::web::auth::Session, s: &Shown<'_>, rep: &FileCheck) -> maud::Markup {
    let reviewer = s
        .region
        .and_then(|c| st.schemas.regions.get(c))
        .map_or_else(|| "市级审核人".to_string(), |r| st.schemas.regions.reviewer_word(r));
    let who = Who::of(&st.schemas, session);
    let (errors, warnings) = (rep.summary.errors, rep.summary.warnings);
    let county = |code: &str| st.schemas.regions.get(code).is_some_and(|r| st.schemas.regions.is_leaf(r));
    let back = match (s.region, s.period) {
        (Some(code), Some(p)) if s.own && county(code) => format!("/county?period={p}"),
        (Some(_), Some(p)) if s.own => format!("/city?period={p}"),
        (Some(code), Some(p)) => format!("/city/{code}?period={p}"),
        _ => "/".into(),
    };
    let body = html! {
        p.crumbs { a href=(back) { "‹ 返回" } }
        h1 {
            "审核结果 · 第 " (s.version) " 版"
            @if let (Some(name), Some(p)) = (s.region_name, s.period) { " · " (name) " " (p.label()) }
        }
        section class=(format!("card verdict {}", layout::sub_status_class(s.status))) {
            p.big { (layout::badge(layout::sub_status_class(s.status), s.status.label())) " " (verdict(s.status, errors, warnings, s.timeliness.as_deref())) }
            p.muted { "文件：" (s.file) " · 收到：" (crate::time::label(s.received_at)) }
            @if let Some(n) = s.note { p { "说明：" (n) } }
            @if let Some(r) = s.late_reason { p { "迟报原因：" (r) } }
            p.actions {
                a.button href=(format!("/submissions/{}/annotated", s.id)) { "下载批注版（错误标红、警告标黄）" }
                " "
                a.button.plain href=(format!("/submissions/{}/original", s.id)) { "下载原件" }
            }
        }
        @if s.explainable {
            section.card.explain {
                h2 { "填写说明后提交（强制上报）" }
                p { "表中没有错误，只有警告。如核实数据无误，请写明原因后提交，" (reviewer) "会看到这段说明；如数据有误，请改正后重新上传。" }
                form method="post" action=(format!("/submissions/{}/explain", s.id)) {
                    label.field { span { "说明" } textarea name="note" rows="3" required placeholder="例如：本月集中举办技能培训班，已接受培训人数增加" {} }
                    button.primary type="submit" { "提交说明" }
                }
            }
        }
        (findings_table(rep))
        (sheet_grid(rep))
    };
    layout::page(&format!("审核结果 第{}版", s.version), Some(&who), body)
}

fn verdict(status: SubStatus, errors: usize, warnings: usize, timeliness: Option<&str>) -> String {
    match status {
        SubStatus::Accepted => {
            let when = timeliness.map(|t| format!("（{t}）")).unwrap_or_default();
            if warnings > 0 {
                format!("已接收{when}：有 {warnings} 处警告，已附说明。")
            } else {
                format!("已接收{when}：没有发现问题。")
            }
        }
        SubStatus::Rejected => {
            let w = if warnings > 0 { format!("、{warnings} 处警告") } else { String::new() };
            format!("未接收：发现 {errors} 处错误{w}。请按下表改正后重新上传。")
        }
        SubStatus::Pending => format!("待说明：没有错误，有 {warnings} 处警告。数据无误请在下方填写说明后提交，有误请改正后重新上传。"),
    }
}

fn sev_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "err",
        Severity::Warning => "warn",
        Severity::Info => "info",
    }
}

fn findings_table(rep: &FileCheck) -> Markup {
    html! {
        section.card {
            h2 { "审核发现（" (rep.findings.len()) " 条）" }
            @if rep.findings.is_empty() {
                p.muted { "没有发现问题。" }
            } @else {
                table.list.findings {
                    thead { tr { th { "级别" } th { "代码" } th { "位置" } th { "行" } th { "栏目" } th { "说明" } } }
                    tbody {
                        @for f in &rep.findings {
                            tr class=(sev_class(f.severity)) {
                                td { (layout::badge(sev_class(f.severity), f.severity.label())) }
                                td.code { (f.code.as_str()) }
                                td.nowrap { (place(f)) }
                                td.nowrap { (f.row_label.as_deref().unwrap_or("")) }
                                td.nowrap { (f.column.map(|c| format!("第({c})栏")).unwrap_or_default()) }
                                td { (f.message) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn place(f: &Finding) -> String {
    match (&f.sheet, &f.cell) {
        (Some(s), Some(c)) => format!("{s}!{c}"),
        (Some(s), None) => s.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => "整个文件".into(),
    }
}

/// The sheet holding the form, drawn as it was handed in: merged cells merged, every cell with a
/// finding filled (red for errors, yellow for warnings) and its messages written in it.
fn sheet_grid(rep: &FileCheck) -> Markup {
    let Some(book) = &rep.book else { return html! {} };
    let wanted = rep
        .table
        .as_ref()
        .map(|(n, _)| n.as_str())
        .or_else(|| rep.findings.iter().find(|f| f.pos.is_some()).and_then(|f| f.sheet.as_deref()));
    let Some(grid) = wanted.and_then(|n| book.sheets.iter().find(|g| g.name == n)).or(book.sheets.first()) else {
        return html! {};
    };
    let mut marks: BTreeMap<(u32, u32), (Severity, Vec<String>)> = BTreeMap::new();
    for f in rep
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info && f.sheet.as_deref() == Some(grid.name.as_str()))
    {
        if let Some(pos) = f.pos {
            let e = marks.entry(pos).or_insert((f.severity, Vec::new()));
            e.0 = e.0.max(f.severity);
            e.1.push(format!("{} {}", f.code.as_str(), f.message));
        }
    }
    let last_row = grid.last_row().unwrap_or(0).max(marks.keys().map(|p| p.0).max().unwrap_or(0));
    let last_col = grid.last_col().max(marks.keys().map(|p| p.1).max().unwrap_or(0));
    let (rows, cols) = (last_row.min(MAX_ROWS - 1), last_col.min(MAX_COLS - 1));
    // Merged ranges: the first cell spans, the rest are not drawn.
    let mut spans: HashMap<(u32, u32), (u32, u32)> = HashMap::new();
    let mut covered: HashSet<(u32, u32)> = HashSet::new();
    for &(r0, c0, r1, c1) in &grid.merges {
        if r0 > rows || c0 > cols || (r1 - r0 + 1) as u64 * (c1 - c0 + 1) as u64 > 10_000 {
            continue;
        }
        let (r1, c1) = (r1.min(rows), c1.min(cols));
        spans.insert((r0, c0), (r1 - r0 + 1, c1 - c0 + 1));
        for r in r0..=r1 {
            for c in c0..=c1 {
                if (r, c) != (r0, c0) {
                    covered.insert((r, c));
                }
            }
        }
    }
    let cut = last_row > rows || last_col > cols;
    let area = rep.table.as_ref().filter(|(n, _)| *n == grid.name).map(|(_, a)| *a);
    let inside = |r: u32, c: u32| area.is_some_and(|a| (a.top..=a.bottom).contains(&r) && (a.first_col..=a.last_col).contains(&c));
    let subtotals: HashSet<u32> = if area.is_some() {
        rep.subtotal_rows.iter().copied().collect()
    } else {
        HashSet::new()
    };
    html! {
        section.card {
            h2 { "表格（工作表“" (grid.name) "”）" }
            p.muted.legend {
                span.swatch.err {} " 错误 " span.swatch.warn {} " 警告 · 问题写在所在单元格里"
                @if !subtotals.is_empty() { " · " span.swatch.sub {} " 小计行（不计入合计，与所辖各行核对）" }
            }
            @if cut { p.warn { "表格较大，只画出前 " (rows + 1) " 行、" (cols + 1) " 列；全部问题见上面的列表。" } }
            div.gridwrap {
                table.sheet {
                    thead { tr { th.corner {} @for c in 0..=cols { th { (crate::text::col_letters(c)) } } } }
                    tbody {
                        @for r in 0..=rows {
                            tr {
                                th { (r + 1) }
                                @for c in 0..=cols {
                                    @if !covered.contains(&(r, c)) {
                                        @let (rs, cs) = spans.get(&(r, c)).copied().unwrap_or((1, 1));
                                        @let text = grid.get(r, c).map(|x| x.value.display()).unwrap_or_default();
                                        @let mark = marks.get(&(r, c));
                                        // Long headings wrap inside the form's table; the title and the notes
                                        // around it run on as in Excel.
                                        @let long = cs == 1 && text.chars().count() > 8 && inside(r, c);
                                        @let sub = subtotals.contains(&r) && inside(r, c);
                                        td class=[mark.map(|m| sev_class(m.0)).or(sub.then_some("sub")).or(long.then_some("long"))]
                                            rowspan=[(rs > 1).then_some(rs)] colspan=[(cs > 1).then_some(cs)]
                                            data-cell=(crate::text::a1(r, c))
                                            title=[mark.map(|m| m.1.join("\n"))] {
                                            (text)
                                            @if let Some((_, msgs)) = mark {
                                                @for m in msgs { span.msg { (m) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
