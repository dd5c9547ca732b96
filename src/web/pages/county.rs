//! The county's page: the month's due date and working days left, the county's standing (with
//! the reviewer's reason when returned), the blank template, the upload form, and every version
//! handed in.

use super::layout::{self, Who};
use super::{Page, PageError, month};
use crate::period::Period;
use crate::schema::Region;
use crate::web::AppState;
use crate::web::common::{download, region_or_own};
use crate::workflow::Review;
use crate::workflow::review::History;
use crate::workflow::{Deadline, RegionStatus, Standing};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct MonthQuery {
    pub period: Option<String>,
    pub region: Option<String>,
    /// What the page's last form did (a flash message).
    pub done: Option<String>,
}

/// `GET /county?period=`: the county reporter's page (others are sent to their board).
pub async fn page(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<MonthQuery>) -> Result<Response, PageError> {
    let period = month(&st, q.period.as_deref())?;
    let own = region_or_own(&st, &session, None)?;
    let Some(region) = st.schemas.regions.get(&own).filter(|r| st.schemas.regions.is_leaf(r)) else {
        return Ok(Redirect::to(&format!("/city?period={period}")).into_response());
    };
    let actor = session.actor.clone();
    let code = region.code.clone();
    let st2 = Arc::clone(&st);
    let m = st
        .with_workflow(move |wf| {
            let region = st2.schemas.regions.get(&code).expect("the account's region");
            Ok(wf.region_month(&actor, region, period)?)
        })
        .await?;
    let who = Who::of(&st.schemas, &session);
    let body = html! {
        h1 { (region.name) " · " (period.label()) "报表" }
        (layout::month_switcher("/county", period, ""))
        div.cards {
            (deadline_card(period, &m.status, &m.deadline))
            (standing_card(&m.status, &m.history))
        }
        section.card {
            h2 { "上传本月报表" }
            @if let Some(late_reason) = m.allowed.upload() {
                p {
                    a.button href=(format!("/template?period={period}")) { "下载" (period.label()) "空白报表" }
                    span.muted { " 填好后上传，立即给出审核结果。" }
                }
                (layout::upload_form(period, late_reason, None, "上传并审核"))
            } @else if m.status.standing.is_approved() {
                p.note { "本月报表已审核通过并锁定；如需修改，请联系" (st.schemas.regions.reviewer_word(region)) "解锁。" }
            } @else {
                p.note { "本账号不能上传本县区报表。" }
            }
        }
        (versions_table(&m.history, None))
    };
    Ok(layout::page(&format!("{} {}", region.name, period.label()), Some(&who), body).into_response())
}

pub fn deadline_card(period: Period, status: &RegionStatus, d: &Deadline) -> Markup {
    html! {
        section.card.deadline {
            h2 { "截止日期" }
            p.big { (d.due.format("%Y-%m-%d")) " " span.muted { (layout::weekday(d.due)) } }
            @match (d.working_days_left, d.days_past) {
                (Some(left), _) => {
                    p { (period.label()) "报表应于截止日期当天结束前上报，" strong.days { "还有 " (left) " 个工作日" } "（含今天）。" }
                }
                (None, Some(past)) if status.standing.received().is_some() => {
                    p.muted { "截止日期已过 " (past) " 天；本月报表已接收。" }
                }
                (None, past) => {
                    p { "已过截止日期 " strong.days.late { (past.unwrap_or_default()) " 天" } "，请尽快上报并写明迟报原因。" }
                }
            }
            @if !d.covered {
                p.warn { "节假日安排未收录该年份，截止日期按周末顺延推算，请以正式通知为准。" }
            }
        }
    }
}

pub fn standing_card(status: &RegionStatus, history: &History) -> Markup {
    let latest = history.submissions.last();
    html! {
        section.card.standing {
            h2 { "本月状态" }
            p.big { (layout::badge(layout::state_class(status), &status.text())) }
            @if let Some(r) = &status.review {
                p class=(if status.standing == Standing::Returned { "reason returned" } else { "reason" }) { (r.sentence()) }
            }
            @if let Some(l) = latest {
                p.muted {
                    "最新：第 " (l.version) " 版，" (crate::time::label(l.received_at)) "，" (l.status.label())
                    " · " a href=(format!("/submissions/{}", l.id)) { "查看审核结果" }
                }
            } @else {
                p.muted { "本月还没有上传过报表。" }
            }
            @if let Some(r) = &status.late_reason {
                p { "迟报原因：" (r) }
            }
        }
    }
}

/// Every version of the month, newest first; with `compare` the radio buttons to pick two.
pub fn versions_table(history: &History, compare: Option<(&str, Period, Option<i64>, Option<i64>)>) -> Markup {
    let subs: Vec<_> = history.submissions.iter().rev().collect();
    html! {
        section.card {
            h2 { "历次上传" }
            @if subs.is_empty() {
                p.muted { "暂无。" }
            } @else {
                form method="get" action=(compare.map(|c| c.0).unwrap_or("")) {
                    @if let Some((_, period, _, _)) = compare {
                        input type="hidden" name="period" value=(period.to_string());
                    }
                    table.list.versions {
                        thead { tr {
                            th { "版本" } th { "结果" } th { "收到时间" } th { "上传人" } th { "渠道" } th { "错误/警告" } th { "说明与迟报原因" } th { "文件" }
                            @if compare.is_some() { th { "对比（旧 / 新）" } }
                        } }
                        tbody {
                            @for s in &subs {
                                tr {
                                    td { "第 " (s.version) " 版" }
                                    td { (layout::badge(layout::sub_status_class(s.status), s.status.label())) }
                                    td { (crate::time::label(s.received_at)) }
                                    td {
                                        (s.submitted_by.as_deref().unwrap_or("—"))
                                        @if s.on_behalf_of.is_some() { " " span.tag { "代报" } }
                                    }
                                    td.channel {
                                        @if let Some(c) = s.channel { (c.label()) }
                                        @if let Some(a) = &s.sender { " " (a) }
                                    }
                                    td.num { (s.errors) " / " (s.warnings) }
                                    td {
                                        @if let Some(n) = &s.note { div { "说明：" (n) } }
                                        @if let Some(r) = &s.late_reason { div { "迟报原因：" (r) } }
                                    }
                                    td {
                                        a href=(format!("/submissions/{}", s.id)) { "审核结果" } " · "
                                        a href=(format!("/submissions/{}/original", s.id)) title=(s.file_name) { "原件" }
                                    }
                                    @if let Some((_, _, old, new)) = compare {
                                        td.pick {
                                            input type="radio" name="old" value=(s.id) checked[old == Some(s.id)] aria-label=(format!("第 {} 版作为旧版本", s.version));
                                            input type="radio" name="new" value=(s.id) checked[new == Some(s.id)] aria-label=(format!("第 {} 版作为新版本", s.version));
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if compare.is_some() && subs.len() > 1 {
                        p { button type="submit" { "对比所选两个版本" } }
                    }
                }
            }
            @if !history.reviews.is_empty() {
                h3 { "审核记录" }
                ul.events { @for r in &history.reviews { li { (review_line(r)) } } }
            }
        }
    }
}

fn review_line(r: &Review) -> String {
    let who = r.by.as_deref().map(|b| format!("，{b}")).unwrap_or_default();
    let why = r.reason.as_deref().map(|x| format!("：{x}")).unwrap_or_default();
    format!("{}（{}{who}）{why}", r.action.label(), crate::time::label(r.at))
}

/// `GET /template?period=[&region=]`: the blank form of the account's region (or one below it).
pub async fn template(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<MonthQuery>) -> Result<Response, PageError> {
    let period = month(&st, q.period.as_deref())?;
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let actor = session.actor.clone();
    let st2 = Arc::clone(&st);
    let (bytes, name) = st
        .with_workflow(move |wf| {
            let region: &Region = st2.schemas.regions.get(&code).expect("resolved");
            Ok(wf.blank_form(&actor, region, period)?)
        })
        .await?;
    Ok(download(bytes, &name))
}
