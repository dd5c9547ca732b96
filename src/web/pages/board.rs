//! The city's pages: the board of its counties for a month (what needs action first), the 催报
//! list with a reminder to copy, the rollup download, and per county the drill-down with every
//! version, the comparison of two versions, 退回 / 审核通过 / 解锁 and 代报. A province account
//! gets the list of its cities, each leading to that city's board.

use super::county::{MonthQuery, deadline_card, standing_card, versions_table};
use super::layout::{self, Who};
use super::{Page, PageError, month};
use crate::period::Period;
use crate::schema::Region;
use crate::schema::regions::Level;
use crate::web::AppState;
use crate::web::common::{download, region_or_own, review_call, review_kind, rollup_workbook};
use crate::workflow::chain::Board;
use crate::workflow::{Act, Chase, Comparison, RegionStatus, Standing};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;

fn city_of<'a>(st: &'a AppState, code: &str) -> Result<&'a Region, PageError> {
    Ok(st.schemas.regions.get(code).expect("resolved by region_or_own"))
}

/// `GET /city?period=[&region=]`: the board of a city (a province account picks a city first).
pub async fn board(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<MonthQuery>) -> Result<Response, PageError> {
    let period = month(&st, q.period.as_deref())?;
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let scope = city_of(&st, &code)?;
    if st.schemas.regions.is_leaf(scope) {
        return Ok(Redirect::to(&format!("/county?period={period}")).into_response());
    }
    let actor = session.actor.clone();
    let c2 = code.clone();
    let st2 = Arc::clone(&st);
    // The counties; and the sheets of the cities (the city's own, or the province's cities)
    // with their latest 上报; in the order of what needs action first.
    let board = st
        .with_workflow(move |wf| {
            let scope = st2.schemas.regions.get(&c2).expect("resolved");
            Ok(wf.board(&actor, scope, period)?)
        })
        .await?;
    let who = Who::of(&st.schemas, &session);
    let body = if scope.level <= Level::Province {
        province_board(&st.schemas, scope, period, &board, q.done.as_deref())
    } else {
        city_board(&st.schemas, scope, period, &board, q.done.as_deref())
    };
    Ok(layout::page(&format!("{} {}", scope.name, period.label()), Some(&who), body).into_response())
}

fn days_late(r: &RegionStatus) -> String {
    match r.standing {
        Standing::Accepted(t) | Standing::Approved(t) if t.days_late() > 0 => t.days_late().to_string(),
        Standing::Overdue { days } => format!("逾期 {days}"),
        _ => "—".into(),
    }
}

fn first_accepted(r: &RegionStatus) -> String {
    r.first_accepted.map(crate::time::label).unwrap_or_else(|| "—".into())
}

fn city_board(schemas: &crate::schema::Schemas, city: &Region, period: Period, board: &Board, done: Option<&str>) -> Markup {
    let c = &board.counts;
    let d = &board.deadline;
    html! {
        h1 { (city.name) " · " (period.label()) "报送情况" }
        (layout::month_switcher("/city", period, &format!("&region={}", city.code)))
        @if let Some(d) = done { p.flash role="status" { (done_text(d)) } }
        (report_card(city, period, board))
        section.card.summary {
            p.big {
                "应报 " strong { (c.expected) } " 个县区 · 已接收 " strong { (c.received) }
                @if c.late > 0 { "（其中迟报 " (c.late) "）" }
                " · 已审核通过 " strong { (c.approved) } " · 待催报 " strong.days { (c.chase) }
            }
            @if c.expected > 0 {
                p.muted {
                    "截止日期 " (d.due.format("%Y-%m-%d")) " " (layout::weekday(d.due)) " · 今天 " (d.today.format("%Y-%m-%d"))
                    @if let Some(n) = d.days_past { "，已过截止日期 " (n) " 天" }
                }
            }
            (scope_actions(city, period))
        }
        section.card {
            h2 { "各县区（需要处理的排在前面）" }
            table.list.board {
                thead { tr { th { "县区" } th { "状态" } th { "首次接收" } th { "迟报天数" } th { "版本数" } th { "最近一版来自" } th { "台账" } th { "迟报原因 / 说明 / 问题" } th {} } }
                tbody {
                    @for r in &board.counties { (unit_row(r, period, "查看")) }
                }
            }
        }
        (chase_list(schemas, city, period, &board.chase))
    }
}

/// One unit's row on a board of the sheets it hands in, with a link `action` to its month.
fn unit_row(r: &RegionStatus, period: Period, action: &str) -> Markup {
    html! {
        tr {
            td { a href=(format!("/city/{}?period={period}", r.code)) { (r.name) } }
            td { (layout::badge(layout::state_class(r), &r.text())) }
            td { (first_accepted(r)) }
            td.num { (days_late(r)) }
            td.num { (r.versions) }
            td.channel { (r.latest.as_ref().map(|b| b.channel_text()).unwrap_or_default()) }
            td.register {
                @match r.effective.as_ref().and_then(|b| b.register_text()) {
                    Some(t) if t == "台账一致" => span.ok { (t) },
                    Some(t) => span.warn { (t) },
                    None => span.muted { "—" },
                }
            }
            (reasons_cell(r, false))
            td { a href=(format!("/city/{}?period={period}", r.code)) { (action) } }
        }
    }
}

/// A board row's 迟报原因, 说明 and problems (and, for a city's sheet, that its counties
/// changed after it was reported).
fn reasons_cell(r: &RegionStatus, stale: bool) -> Markup {
    html! {
        td.reasons {
            @if stale { div.warn { "上报后县区报表有变动，待重新上报" } }
            @if let Some(x) = &r.late_reason { div { "迟报原因：" (x) } }
            @if let Some(x) = &r.note { div { "说明：" (x) } }
            @for x in &r.reasons { div { (x) } }
        }
    }
}

/// A board's downloads and links: the rollup of `scope` for the month, and its year.
fn scope_actions(scope: &Region, period: Period) -> Markup {
    html! {
        p.actions {
            a.button href=(format!("/rollup?period={period}&region={}", scope.code)) { "下载" (scope.name) "汇总表（含报送情况）" }
            " "
            a.button.plain href=(format!("/year?region={}&year={}", scope.code, period.year)) { "全年报送情况" }
        }
    }
}

/// The 催报 list: one reminder per region still owing its sheet, ready to copy into a message.
fn chase_list(schemas: &crate::schema::Schemas, sender: &Region, period: Period, chase: &[Chase]) -> Markup {
    html! {
        section.card.chase #chase {
            h2 { "催报（" (chase.len()) "）" }
            @if chase.is_empty() {
                p.muted { "各县区都已报送，无需催报。" }
            } @else {
                p.muted { "复制提醒文字，通过电话、短信或办公系统发给" (schemas.regions.senders_word(sender)) "。" }
                @for (i, r) in chase.iter().enumerate() {
                    @let id = format!("remind-{i}");
                    div.remind {
                        label for=(id) { strong { (r.name) } " · " (r.status) }
                        textarea id=(id) readonly rows="3" { (r.reminder) }
                        button type="button" data-copy=(id) data-remind=(r.code) data-period=(period.to_string()) { "复制" }
                    }
                }
            }
        }
    }
}

/// The city's sheet for the province: the latest 上报 and its standing there, whether its
/// counties have changed since, and the form that reports (again).
fn report_card(city: &Region, period: Period, board: &Board) -> Markup {
    let c = &board.counts;
    // A city reports to the province (省厅); a province under the ministry's installation to it.
    let (up, me) = if city.level == Level::Province {
        ("部", "本省")
    } else {
        ("省厅", "本市")
    };
    html! {
        section.card.report #report {
            h2 { "上报" (up) }
            @match (board.reported_of(&city.code), &board.own) {
                (Some(r), Some(o)) => {
                    p {
                        "已于 " (crate::time::label(r.received_at)) " 上报第 " (r.version) " 版："
                        (layout::badge(layout::state_class(o), &o.text()))
                    }
                    @if let (Standing::Returned, Some(v)) = (o.standing, &o.review) {
                        p.reason.returned { (up) "退回：" (v.reason.as_deref().unwrap_or("")) }
                    }
                    @if r.stale {
                        p.warn.stale { strong { "上报后有县区报表变动，已上报的汇总表已过期。" } "请重新上报。" }
                    }
                }
                _ => { p.muted { "本月尚未上报。" } }
            }
            @if let Some((again, late_reason)) = board.allowed.report() {
                form method="post" action="/report" data-busy="正在汇总并上报…" {
                    input type="hidden" name="region" value=(city.code);
                    input type="hidden" name="period" value=(period.to_string());
                    p { "将按各县区当前有效的报表生成" (city.name) "汇总表（实报 " (c.received) " / 应报 " (c.expected) "），作为" (me) (period.label()) "报表上报" (up) "。" }
                    @if late_reason {
                        label.field {
                            span { "迟报原因（已过截止日期，必填）" }
                            textarea name="late_reason" rows="2" required {}
                        }
                    }
                    details.field {
                        summary { "说明（可选：汇总表有提醒项而数据无误时填写）" }
                        textarea name="note" rows="2" {}
                    }
                    button.primary type="submit" { @if again { "重新上报" } @else { "上报汇总表" } }
                }
                @if city.level == Level::Province {
                    details.field.own-sheet {
                        summary { "或上传本省已汇总好的报表（在本省的安装中生成）" }
                        (layout::upload_form(period, late_reason, None, "上传本省汇总表"))
                    }
                }
            } @else if board.own.as_ref().is_some_and(|o| o.standing.is_approved()) {
                p.muted { (up) "已审核通过本月报表。" }
            }
        }
    }
}

/// The province's board: each city's own sheet (上报 or not, on time or late, out of date), the
/// completeness of its counties inside, what needs action first; the 催报 list of cities.
fn province_board(schemas: &crate::schema::Schemas, province: &Region, period: Period, board: &Board, done: Option<&str>) -> Markup {
    let c = &board.city_counts;
    let stale = board.reported.iter().filter(|(_, r)| r.as_ref().is_some_and(|r| r.stale)).count();
    // The county-level units the province oversees itself (a municipality's districts,
    // 海南省's 五指山市, a city without counties such as 儋州市): reviewed here like a city's counties.
    let direct = board.direct_units(&province.code);
    let dc = crate::workflow::standing::Counts::of(direct.iter().copied());
    let has_cities = !board.cities.is_empty();
    // The ministry's board lists provinces where a province's lists cities.
    let unit = if province.level == Level::Nation { "省" } else { "市" };
    // The ministry receives the provinces' sheets; counties appear only if it holds theirs too.
    let inside_shown = province.level != Level::Nation || board.counts.received > 0;
    let inside_of = board.counties_by_city(schemas);
    html! {
        h1 { (province.name) " · " (period.label()) (if has_cities { format!("各{unit}上报情况") } else { "报送情况".into() }) }
        (layout::month_switcher("/city", period, &format!("&region={}", province.code)))
        @if let Some(d) = done { p.flash role="status" { (done_text(d)) } }
        @if board.own.is_some() { (report_card(province, period, board)) }
        section.card.summary {
            @if has_cities {
                p.big {
                    "应报 " strong { (c.expected) } " 个" (unit) " · 已上报 " strong { (c.received) }
                    @if c.late > 0 { "（其中迟报 " (c.late) "）" }
                    " · 已审核通过 " strong { (c.approved) } " · 待催报 " strong.days { (c.chase) }
                    @if stale > 0 { " · 上报后县区有变动 " strong.days.late { (stale) } }
                }
            }
            @if !direct.is_empty() {
                p.big {
                    "省直管县（市、区）应报 " strong { (dc.expected) } " 个 · 已接收 " strong { (dc.received) }
                    @if dc.late > 0 { "（其中迟报 " (dc.late) "）" }
                    " · 已审核通过 " strong { (dc.approved) } " · 待催报 " strong.days { (dc.chase) }
                }
            }
            (scope_actions(province, period))
        }
        @if !direct.is_empty() {
            section.card {
                h2 { "省直管县（市、区）（需要处理的排在前面）" }
                table.list.board.direct {
                    thead { tr { th { "县（市、区）" } th { "状态" } th { "首次接收" } th { "迟报天数" } th { "版本数" } th { "最近一版来自" } th { "台账" } th { "迟报原因 / 说明 / 问题" } th {} } }
                    tbody {
                        @for r in &direct { (unit_row(r, period, "审核")) }
                    }
                }
            }
        }
        @if has_cities { section.card {
            h2 { "各" (unit) "（需要处理的排在前面）" }
            table.list.board.province {
                thead { tr { th { (unit) } th { (unit) "报表" } th { "上报时间" } th { "迟报天数" } @if inside_shown { th { "县区实报/应报" } th { "县区待催报" } } th { "说明" } th {} } }
                tbody {
                    @for city in &board.cities {
                        @let inside = inside_of.get(city.code.as_str()).copied().unwrap_or_default();
                        tr {
                            td { a href=(format!("/city/{}?period={period}", city.code)) { (city.name) } }
                            td { (layout::badge(layout::state_class(city), &city.text())) }
                            td { (first_accepted(city)) }
                            td.num { (days_late(city)) }
                            @if inside_shown {
                                td.num { (inside.received) " / " (inside.expected) }
                                td.num { (inside.chase) }
                            }
                            (reasons_cell(city, board.reported_of(&city.code).is_some_and(|r| r.stale)))
                            td {
                                a href=(format!("/city/{}?period={period}", city.code)) { "审核" }
                                " · "
                                a href=(format!("/city?period={period}&region={}", city.code)) { "县区" }
                            }
                        }
                    }
                }
            }
        } }
        (chase_list(schemas, province, period, &board.chase))
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
    // The drill-down is the reviewer's; a county's account has its own page.
    if crate::workflow::scope::places(&st.schemas, &session.actor).first() == Some(&crate::workflow::scope::Place::County) {
        return Ok(Redirect::to(&format!("/county?period={period}")).into_response());
    }
    let code = region_or_own(&st, &session, Some(&code))?;
    let actor = session.actor.clone();
    let c2 = code.clone();
    let st2 = Arc::clone(&st);
    let pair = q.old.zip(q.new).filter(|(a, b)| a != b);
    let hints = crate::web::common::reread_hints(&st);
    let (m, comparison) = st
        .with_workflow(move |wf| {
            let region = st2.schemas.regions.get(&c2).expect("resolved");
            let m = wf.region_month(&actor, region, period)?;
            // Without a choice, the latest version against the one before it.
            let subs = &m.history.submissions;
            let latest_two = || (subs.len() >= 2).then(|| (subs[subs.len() - 2].id, subs[subs.len() - 1].id));
            let comparison = pair.or_else(latest_two).map(|(a, b)| wf.compare(&actor, region, a, b, &hints)).transpose()?;
            Ok((m, comparison))
        })
        .await?;
    let region = st.schemas.regions.get(&code).expect("resolved");
    let up = region.parent.clone().unwrap_or_default();
    let who = Who::of(&st.schemas, &session);
    let here = format!("/city/{code}");
    let allowed = &m.allowed;
    let body = html! {
        p.crumbs { a href=(format!("/city?period={period}&region={up}")) { "‹ 返回报送情况" } }
        h1 { (region.name) " · " (period.label()) }
        @if let Some(done) = q.done.as_deref() {
            p.flash role="status" { (done_text(done)) }
        }
        div.cards {
            (standing_card(&m.status, &m.history))
            (deadline_card(period, &m.status, &m.deadline))
        }
        section.card.review {
            h2 { "审核" }
            @if !m.reviews {
                p.muted { "由" (st.schemas.regions.get(&up).map(|r| r.name.clone()).unwrap_or_default()) "审核；此处只读。" }
            } @else if allowed.may(Act::Unlock) {
                p { "本月报表已审核通过并锁定，县区不能再上传。如需修改，请写明原因后解锁。" }
                form method="post" action="/review" {
                    (hidden(&code, period, "unlock"))
                    label.field { span { "解锁原因（必填）" } textarea name="reason" rows="2" required {} }
                    button type="submit" { "解锁" }
                }
            } @else if allowed.may(Act::Approve) {
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
        (versions_table(&m.history, Some((&here, period, comparison.as_ref().map(|c| c.old.id), comparison.as_ref().map(|c| c.new.id)))))
        @if let Some(c) = &comparison { (compare_section(c)) }
        @if let Some(late_reason) = allowed.on_behalf() {
            section.card {
                h2 { "代报" }
                p.muted { "县区报来纸质或邮件报表时，由市级代为上传；记录为代报。" }
                (layout::upload_form(period, late_reason, Some(&code), "代为上传并审核"))
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
        "unlock" => "已解锁，可以重新上传。",
        "report" => "已上报汇总表，省厅会在其页面看到。",
        "report-pending" => "汇总表已上报，但有提醒项尚未说明（待说明）：请在“说明”中写明后重新上报。",
        "report-rejected" => "汇总表未通过审核，见本市报表的审核结果。",
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

#[derive(serde::Deserialize)]
pub struct ReportForm {
    region: String,
    period: String,
    note: Option<String>,
    late_reason: Option<String>,
}

/// `POST /report`: the city's 上报; back to its board with what became of it.
pub async fn report(State(st): State<Arc<AppState>>, Page(session): Page, Form(f): Form<ReportForm>) -> Result<Response, PageError> {
    let period = crate::web::common::period_arg(&f.period)?;
    let out = crate::web::common::report_call(&st, &session, f.region.clone(), period, f.note, f.late_reason).await?;
    let done = match out.submission.status {
        crate::workflow::SubStatus::Accepted => "report",
        crate::workflow::SubStatus::Pending => "report-pending",
        crate::workflow::SubStatus::Rejected => "report-rejected",
    };
    Ok(Redirect::to(&format!("/city?period={period}&region={}&done={done}#report", f.region)).into_response())
}
