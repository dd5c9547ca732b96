//! The register (附件2) in the portal. A county's own accounts import the whole register, see
//! the month counted from it (and download it as the month's sheet to finish and upload), and
//! see its persons masked; an account granted it sees one card in full or exports the list,
//! with a reason, each audited. Cities and the province see counts and duplicates; a city's or
//! the province's reviewer granted it also sees the persons of the counties under it, the same
//! way (`?county=`).

use super::layout::{self, Who};
use super::{Page, PageError, month};
use crate::web::common::download;
use crate::web::{ApiError, AppState};
use crate::workflow::ledger::PersonalKey;
use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;

/// Persons listed on the page; the rest are counted.
const LISTED: usize = 50;

#[derive(serde::Deserialize)]
pub struct LedgerQuery {
    pub period: Option<String>,
    pub done: Option<String>,
    /// For a city's or the province's account granted it: the county whose persons to list.
    pub county: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct UnmaskForm {
    pub person: i64,
    /// The county, for a city's or the province's account (else the account's own).
    #[serde(default)]
    pub county: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct ExportForm {
    pub reason: String,
    #[serde(default)]
    pub county: Option<String>,
}

impl AppState {
    /// The personal-data key: loaded at first need, made then where none was given (`create`,
    /// for an import); None where there is none yet and nothing is to be sealed.
    pub fn personal_key(&self, create: bool) -> Result<Option<Arc<PersonalKey>>, ApiError> {
        let mut held = self.personal.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = held.as_ref() {
            return Ok(Some(Arc::clone(k)));
        }
        let Some((path, given)) = &self.key_path else {
            return Err(ApiError::Internal("门户没有个人信息密钥的位置（--key-file）".into()));
        };
        let key = crate::cmd::ledger::key_at(path, *given, create).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(key.map(|k| {
            let k = Arc::new(k);
            *held = Some(Arc::clone(&k));
            k
        }))
    }
}

/// The signed-in account's own county, or None for a city or the province.
fn own_county<'a>(st: &'a AppState, session: &crate::web::auth::Session) -> Option<&'a crate::schema::Region> {
    st.schemas.regions.get(&session.user.region).filter(|r| st.schemas.regions.is_leaf(r))
}

/// `GET /ledger?period=`: a county's register page, or a city's or the province's duplicates.
pub async fn page(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<LedgerQuery>) -> Result<Response, PageError> {
    let period = month(&st, q.period.as_deref())?;
    let who = Who::of(&st.schemas, &session);
    let actor = session.actor.clone();
    let Some(county) = own_county(&st, &session) else {
        let scope = st
            .schemas
            .regions
            .get(&session.user.region)
            .ok_or_else(|| ApiError::Forbidden("账号所属地区不明".into()))?
            .clone();
        let sc = scope.clone();
        let key = if session.actor.personal { st.personal_key(false)? } else { None };
        let asked = q.county.clone();
        let st2 = Arc::clone(&st);
        let (pairs, counties, listed) = st
            .with_workflow(move |wf| {
                let pairs = wf.register_duplicates(&actor, &sc)?;
                let counties = if actor.personal { wf.register_counties(&actor, &sc)? } else { Vec::new() };
                let listed = match asked {
                    Some(code) => {
                        let county = named_region(&st2, &code)?;
                        Some((county.clone(), wf.register_people(&actor, county, key.as_deref(), LISTED)?))
                    }
                    None => None,
                };
                Ok((pairs, counties, listed))
            })
            .await?;
        let body = html! {
            h1 { (scope.name) " · 台账" }
            section.card {
                h2 { "跨县区重复人员" }
                p.muted { "同一身份证号码同时在两个县区的台账中在册。这里只列县区和人数，不列人员：请两地核实后各自更正台账。" }
                @if pairs.is_empty() {
                    p.ok { "各县区台账之间没有重复人员。" }
                } @else {
                    table.list {
                        thead { tr { th { "县区" } th { "县区" } th { "重复人数" } } }
                        tbody { @for d in &pairs { tr { td { (d.a_name) } td { (d.b_name) } td.num { (d.persons) } } } }
                    }
                }
            }
            p.muted { "各县区报表与台账是否一致，见“报送情况”看板的“台账”一栏。" }
            @if session.actor.personal {
                section.card {
                    h2 { "县区台账人员（本账号已获授权）" }
                    form method="get" action="/ledger" {
                        label.field {
                            span { "县区" }
                            select name="county" {
                                @for c in &counties {
                                    option value=(c.code) selected[listed.as_ref().is_some_and(|(l, _)| l.code == c.code)] { (c.name) }
                                }
                            }
                        }
                        button type="submit" { "列出人员" }
                    }
                    @if counties.is_empty() { p.muted { "辖区内还没有县区导入台账。" } }
                }
                @if let Some((county, people)) = &listed {
                    (people_section(&county.name, people, true, Some(&county.code)))
                }
            }
        };
        return Ok(layout::page(&format!("{} 台账", scope.name), Some(&who), body).into_response());
    };
    let key = st.personal_key(false)?;
    let code = county.code.clone();
    let st2 = Arc::clone(&st);
    let (imports, derived, people) = st
        .with_workflow(move |wf| {
            let county = st2.schemas.regions.get(&code).expect("the account's county");
            let imports = wf.register_imports(&actor, county)?;
            let derived = wf.derived_sheet(&actor, county, period, None)?;
            let people = wf.register_people(&actor, county, key.as_deref(), LISTED)?;
            Ok((imports, derived, people))
        })
        .await?;
    let form = st.schemas.form();
    let may_import = matches!(
        session.actor.role,
        crate::workflow::Role::Reporter | crate::workflow::Role::Reviewer | crate::workflow::Role::Admin
    );
    let body = html! {
        h1 { (county.name) " · 基础台账" }
        @if let Some(done) = &q.done { p.flash { (done) } }
        (layout::month_switcher("/ledger", period, ""))
        section.card {
            h2 { "导入台账" }
            @match imports.last() {
                Some(i) => p { "最近一次导入：" (i.at.get(..16).unwrap_or(&i.at).replace('T', " ")) "，" (i.file_name) "，" (i.persons) " 人（新建卡 " (i.added) "，变动 " (i.changed) "，脱贫销号 " (i.removed) "）。" },
                None => p.muted { "还没有导入过台账。" },
            }
            @if may_import {
                form method="post" action="/ledger/upload" enctype="multipart/form-data" {
                    label.field { span { "台账文件（Excel，每人一行，按表头识别各栏；整本导入，与上次比较记下变动）" } input type="file" name="file" required; }
                    button type="submit" { "导入并审核" }
                }
            }
        }
        section.card {
            h2 { (period.label()) "：由台账清点的报表" }
            @match &derived {
                None => p.muted { "导入台账后，这里按月末的台账逐乡镇清点出本月报表。" },
                Some(d) => {
                    p {
                        "按 " (crate::ledger::period_end(period).format("%Y-%m-%d")) " 的台账清点（" (d.persons) " 人）。"
                        @match &d.hand_from { Some(h) => { "第(21)栏取自" (h) "。" } None => { "第(21)栏台账不能提供，下载后请手工填写再上传。" } }
                    }
                    p { a.button href=(format!("/ledger/sheet?period={period}")) { "下载由台账生成的" (period.label()) "报表" } }
                    @for (town, what, n) in &d.broken { p.warn { (town) "：" (what) "（台账本身如此，涉及 " (n) " 人）" } }
                    div.scroll {
                        table.list.derived {
                            thead { tr { th { "乡镇（街道）" } @for c in &form.columns { th title=(c.name) { "(" (c.no) ")" } } } }
                            tbody {
                                @for r in &d.rows {
                                    tr { td { (r.township) } @for v in &r.values { td.num { @match v { Some(v) => (v), None => "" } } } }
                                }
                            }
                        }
                    }
                }
            }
        }
        (people_section(&county.name, &people, session.actor.personal, None))
    };
    Ok(layout::page(&format!("{} 台账", county.name), Some(&who), body).into_response())
}

/// `POST /ledger/upload`: the county's whole register, checked and imported.
pub async fn upload(State(st): State<Arc<AppState>>, Page(session): Page, mut mp: Multipart) -> Result<Response, PageError> {
    let county = own_county(&st, &session).ok_or_else(|| ApiError::Forbidden("台账由县区导入".into()))?.clone();
    let mut file = None;
    while let Some(field) = mp.next_field().await.map_err(|e| ApiError::BadRequest(format!("上传内容不完整：{e}")))? {
        if field.name() == Some("file") {
            let name = field.file_name().map(str::to_string).filter(|n| !n.is_empty()).unwrap_or_else(|| "台账".into());
            let bytes = field.bytes().await.map_err(|e| ApiError::BadRequest(format!("上传内容不完整：{e}")))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| ApiError::BadRequest("没有收到文件，请选择台账文件".into()))?;
    let key = st.personal_key(true)?.expect("made when missing");
    let actor = session.actor.clone();
    let c = county.clone();
    let file_name = name.clone();
    let out = st
        .with_workflow(move |wf| Ok(wf.import_register(&actor, &c, &file_name, &bytes, &key)?))
        .await?;
    if out.import_id.is_some() {
        let done = format!(
            "已导入台账“{name}”：{} 人；新建卡 {}，变动 {}，返贫挂号 {}，脱贫销号 {}",
            out.persons, out.added, out.changed, out.returned, out.removed
        );
        let to = format!(
            "/ledger?done={}",
            percent_encoding::utf8_percent_encode(&done, percent_encoding::NON_ALPHANUMERIC)
        );
        return Ok(Redirect::to(&to).into_response());
    }
    let who = Who::of(&st.schemas, &session);
    let body = html! {
        h1 { "台账“" (name) "”有错误，未导入" }
        p { "请改正下列问题后重新导入；数据库中的台账不变。" }
        (findings_table(&out.findings))
        p { a.button href="/ledger" { "返回台账" } }
    };
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, layout::page("台账未导入", Some(&who), body)).into_response())
}

/// A county's persons, masked: with a button for each card in full and the export with a
/// reason where the account is granted them. `county` is given to the forms for a city's or the
/// province's account.
fn people_section(name: &str, people: &(usize, Vec<crate::workflow::ledger::PersonRow>), granted: bool, county: Option<&str>) -> Markup {
    html! {
        section.card {
            h2 { (name) " 人员（遮蔽显示）" }
            @if people.0 == 0 {
                p.muted { "台账中还没有人员。" }
            } @else {
                p.muted {
                    "共 " (people.0) " 人" @if people.0 > LISTED { "，列出前 " (LISTED) " 人" } "。身份证号码、姓名和电话遮蔽显示。"
                    @if granted { "本账号已获授权，可查看单个人员的完整信息（每次查看记入审计日志）。" }
                    @else { "查看完整信息须经系统管理员授权。" }
                }
                div.scroll {
                    table.list.people {
                        thead { tr { th { "乡镇（街道）" } th { "身份证号码" } th { "姓名" } th { "电话" } th { "状态" } th { "起始" } @if granted { th {} } } }
                        tbody {
                            @for p in &people.1 {
                                tr {
                                    td { (p.township) } td.mono { (p.id_masked) } td { (p.name_masked) } td.mono { (p.phone_masked) } td { (p.kind) } td { (p.day) }
                                    @if granted {
                                        td {
                                            form method="post" action="/ledger/unmask" {
                                                input type="hidden" name="person" value=(p.id);
                                                @if let Some(c) = county { input type="hidden" name="county" value=(c); }
                                                button.small type="submit" { "查看完整信息" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if granted {
                    form method="post" action="/ledger/export" {
                        @if let Some(c) = county { input type="hidden" name="county" value=(c); }
                        label.field { span { "导出人员名单（完整信息，须写明用途，记入审计日志）" } textarea name="reason" rows="2" required placeholder="例如：入户核实 11 月返乡人员" {} }
                        button type="submit" { "导出" }
                    }
                }
            }
        }
    }
}

fn findings_table(findings: &[crate::finding::Finding]) -> Markup {
    html! {
        table.list.findings {
            thead { tr { th { "位置" } th { "代码" } th { "问题" } } }
            tbody {
                @for f in findings {
                    tr class=(f.severity.label()) {
                        td { (f.sheet.as_deref().unwrap_or("")) @if let Some(c) = &f.cell { "!" (c) } }
                        td { (f.code.as_str()) }
                        td { (f.message) }
                    }
                }
            }
        }
    }
}

/// `GET /ledger/sheet?period=`: the month counted from the register, as the mandated workbook.
pub async fn sheet(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<LedgerQuery>) -> Result<Response, PageError> {
    let period = month(&st, q.period.as_deref())?;
    let county = own_county(&st, &session)
        .ok_or_else(|| ApiError::Forbidden("由台账生成的报表给县区下载".into()))?
        .clone();
    let actor = session.actor.clone();
    let c = county.clone();
    let derived = st
        .with_workflow(move |wf| Ok(wf.derived_sheet(&actor, &c, period, None)?))
        .await?
        .ok_or_else(|| ApiError::NotFound("还没有导入台账".into()))?;
    let mut wb = crate::cmd::ledger::sheet_workbook(&st.schemas, &county, period, &derived.rows).map_err(|e| ApiError::Internal(e.to_string()))?;
    let bytes = wb.save_to_buffer().map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(download(bytes, &crate::workbook::file_name(&county, period)))
}

/// Pages and files with personal information are kept by no cache.
fn private(mut res: Response) -> Response {
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The region a request names by its code.
fn named_region<'a>(st: &'a AppState, code: &str) -> Result<&'a crate::schema::Region, ApiError> {
    st.schemas.regions.get(code).ok_or_else(|| ApiError::NotFound(format!("没有地区 {code}")))
}

/// What a request for personal information needs: the county (the one named, for a city's or
/// the province's account; else the account's own) and the key. Whether the account may see it
/// is the workflow's to say.
fn personal_request(st: &AppState, session: &crate::web::auth::Session, named: Option<&str>) -> Result<(crate::schema::Region, Arc<PersonalKey>), ApiError> {
    let county = match named {
        Some(code) => named_region(st, code)?,
        None => own_county(st, session).ok_or_else(|| ApiError::Forbidden("台账人员信息只给本县区查看".into()))?,
    }
    .clone();
    let key = st
        .personal_key(false)?
        .ok_or_else(|| ApiError::NotFound("还没有个人信息密钥：台账尚未导入".into()))?;
    Ok((county, key))
}

/// `POST /ledger/unmask`: one card in full, for an account granted it (audited).
pub async fn unmask(State(st): State<Arc<AppState>>, Page(session): Page, Form(f): Form<UnmaskForm>) -> Result<Response, PageError> {
    let (county, key) = personal_request(&st, &session, f.county.as_deref())?;
    let back = match &f.county {
        Some(c) => format!("/ledger?county={c}"),
        None => "/ledger".to_string(),
    };
    let actor = session.actor.clone();
    let c = county.clone();
    let card = st.with_workflow(move |wf| Ok(wf.unmask_person(&actor, &c, f.person, &key)?)).await?;
    let who = Who::of(&st.schemas, &session);
    let body = html! {
        h1 { (county.name) " 台账 · 第 " (card.id) " 号人员" }
        p.muted { "本次查看已记入审计日志。请勿截图、转发或打印。" }
        table.list.card { tbody { @for (k, v) in &card.fields { tr { th { (k) } td { (v) } } } } }
        p { a.button href=(back) { "返回台账" } }
    };
    Ok(private(layout::page("人员信息", Some(&who), body).into_response()))
}

/// `POST /ledger/export`: the list in full, with a reason (audited).
pub async fn export(State(st): State<Arc<AppState>>, Page(session): Page, Form(f): Form<ExportForm>) -> Result<Response, PageError> {
    let (county, key) = personal_request(&st, &session, f.county.as_deref())?;
    let actor = session.actor.clone();
    let c = county.clone();
    let (head, rows) = st.with_workflow(move |wf| Ok(wf.export_people(&actor, &c, &f.reason, &key)?)).await?;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    for (c, h) in head.iter().enumerate() {
        ws.write_string(0, c as u16, h).map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).map_err(fail)?;
        }
    }
    let bytes = wb.save_to_buffer().map_err(fail)?;
    Ok(private(download(bytes, &format!("{}-台账人员名单.xlsx", county.name))))
}
