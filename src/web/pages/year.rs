//! The year view: a grid of regions × months coloured by on time / late / missing / returned /
//! pending / approved / not yet due — the province's cities (their own sheets), or a city's
//! counties. Completeness and timeliness at a glance, with no manual "complete" step: every
//! cell is the standing the workflow gives for that region and month.

use super::layout::{self, Who};
use super::{Page, PageError};
use crate::period::Period;
use crate::schema::regions::Level;
use crate::web::AppState;
use crate::web::common::region_or_own;
use crate::workflow::{Counts, Listing, RegionStatus, Standing, Timeliness};
use axum::extract::{Query, State};
use maud::{Markup, html};
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct YearQuery {
    region: Option<String>,
    year: Option<i32>,
}

/// A cell: its CSS class and its short text.
fn cell(r: &RegionStatus) -> (&'static str, String) {
    match r.standing {
        Standing::Returned => ("rejected", "退回".into()),
        Standing::Approved(Timeliness::OnTime) => ("approved", "已审".into()),
        Standing::Approved(Timeliness::Late { days }) => ("approved late", format!("已审·迟{days}")),
        Standing::Accepted(Timeliness::OnTime) => ("ok", "按时".into()),
        Standing::Accepted(Timeliness::Late { days }) => ("late", format!("迟{days}")),
        Standing::Overdue { .. } => ("overdue", "未报".into()),
        Standing::NotDue | Standing::Missing => ("future", "未到期".into()),
        Standing::Rejected => ("rejected", "未通过".into()),
        Standing::Pending => ("pending", "待说明".into()),
    }
}

/// `GET /year?region=&year=`: the year of a province (its cities) or a city (its counties).
pub async fn page(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<YearQuery>) -> Result<Markup, PageError> {
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let scope = st.schemas.regions.get(&code).expect("resolved by region_or_own");
    let now_year = crate::workflow::current_period(&st.schemas, st.now()).year;
    let year = q.year.unwrap_or(now_year);
    if !(2000..=2100).contains(&year) {
        return Err(PageError::Refused(crate::web::ApiError::BadRequest(format!("年份 {year} 不在 2000–2100 之间"))));
    }
    let listing = if scope.level <= Level::Province { Listing::Cities } else { Listing::Counties };
    let actor = session.actor.clone();
    let c2 = code.clone();
    let st2 = Arc::clone(&st);
    let months = st
        .with_workflow(move |wf| {
            let scope = st2.schemas.regions.get(&c2).expect("resolved");
            let mut out = Vec::new();
            for m in 1..=12 {
                let p = Period::new(year, m).expect("a month");
                out.push((p, wf.standing(&actor, scope, p, listing)?));
            }
            Ok(out)
        })
        .await?;
    let who = Who::of(&st.schemas, &session);
    let rows: Vec<(String, String)> = months
        .first()
        .map(|(_, r)| r.iter().map(|x| (x.code.clone(), x.name.clone())).collect())
        .unwrap_or_default();
    let what = if listing == Listing::Cities {
        format!("{}上报", st.schemas.regions.senders_word(scope))
    } else {
        "各县区报送".to_string()
    };
    let unit = if listing == Listing::Cities {
        st.schemas.row_heading(scope)
    } else {
        "县区".to_string()
    };
    let tally = |code: &str| {
        let c = Counts::of(months.iter().filter_map(|(_, m)| m.iter().find(|r| r.code == code)));
        (c.on_time, c.late, c.owing)
    };
    // Sheets of divisions since changed are shown under today's (see `workflow::month`).
    let changes = crate::workflow::month::changes(&st.schemas, &code, Period::new(year - 1, 12).expect("December"));
    // A cell opens that region's month: a city's own sheet, or a county's drill-down.
    let link = |code: &str, p: Period| format!("/city/{code}?period={p}");
    Ok(layout::page(
        &format!("{} {year}年", scope.name),
        Some(&who),
        html! {
            h1 { (scope.name) " · " (year) "年" (what) "情况" }
            nav.months {
                a href=(format!("/year?region={code}&year={}", year - 1)) { "‹ " (year - 1) "年" }
                strong { (year) "年" }
                a href=(format!("/year?region={code}&year={}", year + 1)) { (year + 1) "年 ›" }
            }
            p.legend {
                (layout::badge("ok", "按时")) " " (layout::badge("late", "迟报（天数）")) " "
                (layout::badge("approved", "已审核通过")) " " (layout::badge("rejected", "退回/未通过")) " "
                (layout::badge("pending", "待说明")) " " (layout::badge("overdue", "逾期未报")) " "
                (layout::badge("future", "未到期"))
            }
            section.card {
                table.list.year {
                    thead {
                        tr {
                            th { (unit) }
                            @for (p, _) in &months { th.num { (p.month) "月" } }
                            th.num { "按时" } th.num { "迟报" } th.num { "缺报" }
                        }
                    }
                    tbody {
                        @for (code, name) in &rows {
                            @let (on_time, late, missing) = tally(code);
                            tr {
                                td {
                                    @if listing == Listing::Cities {
                                        a href=(format!("/year?region={code}&year={year}")) { (name) }
                                    } @else { (name) }
                                }
                                @for (p, m) in &months {
                                    @if let Some(r) = m.iter().find(|r| &r.code == code) {
                                        @let (class, text) = cell(r);
                                        td class=(format!("cell {class}")) title=(format!("{} {}：{}", name, p.label(), r.text())) {
                                            a href=(link(code, *p)) { (text) }
                                        }
                                    }
                                }
                                td.num { (on_time) } td.num { (late) } td.num.missing { (missing) }
                            }
                        }
                    }
                }
            }
            @if !changes.is_empty() {
                section.card.changes {
                    h2 { (year - 1) "年12月以来的区划变更" }
                    p.muted { "表中按今天的区划显示：已撤销区划报送的报表，计入今天管辖其区域的那一个地区。" }
                    ol { @for c in &changes { li { (c) } } }
                }
            }
            @if listing == Listing::Cities {
                @if scope.level == Level::Nation {
                    p.muted { "点击省名看该省各市的全年情况；点击单元格看该省当月报表。" }
                } @else {
                    p.muted { "点击市名看该市各县区的全年情况；点击单元格看该市当月报表。" }
                }
            } @else if let Some(parent) = scope.parent.as_deref() {
                p { a href=(format!("/year?region={parent}&year={year}")) { "‹ 返回上级全年情况" } }
            }
        },
    ))
}
