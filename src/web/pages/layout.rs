//! The frame every page shares (header with the account and 退出, the month switcher) and the
//! small pieces pages are made of.

use crate::period::Period;
use crate::schema::Schemas;
use crate::web::auth::Session;
use crate::workflow::scope::Place;
use maud::{DOCTYPE, Markup, html};

/// Who is signed in, as the header shows it.
pub struct Who {
    pub username: String,
    pub region: String,
    pub role: &'static str,
    /// The pages of the account's role, for the header: (address, label).
    pub nav: Vec<(&'static str, &'static str)>,
}

impl Who {
    pub fn of(schemas: &Schemas, session: &Session) -> Who {
        Who {
            username: session.user.username.clone(),
            region: schemas
                .regions
                .get(&session.user.region)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| session.user.region.clone()),
            role: session.actor.role.label(),
            nav: nav_of(schemas, session),
        }
    }
}

/// Which pages an account's header links to.
fn nav_of(schemas: &Schemas, session: &Session) -> Vec<(&'static str, &'static str)> {
    crate::workflow::scope::places(schemas, &session.actor)
        .into_iter()
        .map(|p| (path(p), label(p)))
        .collect()
}

/// Where a place of the cycle is.
pub fn path(p: Place) -> &'static str {
    match p {
        Place::County => "/county",
        Place::Board => "/city",
        Place::Year => "/year",
        Place::Annual => "/annual",
        Place::Ledger => "/ledger",
        Place::Users => "/users",
        Place::Audit => "/audit",
        Place::Password => "/password",
    }
}

fn label(p: Place) -> &'static str {
    match p {
        Place::County => "本县区报表",
        Place::Board => "报送情况",
        Place::Year => "全年情况",
        Place::Annual => "年报",
        Place::Ledger => "台账",
        Place::Users => "账号管理",
        Place::Audit => "审计日志",
        Place::Password => "修改密码",
    }
}

pub fn page(title: &str, who: Option<&Who>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 月报" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "月报" }
                    span.form-name { "建档立卡农村贫困人口就业与社会保障统计" }
                    @if let Some(w) = who {
                        nav.site {
                            @for (href, label) in &w.nav {
                                a href=(href) { (label) }
                            }
                        }
                        div.who {
                            span { (w.region) " · " (w.role) " · " (w.username) }
                            form method="post" action="/logout" {
                                button.link type="submit" { "退出" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub fn error_page(title: &str, message: &str) -> Markup {
    page(
        title,
        None,
        html! {
            section.card.refused {
                h1 { (title) }
                p.message { (message) }
                p { a.button href="/" { "回到首页" } " " button.link type="button" data-back { "返回上一页" } }
            }
        },
    )
}

/// ‹ 上月 · 2026年10月 · 下月 › as links to `base` with `?period=` (and `extra` query text).
pub fn month_switcher(base: &str, period: Period, extra: &str) -> Markup {
    let link = |p: Period| format!("{base}?period={p}{extra}");
    html! {
        nav.months {
            a href=(link(period.prev())) { "‹ " (period.prev().label()) }
            strong { (period.label()) }
            a href=(link(period.next())) { (period.next().label()) " ›" }
        }
    }
}

/// A state as a coloured badge.
pub fn badge(kind: &str, text: &str) -> Markup {
    html! { span class=(format!("badge {kind}")) { (text) } }
}

/// The CSS class of a region's standing.
pub fn state_class(status: &crate::workflow::RegionStatus) -> &'static str {
    use crate::workflow::{Standing, Timeliness};
    match status.standing {
        Standing::Approved(_) => "approved",
        Standing::Accepted(Timeliness::OnTime) => "ok",
        Standing::Accepted(Timeliness::Late { .. }) => "late",
        Standing::Overdue { .. } => "missing overdue",
        Standing::NotDue | Standing::Missing => "missing",
        Standing::Rejected | Standing::Returned => "rejected",
        Standing::Pending => "pending",
    }
}

pub fn sub_status_class(s: crate::workflow::SubStatus) -> &'static str {
    match s {
        crate::workflow::SubStatus::Accepted => "ok",
        crate::workflow::SubStatus::Rejected => "rejected",
        crate::workflow::SubStatus::Pending => "pending",
    }
}

/// The weekday in Chinese.
pub fn weekday(d: chrono::NaiveDate) -> &'static str {
    use chrono::Datelike;
    ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"][d.weekday().num_days_from_monday() as usize]
}

/// The upload form of the county page and of 代报: a drop zone over a file picker, the month,
/// and a 迟报原因 box once the due date has passed.
pub fn upload_form(period: Period, past_due: bool, on_behalf_of: Option<&str>, button: &str) -> Markup {
    html! {
        form.upload method="post" action="/upload" enctype="multipart/form-data" data-busy="正在读取和审核，请稍候…" {
            input type="hidden" name="period" value=(period.to_string());
            @if let Some(code) = on_behalf_of {
                input type="hidden" name="on_behalf_of" value=(code);
            }
            label.drop {
                input #file type="file" name="file" required accept=".xlsx,.xls,.xlsb,.xlsm,.ods,.csv,.tsv,.txt,.htm,.html,.xml";
                span.drop-text { "把报表文件拖到这里，或点击选择文件" }
                span.drop-hint { "Excel、WPS 另存的 xlsx/xls、ods、csv 均可" }
            }
            @if past_due {
                label.field {
                    span { "迟报原因（已过截止日期，必填）" }
                    textarea name="late_reason" rows="2" required placeholder="例如：乡镇数据核实延误" {}
                }
            }
            details.field {
                summary { "说明（可选：表中有提醒项而数据无误时填写）" }
                textarea name="note" rows="2" placeholder="例如：6月集中举办技能培训班，已接受培训人数增加" {}
            }
            button.primary type="submit" { (button) }
        }
    }
}
