//! The city's pages: the board of its counties for a month (what needs action first), the 催报
//! list with a reminder to copy, the rollup download, and per county the drill-down with every
//! version, the comparison of two versions, 退回 / 审核通过 / 解锁 and 代报. A province account
//! gets the list of its cities, each leading to that city's board.

use super::county::{MonthQuery, deadline_card, past_due, standing_card, versions_table};
use super::layout::{self, Who};
use super::{Page, PageError, month};
use crate::period::Period;
use crate::schema::Region;
use crate::schema::regions::Level;
use crate::web::AppState;
use crate::web::common::{download, region_or_own, review_call, review_kind, rollup_workbook};
use crate::workflow::{Comparison, Listing, RegionStatus, State as Standing};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;

/// What needs the city's action first: sheets waiting for its review, then counties overdue,
/// returned or waiting for a 说明 (to chase), then those not yet due, then what is approved.
fn urgency(r: &RegionStatus) -> u8 {
    let approved = r.review.as_ref().is_some_and(|v| !v.is_return());
    match r.state {
        Standing::OnTime | Standing::Late { .. } if !approved => 0,
        Standing::Missing { overdue_days: Some(_) } => 1,
        Standing::Rejected => 2,
        Standing::Pending => 3,
        Standing::Missing { overdue_days: None } => 4,
        Standing::OnTime | Standing::Late { .. } => 5,
    }
}

fn city_of<'a>(st: &'a AppState, code: &str) -> Result<&'a Region, PageError> {
    Ok(st.schemas.regions.get(code).expect("resolved by region_or_own"))
}

/// `GET /city?period=[&region=]`: the board of a city (a province account picks a city first).
pub async fn board(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<MonthQuery>) -> Result<Response, PageError> {
    let period = month(&st, q.period.as_deref())?;
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let scope = city_of(&st, &code)?;
    if scope.level == Level::County {
        return Ok(Redirect::to(&format!("/county?period={period}")).into_response());
    }
    let actor = session.actor.clone();
    let c2 = code.clone();
    let st2 = Arc::clone(&st);
    let mut rows = st
        .with_workflow(move |wf| {
            let scope = st2.schemas.regions.get(&c2).expect("resolved");
            Ok(wf.standing(&actor, scope, period, Listing::Counties)?)
        })
        .await?;
    let who = Who::of(&st.schemas, &session);
    let body = if scope.level == Level::Province {
        province_list(&st, scope, period, &rows)
    } else {
        rows.sort_by_key(|r| (urgency(r), r.code.clone()));
        city_board(&st, scope, period, &rows)
    };
    Ok(layout::page(&format!("{} {}", scope.name, period.label()), Some(&who), body).into_response())
}

fn days_late(r: &RegionStatus) -> String {
    match r.state {
        Standing::Late { days } => days.to_string(),
        Standing::Missing { overdue_days: Some(d) } => format!("逾期 {d}"),
        _ => "—".into(),
    }
}

fn counts(rows: &[RegionStatus]) -> (usize, usize, usize, usize) {
    let accepted = rows.iter().filter(|r| matches!(r.state, Standing::OnTime | Standing::Late { .. })).count();
    let late = rows.iter().filter(|r| matches!(r.state, Standing::Late { .. })).count();
    let approved = rows.iter().filter(|r| r.review.as_ref().is_some_and(|v| !v.is_return())).count();
    let chase = rows.iter().filter(|r| r.state.needs_chasing()).count();
    (accepted, late, approved, chase)
}

fn city_board(st: &AppState, city: &Region, period: Period, rows: &[RegionStatus]) -> Markup {
    let (accepted, late, approved, chase) = counts(rows);
    let today = crate::time::day(st.now());
    let due = rows.first().map(|r| r.due);
    html! {
        h1 { (city.name) " · " (period.label()) "报送情况" }
        (layout::month_switcher("/city", period, &format!("&region={}", city.code)))
        section.card.summary {
            p.big {
                "应报 " strong { (rows.len()) } " 个县区 · 已接收 " strong { (accepted) }
                @if late > 0 { "（其中迟报 " (late) "）" }
                " · 已审核通过 " strong { (approved) } " · 待催报 " strong.days { (chase) }
            }
            @if let Some(d) = due {
                p.muted {
                    "截止日期 " (d.format("%Y-%m-%d")) " " (layout::weekday(d)) " · 今天 " (today.format("%Y-%m-%d"))
                    @if today > d { "，已过截止日期 " ((today - d).num_days()) " 天" }
                }
            }
            p.actions {
                a.button href=(format!("/rollup?period={period}&region={}", city.code)) { "下载" (city.name) "汇总表（含报送情况）" }
            }
        }
        section.card {
            h2 { "各县区（需要处理的排在前面）" }
            table.list.board {
                thead { tr { th { "县区" } th { "状态" } th { "首次接收" } th { "迟报天数" } th { "版本数" } th { "迟报原因 / 说明 / 问题" } th {} } }
                tbody {
                    @for r in rows {
                        tr {
                            td { a href=(format!("/city/{}?period={period}", r.code)) { (r.name) } }
                            td { (layout::badge(layout::state_class(r), &layout::state_text(r))) }
                            td { (r.first_accepted.as_deref().unwrap_or("—")) }
                            td.num { (days_late(r)) }
                            td.num { (r.versions) }
                            td.reasons {
                                @if let Some(x) = &r.late_reason { div { "迟报原因：" (x) } }
                                @if let Some(x) = &r.note { div { "说明：" (x) } }
                                @for x in &r.reasons { div { (x) } }
                            }
                            td { a href=(format!("/city/{}?period={period}", r.code)) { "查看" } }
                        }
                    }
                }
            }
        }
        (chase_list(st, city, period, rows))
    }
}

/// The 催报 list: one reminder per county still owing its sheet, ready to copy into a message.
fn chase_list(st: &AppState, city: &Region, period: Period, rows: &[RegionStatus]) -> Markup {
    let owing: Vec<&RegionStatus> = rows.iter().filter(|r| r.state.needs_chasing()).collect();
    let today = crate::time::day(st.now());
    let form = &st.schemas.form().name;
    html! {
        section.card.chase #chase {
            h2 { "催报（" (owing.len()) "）" }
            @if owing.is_empty() {
                p.muted { "各县区都已报送，无需催报。" }
            } @else {
                p.muted { "复制提醒文字，通过电话、短信或办公系统发给县区。" }
                @for (i, r) in owing.iter().enumerate() {
                    @let id = format!("remind-{i}");
                    div.remind {
                        label for=(id) { strong { (r.name) } " · " (r.label) }
                        textarea id=(id) readonly rows="3" { (reminder(city, period, form, today, r)) }
                        button type="button" data-copy=(id) data-remind=(r.code) data-period=(period.to_string()) { "复制" }
                    }
                }
            }
        }
    }
}

pub fn reminder(city: &Region, period: Period, form: &str, today: chrono::NaiveDate, r: &RegionStatus) -> String {
    let due = r.due.format("%Y年%-m月%-d日");
    let why = match (&r.state, &r.review) {
        (_, Some(v)) if v.is_return() => format!("贵单位报表已被审核退回（{}），请改正后重新上传", v.reason.as_deref().unwrap_or("见门户")),
        (Standing::Missing { overdue_days: Some(d) }, _) => format!("尚未收到贵单位报表，已逾期 {d} 天，请尽快上报"),
        (Standing::Missing { overdue_days: None }, _) => "尚未收到贵单位报表，请按时上报".into(),
        (Standing::Pending, _) => "贵单位报表有警告项尚未说明，请在门户填写说明后提交，或改正后重新上传".into(),
        _ => "贵单位上传的报表未通过审核，请在门户查看问题，改正后重新上传".into(),
    };
    format!(
        "【催报】{}：{}《{form}》应于{due}前报送。截至{}，{why}。如已处理请忽略。——{}",
        r.name,
        period.label(),
        today.format("%-m月%-d日"),
        city.name
    )
}

fn province_list(st: &AppState, province: &Region, period: Period, rows: &[RegionStatus]) -> Markup {
    let cities = st.schemas.regions.children(&province.code);
    html! {
        h1 { (province.name) " · " (period.label()) }
        (layout::month_switcher("/city", period, &format!("&region={}", province.code)))
        section.card {
            h2 { "各市县区报送" }
            table.list {
                thead { tr { th { "市" } th { "应报县区" } th { "已接收" } th { "待催报" } th {} } }
                tbody {
                    @for c in &cities {
                        @let mine: Vec<RegionStatus> = rows.iter().filter(|r| r.city.as_deref() == Some(c.code.as_str())).cloned().collect();
                        @let (accepted, _, _, chase) = counts(&mine);
                        tr {
                            td { (c.name) }
                            td.num { (mine.len()) }
                            td.num { (accepted) }
                            td.num { (chase) }
                            td { a href=(format!("/city?period={period}&region={}", c.code)) { "查看" } }
                        }
                    }
                }
            }
            p.actions { a.button href=(format!("/rollup?period={period}&region={}", province.code)) { "下载" (province.name) "汇总表" } }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct DrillQuery {
    period: Option<String>,
    old: Option<i64>,
    new: Option<i64>,
    done: Option<String>,
}

/// `GET /city/{code}?period=[&old=&new=]`: one county's month for its reviewer.
pub async fn drill(State(st): State<Arc<AppState>>, Page(session): Page, Path(code): Path<String>, Query(q): Query<DrillQuery>) -> Result<Response, PageError> {
    let period = month(&st, q.period.as_deref())?;
    // A county's reporter has its own page; the drill-down is the reviewer's.
    if session.actor.role == crate::workflow::Role::Reporter {
        return Ok(Redirect::to(&format!("/county?period={period}")).into_response());
    }
    let code = region_or_own(&st, &session, Some(&code))?;
    let actor = session.actor.clone();
    let c2 = code.clone();
    let st2 = Arc::clone(&st);
    let pair = q.old.zip(q.new).filter(|(a, b)| a != b);
    let hints = crate::web::common::reread_hints(&st);
    let (status, history, comparison) = st
        .with_workflow(move |wf| {
            let region = st2.schemas.regions.get(&c2).expect("resolved");
            let (status, history) = wf.region_month(&actor, region, period)?;
            // Without a choice, the latest version against the one before it.
            let latest_two = || {
                let n = history.submissions.len();
                (n >= 2).then(|| (history.submissions[n - 2].id, history.submissions[n - 1].id))
            };
            let comparison = pair.or_else(latest_two).map(|(a, b)| wf.compare(&actor, region, a, b, &hints)).transpose()?;
            Ok((status, history, comparison))
        })
        .await?;
    let region = st.schemas.regions.get(&code).expect("resolved");
    let up = region.parent.clone().unwrap_or_default();
    let who = Who::of(&st.schemas, &session);
    let approved = status.review.as_ref().is_some_and(|r| !r.is_return());
    let here = format!("/city/{code}");
    let body = html! {
        p.crumbs { a href=(format!("/city?period={period}&region={up}")) { "‹ 返回报送情况" } }
        h1 { (region.name) " · " (period.label()) }
        @if let Some(done) = q.done.as_deref() {
            p.flash role="status" { (done_text(done)) }
        }
        div.cards {
            (standing_card(&status, &history))
            (deadline_card(&st, period, &status))
        }
        section.card.review {
            h2 { "审核" }
            @if approved {
                p { "本月报表已审核通过并锁定，县区不能再上传。如需修改，请写明原因后解锁。" }
                form method="post" action="/review" {
                    (hidden(&code, period, "unlock"))
                    label.field { span { "解锁原因（必填）" } textarea name="reason" rows="2" required {} }
                    button type="submit" { "解锁" }
                }
            } @else if status.effective.is_some() {
                div.review-actions {
                    form method="post" action="/review" data-confirm="审核通过后本月报表将锁定，确定吗？" {
                        (hidden(&code, period, "approve"))
                        button.primary type="submit" { "审核通过" }
                    }
                    form method="post" action="/review" {
                        (hidden(&code, period, "return"))
                        label.field { span { "退回原因（必填，县区会看到）" } textarea name="reason" rows="2" required placeholder="例如：第(5)栏与扶贫台账不符，请核实" {} }
                        button.danger type="submit" { "退回" }
                    }
                }
            } @else {
                p.muted { "还没有可审核的版本（没有已接收的报表，或已退回待县区重报）。" }
            }
        }
        (versions_table(&history, Some((&here, period, comparison.as_ref().map(|c| c.old.id), comparison.as_ref().map(|c| c.new.id)))))
        @if let Some(c) = &comparison { (compare_section(c)) }
        @if !approved {
            section.card {
                h2 { "代报" }
                p.muted { "县区报来纸质或邮件报表时，由市级代为上传；记录为代报。" }
                (layout::upload_form(period, past_due(&st, &status), Some(&code), "代为上传并审核"))
            }
        }
    };
    Ok(layout::page(&format!("{} {}", region.name, period.label()), Some(&who), body).into_response())
}

fn hidden(code: &str, period: Period, action: &str) -> Markup {
    html! {
        input type="hidden" name="region" value=(code);
        input type="hidden" name="period" value=(period.to_string());
        input type="hidden" name="action" value=(action);
    }
}

fn done_text(done: &str) -> &'static str {
    match done {
        "return" => "已退回，县区会在其页面看到退回原因。",
        "approve" => "已审核通过，本月报表已锁定。",
        "unlock" => "已解锁，县区可以重新上传。",
        _ => "已完成。",
    }
}

fn value(v: Option<i64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "（无此行）".into())
}

fn compare_section(c: &Comparison) -> Markup {
    html! {
        section.card.compare #compare {
            h2 { "第 " (c.old.version) " 版 → 第 " (c.new.version) " 版" }
            @if !c.comparable {
                p.warn { "其中一个版本没有可读的报表数据，只能对比审核发现。" }
            } @else if c.cells.is_empty() {
                p { "两个版本的数字完全相同。" }
            } @else {
                @if !c.rows_added.is_empty() { p { "新增行：" (c.rows_added.join("、")) } }
                @if !c.rows_removed.is_empty() { p { "删去行：" (c.rows_removed.join("、")) } }
                table.list.changes {
                    thead { tr { th { "行" } th { "栏目" } th.num { "原值" } th.num { "新值" } } }
                    tbody {
                        @for x in &c.cells {
                            tr {
                                td { (x.row) }
                                td { "第(" (x.column) ")栏 " (x.column_name) }
                                td.num.old { (value(x.old)) }
                                td.num.new { (value(x.new)) }
                            }
                        }
                    }
                }
            }
            div.cards {
                div {
                    h3 { "已改正的问题（" (c.fixed.len()) "）" }
                    ul.fixed { @for f in &c.fixed { li { (f.code.as_str()) " " (f.message) } } }
                }
                div {
                    h3 { "新出现的问题（" (c.appeared.len()) "）" }
                    ul.appeared { @for f in &c.appeared { li { (f.code.as_str()) " " (f.message) } } }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ReviewForm {
    region: String,
    period: String,
    action: String,
    reason: Option<String>,
}

/// `POST /review`: 退回 / 审核通过 / 解锁 from the drill-down; back to it with what was done.
pub async fn review(State(st): State<Arc<AppState>>, Page(session): Page, Form(f): Form<ReviewForm>) -> Result<Response, PageError> {
    let kind = review_kind(&f.action)?;
    let period = crate::web::common::period_arg(&f.period)?;
    let out = review_call(&st, &session, f.region, period, kind, f.reason).await?;
    Ok(Redirect::to(&format!("/city/{}?period={period}&done={}", out.region, f.action)).into_response())
}

/// `GET /rollup?period=&region=`: the rollup workbook (with its 报送情况 sheet).
pub async fn rollup(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<MonthQuery>) -> Result<Response, PageError> {
    let period = month(&st, q.period.as_deref())?;
    let (bytes, name) = rollup_workbook(&st, &session, q.region.as_deref(), period).await?;
    Ok(download(bytes, &name))
}

#[derive(serde::Deserialize)]
pub struct RemindForm {
    region: String,
    period: String,
}

/// `POST /remind` (sent by the page when a reminder is copied): audited as 催报.
pub async fn remind(State(st): State<Arc<AppState>>, Page(session): Page, Form(f): Form<RemindForm>) -> Result<Response, PageError> {
    let period = crate::web::common::period_arg(&f.period)?;
    let actor = session.actor.clone();
    st.with_workflow(move |wf| Ok(wf.remind(&actor, &f.region, period)?)).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
