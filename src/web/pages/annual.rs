//! 年报: the readiness check of a year for the province or a city (what is missing, returned,
//! waiting for a 说明 or unreviewed, with links), which version is which, and the downloads of
//! the annual workbooks — the province's and each city's for the province, its own for a city.

use super::layout::{self, Who};
use super::{Page, PageError};
use crate::schema::regions::Level;
use crate::web::AppState;
use crate::web::common::{download, region_or_own};
use crate::workflow::annual::Readiness;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct AnnualQuery {
    region: Option<String>,
    year: Option<i32>,
    /// The last month (11 for the package, 12 for the final version); the current one if absent.
    last: Option<u32>,
    /// For a download: whose workbook (the scope itself, or one of the province's cities).
    of: Option<String>,
}

/// The year asked for: `?year=`, else the year of the month being worked on (in January that
/// is still last year's December).
fn year_of(st: &AppState, q: &AnnualQuery) -> Result<i32, PageError> {
    let y = q.year.unwrap_or_else(|| crate::workflow::current_period(&st.schemas, st.now()).year);
    if !(2000..=2100).contains(&y) {
        return Err(PageError::Refused(crate::web::ApiError::BadRequest(format!("年份 {y} 不在 2000–2100 之间"))));
    }
    Ok(y)
}

/// `GET /annual?region=&year=`: the readiness check and the downloads.
pub async fn page(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<AnnualQuery>) -> Result<Markup, PageError> {
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let year = year_of(&st, &q)?;
    let actor = session.actor.clone();
    let (c2, st2) = (code.clone(), Arc::clone(&st));
    let ready = st
        .with_workflow(move |wf| {
            let scope = st2.schemas.regions.get(&c2).expect("resolved");
            Ok(wf.annual_readiness(&actor, scope, year)?)
        })
        .await?;
    let scope = st.schemas.regions.get(&code).expect("resolved");
    let who = Who::of(&st.schemas, &session);
    let mut books = vec![scope];
    if scope.level <= Level::Province {
        books.extend(crate::workflow::standing::cities_under(&st.schemas, scope));
    }
    Ok(layout::page(
        &format!("{} {year}年年报", scope.name),
        Some(&who),
        html! {
            h1 { (scope.name) " · " (year) "年年报" }
            nav.months {
                a href=(format!("/annual?region={code}&year={}", year - 1)) { "‹ " (year - 1) "年" }
                strong { (year) "年" }
                a href=(format!("/annual?region={code}&year={}", year + 1)) { (year + 1) "年 ›" }
            }
            (versions_card(&ready))
            (readiness_card(&ready, scope.level <= Level::Province))
            section.card.downloads {
                h2 { "下载年报" }
                p.muted { "每份年报含年末报表、逐月数据、全年走势图、与上年末比较和各县区报送记录。" }
                table.list {
                    thead { tr { th { "地区" } @for v in &ready.versions { th { (v.name) } } } }
                    tbody {
                        @for r in &books {
                            tr {
                                td { (r.name) }
                                @for v in &ready.versions {
                                    td {
                                        a.button.plain href=(format!("/annual/download?region={code}&of={}&year={year}&last={}", r.code, v.last)) {
                                            "下载" @if v.last == ready.current { "（当前版）" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn versions_card(r: &Readiness) -> Markup {
    html! {
        section.card.versions {
            h2 { "版本" }
            ul {
                @for v in &r.versions {
                    li {
                        strong { (v.name) } "：" (v.purpose)
                        @if v.last == r.current { " " (layout::badge("ok", "当前应编此版")) }
                        @if !v.complete_by_now { " " (layout::badge("pending", "所含月份尚未全部到期")) }
                    }
                }
            }
        }
    }
}

fn readiness_card(r: &Readiness, province: bool) -> Markup {
    let kinds = [
        ("missing", "逾期未报"),
        ("not_due", "未到期未报"),
        ("returned", "审核退回"),
        ("rejected", "未通过"),
        ("pending", "待说明"),
        ("unreviewed", "待审核"),
        ("stale", "上报后有变动"),
    ];
    let shown: Vec<(&str, &str)> = kinds.into_iter().filter(|(k, _)| r.gaps.iter().any(|g| g.kind == *k)).collect();
    let months: Vec<crate::period::Period> = {
        let mut m: Vec<_> = r.gaps.iter().map(|g| g.period).collect();
        m.dedup();
        m
    };
    let count = |p: Option<crate::period::Period>, k: &str| r.gaps.iter().filter(|g| g.kind == k && p.is_none_or(|p| g.period == p)).count();
    html! {
        section.card.readiness {
            h2 { "年报完整性检查（1–" (r.current) "月）" }
            @if r.gaps.is_empty() {
                p.flash { "已检查 " (r.checked) " 个" (if province { "市、县区" } else { "县区" }) "月报，全部已接收并审核通过，可以编制年报。" }
            } @else {
                p.big.warn {
                    "已检查 " (r.checked) " 个月报，有 " strong { (r.gaps.len()) } " 处未就绪："
                    @for (k, label) in &shown { " " (label) " " strong { (count(None, k)) } }
                }
                p.muted { "年报按当前有效的报表编制；下列月份的数据不完整或未经审核，发送前请先处理或知悉。点开某月看逐条明细。" }
                table.list.readiness-summary {
                    thead { tr { th { "月份" } @for (_, label) in &shown { th.num { (label) } } th.num { "合计" } } }
                    tbody {
                        @for p in &months {
                            tr {
                                td { (p.label()) }
                                @for (k, _) in &shown { td.num { @let n = count(Some(*p), k); @if n > 0 { (n) } @else { "—" } } }
                                td.num { strong { (r.gaps.iter().filter(|g| g.period == *p).count()) } }
                            }
                        }
                    }
                }
                @for p in &months {
                    details.month {
                        summary { (p.label()) "：" (r.gaps.iter().filter(|g| g.period == *p).count()) " 处" }
                        table.list.gaps {
                            thead { tr { th { "地区" } th { "所属市" } th { "问题" } th {} } }
                            tbody {
                                @for g in r.gaps.iter().filter(|g| g.period == *p) {
                                    tr class=(g.kind) {
                                        td { (g.name) }
                                        td { (g.city.as_deref().unwrap_or("—")) }
                                        td { (g.label) }
                                        td { a href=(format!("/city/{}?period={}", g.code, g.period)) { "查看" } }
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

/// `GET /annual/download?region=&of=&year=&last=`: one annual workbook.
pub async fn download_book(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<AnnualQuery>) -> Result<Response, PageError> {
    let code = region_or_own(&st, &session, q.region.as_deref())?;
    let of = region_or_own(&st, &session, q.of.as_deref().or(Some(&code)))?;
    let year = year_of(&st, &q)?;
    let actor = session.actor.clone();
    let st2 = Arc::clone(&st);
    let last = q.last;
    let book = st
        .with_workflow(move |wf| {
            let scope = st2.schemas.regions.get(&code).expect("resolved");
            let region = st2.schemas.regions.get(&of).expect("resolved");
            let last = last.unwrap_or_else(|| wf.annual_versions(year).1);
            Ok(wf.download_annual(&actor, scope, region, year, last)?)
        })
        .await?;
    Ok(download(book.bytes, &book.file_name))
}
