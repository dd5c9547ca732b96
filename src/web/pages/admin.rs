//! The pages of account and audit work: 修改密码 for everyone (and the forced change after an
//! administrator set the password), 账号管理 for the 系统管理员 and 安全管理员 of a region
//! (create, disable, enable, reset within their region), and the filterable 审计日志 for those
//! who may read it. Every decision is the workflow's; these pages only ask and show.

use super::layout::{self, Who};
use super::{Page, PageError};
use crate::web::AppState;
use crate::web::api::AuditQuery;
use crate::web::auth::{self, Session};
use crate::workflow::accounts::{AccountAct, NewAccount};
use crate::workflow::audit::{Event, action_label};
use crate::workflow::data::AuditEntry;
use crate::workflow::data::User;
use crate::workflow::{Action, Role};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;

fn rules_text(st: &AppState) -> String {
    let p = &st.policy.password;
    format!(
        "至少 {} 个字符，含大写字母、小写字母、数字、其他符号中的至少 {} 类，不含用户名",
        p.min_chars, p.min_classes
    )
}

fn password_page(st: &AppState, session: &Session, error: Option<&str>, done: bool) -> Markup {
    let who = Who::of(&st.schemas, session);
    layout::page(
        "修改密码",
        Some(&who),
        html! {
            section.card.login {
                h1 { "修改密码" }
                @if done {
                    p.flash { "密码已修改。" a href="/" { "回到首页" } }
                } @else if session.user.must_change {
                    p.error role="alert" { "您的密码由管理员设置或已到期，请先设置自己的新密码。" }
                }
                @if let Some(e) = error {
                    p.error role="alert" { (e) }
                }
                form method="post" action="/password" {
                    label.field { span { "当前密码" } input name="current" type="password" autocomplete="current-password" required; }
                    label.field { span { "新密码" } input name="new" type="password" autocomplete="new-password" required; }
                    label.field { span { "再输入一遍新密码" } input name="again" type="password" autocomplete="new-password" required; }
                    p.muted.rules { (rules_text(st)) }
                    button.primary type="submit" { "修改密码" }
                }
            }
        },
    )
}

/// `GET /password`.
pub async fn password_form(State(st): State<Arc<AppState>>, Page(session): Page) -> Markup {
    password_page(&st, &session, None, false)
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    again: String,
}

/// `POST /password`: the signed-in account's own new password.
pub async fn password_submit(State(st): State<Arc<AppState>>, Page(session): Page, Form(f): Form<PasswordForm>) -> Response {
    if f.new != f.again {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            password_page(&st, &session, Some("两次输入的新密码不一致"), false),
        )
            .into_response();
    }
    match auth::own_password(&st, &session, f.current, f.new).await {
        Ok(()) => {
            let mut s = session;
            s.user.must_change = false;
            password_page(&st, &s, None, true).into_response()
        }
        Err(crate::web::ApiError::Internal(detail)) => PageError::Refused(crate::web::ApiError::Internal(detail)).into_response(),
        Err(e) => {
            let (status, message) = e.report();
            (status, password_page(&st, &session, Some(&message), false)).into_response()
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct UsersQuery {
    done: Option<String>,
}

fn users_page(st: &AppState, session: &Session, (users, contacts): &Managed, flash: Option<&str>, error: Option<&str>) -> Markup {
    let who = Who::of(&st.schemas, session);
    let regions = st.schemas.regions.subtree(&session.user.region);
    let region_name = |c: &str| st.schemas.regions.get(c).map(|r| st.schemas.regions.display(r)).unwrap_or(c.to_string());
    let role_label = |c: &str| Role::of_code(c).map(Role::label).unwrap_or("未知");
    layout::page(
        "账号管理",
        Some(&who),
        html! {
            h1 { "账号管理" }
            p.muted { "管理" (who.region) "及下辖地区的账号。新账号和重设的密码须由本人在首次登录时修改；账号只能停用，不能删除。" }
            @if let Some(m) = flash { p.flash { (m) } }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            section.card {
                h2 { "新建账号" }
                form.filters method="post" action="/users" {
                    label.field { span { "用户名" } input name="username" required autocomplete="off"; }
                    label.field { span { "地区" }
                        select name="region" required {
                            @for r in &regions { option value=(r.code) { (st.schemas.regions.display(r)) } }
                        }
                    }
                    label.field { span { "角色" }
                        select name="role" required {
                            @for r in crate::workflow::accounts::grantable(session.actor.role) { option value=(r.code()) { (r.label()) } }
                        }
                    }
                    label.field { span { "初始密码" } input name="password" type="password" required autocomplete="new-password"; }
                    button.primary type="submit" { "新建" }
                }
                p.muted.rules { "密码规则：" (rules_text(st)) "。填报账号只能属于县区。" }
            }
            section.card {
                h2 { "账号（" (users.len()) "）" }
                table.list.users {
                    thead { tr { th { "用户名" } th { "地区" } th { "角色" } th { "状态" } th { "创建时间" } th { "操作" } } }
                    tbody {
                        @for (u, acts) in users {
                            tr {
                                td { (u.username) }
                                td { (region_name(&u.region)) }
                                td { (role_label(&u.role)) }
                                td {
                                    @if u.disabled { (layout::badge("rejected", "已停用")) }
                                    @else if u.must_change { (layout::badge("pending", "待本人改密码")) }
                                    @else { (layout::badge("ok", "正常")) }
                                    @if u.personal_grant.is_some() { " " (layout::badge("pending", "可查看个人信息")) }
                                }
                                td { (u.created_at.get(..16).unwrap_or(&u.created_at).replace('T', " ")) }
                                td.actions {
                                    @if u.username == session.user.username {
                                        span.muted { "（本人）" }
                                    } @else if acts.is_empty() {
                                        span.muted { "由安全管理员管理" }
                                    }
                                    @for a in acts {
                                        @match a {
                                            AccountAct::Enable => {
                                                form method="post" action=(format!("/users/{}/enable", u.username)) { button type="submit" { "启用" } }
                                            }
                                            AccountAct::Disable => {
                                                form method="post" action=(format!("/users/{}/disable", u.username)) data-confirm=(format!("停用账号 {}？其会话立即失效。", u.username)) {
                                                    button.danger type="submit" { "停用" }
                                                }
                                            }
                                            AccountAct::GrantPersonal => {
                                                form method="post" action=(format!("/users/{}/grant", u.username)) data-confirm=(format!("授权 {} 查看台账个人信息的完整内容？每次查看都记入审计日志。", u.username)) {
                                                    button type="submit" { "授权查看个人信息" }
                                                }
                                            }
                                            AccountAct::RevokePersonal => {
                                                form method="post" action=(format!("/users/{}/revoke", u.username)) { button type="submit" { "收回个人信息授权" } }
                                            }
                                            AccountAct::Reset => {
                                                form method="post" action=(format!("/users/{}/reset", u.username)) {
                                                    input name="password" type="password" required placeholder="新的临时密码" autocomplete="new-password";
                                                    button type="submit" { "重设密码" }
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
            section.card.contacts {
                h2 { "通讯录（" (contacts.len()) "）" }
                p.muted { "收邮件报送（yuebao inbox）时，按发件地址认定是哪个地区的报表；不在通讯录中的发件人照常接收，并提醒核实。" }
                form.filters method="post" action="/users/contacts" {
                    label.field { span { "地区" }
                        select name="region" required {
                            @for r in &regions { option value=(r.code) { (st.schemas.regions.display(r)) } }
                        }
                    }
                    label.field { span { "姓名" } input name="name" autocomplete="off"; }
                    label.field { span { "电子邮件" } input name="email" type="email" required autocomplete="off"; }
                    button.primary type="submit" { "添加或修改" }
                }
                @if !contacts.is_empty() {
                    table.list.contacts {
                        thead { tr { th { "地区" } th { "姓名" } th { "电子邮件" } th { "登记时间" } } }
                        tbody {
                            @for c in contacts.iter() {
                                tr {
                                    td { (region_name(&c.region)) }
                                    td { (c.name.as_deref().unwrap_or("")) }
                                    td { (c.email) }
                                    td { (crate::time::label(c.set_at)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The accounts an admin manages, with what may be done to each, and the address book of its
/// regions.
type Managed = (Vec<(User, Vec<AccountAct>)>, Vec<crate::workflow::Contact>);

async fn managed_users(st: &Arc<AppState>, session: &Session) -> Result<Managed, PageError> {
    let actor = session.actor.clone();
    let own = session.user.region.clone();
    Ok(st
        .with_workflow(move |wf| {
            let region = wf.region(&own)?;
            wf.allow(&actor, Action::ManageUsers, region)?;
            Ok((wf.accounts(&actor)?, wf.contacts(&actor)?))
        })
        .await?)
}

#[derive(serde::Deserialize)]
pub struct ContactForm {
    region: String,
    name: Option<String>,
    email: String,
}

/// `POST /users/contacts`: an address put in the book (or moved to another region).
pub async fn add_contact(State(st): State<Arc<AppState>>, Page(session): Page, Form(f): Form<ContactForm>) -> Result<Response, PageError> {
    let actor = session.actor.clone();
    let outcome = st
        .with_workflow(move |wf| {
            let row = crate::workflow::contacts::ContactRow {
                region: f.region,
                name: f.name,
                email: f.email,
            };
            wf.import_contacts(&actor, &[row])?;
            Ok(())
        })
        .await;
    users_after(&st, &session, outcome, "contact").await
}

/// `GET /users`: the accounts of the region, and the form for a new one.
pub async fn users(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<UsersQuery>) -> Result<Markup, PageError> {
    let list = managed_users(&st, &session).await?;
    let flash = q.done.as_deref().map(|d| match d {
        "add" => "已新建账号。",
        "disable" => "已停用账号，其会话已失效。",
        "enable" => "已启用账号。",
        "reset" => "已重设密码，该账号下次登录时须修改。",
        "grant" => "已授权该账号查看台账个人信息（每次查看记入审计日志）。",
        "revoke" => "已收回该账号查看台账个人信息的授权。",
        "contact" => "已登记到通讯录。",
        _ => "已完成。",
    });
    Ok(users_page(&st, &session, &list, flash, None))
}

/// A refused account change is shown on the same page (with the reason), not as an error page.
async fn users_after(st: &Arc<AppState>, session: &Session, outcome: Result<(), crate::web::ApiError>, done: &str) -> Result<Response, PageError> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/users?done={done}")).into_response()),
        Err(e @ (crate::web::ApiError::Internal(_) | crate::web::ApiError::Forbidden(_))) => Err(PageError::from(e)),
        Err(e) => {
            let list = managed_users(st, session).await?;
            let (status, message) = e.report();
            Ok((status, users_page(st, session, &list, None, Some(&message))).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct AddUserForm {
    username: String,
    region: String,
    role: String,
    password: String,
}

/// `POST /users`: a new account, whose password its owner changes at first login.
pub async fn add_user(State(st): State<Arc<AppState>>, Page(session): Page, Form(f): Form<AddUserForm>) -> Result<Response, PageError> {
    let actor = session.actor.clone();
    let outcome = st
        .with_workflow(move |wf| {
            wf.add_user(
                &actor,
                &NewAccount {
                    username: &f.username,
                    password: &f.password,
                    role: &f.role,
                    region: &f.region,
                    must_change: true,
                },
            )?;
            Ok(())
        })
        .await;
    users_after(&st, &session, outcome, "add").await
}

#[derive(serde::Deserialize)]
pub struct UserActionForm {
    password: Option<String>,
}

/// `POST /users/{name}/disable|enable|reset`.
pub async fn user_action(
    State(st): State<Arc<AppState>>,
    Page(session): Page,
    Path((name, action)): Path<(String, String)>,
    Form(f): Form<UserActionForm>,
) -> Result<Response, PageError> {
    let actor = session.actor.clone();
    let what = action.clone();
    let outcome = st
        .with_workflow(move |wf| {
            match what.as_str() {
                "disable" => wf.set_disabled(&actor, &name, true)?,
                "enable" => wf.set_disabled(&actor, &name, false)?,
                "reset" => wf.set_password(&actor, &name, f.password.as_deref().unwrap_or(""), true)?,
                "grant" => wf.set_personal_grant(&actor, &name, true)?,
                "revoke" => wf.set_personal_grant(&actor, &name, false)?,
                _ => return Err(crate::web::ApiError::NotFound("没有这个操作".into())),
            }
            Ok(())
        })
        .await;
    users_after(&st, &session, outcome, &action).await
}

fn audit_page(st: &AppState, session: &Session, q: &AuditQuery, entries: &[AuditEntry]) -> Markup {
    let who = Who::of(&st.schemas, session);
    let region_name = |c: &str| st.schemas.regions.get(c).map(|r| r.name.clone()).unwrap_or(c.to_string());
    let val = |o: &Option<String>| o.clone().unwrap_or_default();
    html! {
        (layout::page(
            "审计日志",
            Some(&who),
            html! {
                h1 { "审计日志" }
                p.muted { "登录、上传、审核、上报、下载、催报和账号变动，每次操作一条；只追加，不修改、不删除，逐条以哈希相连（yuebao verify 检查）。" }
                form.filters.card method="get" action="/audit" {
                    label.field { span { "起始时间" } input name="since" value=(val(&q.since)) placeholder="2026-11-01"; }
                    label.field { span { "用户" } input name="user" value=(val(&q.user)); }
                    label.field { span { "操作" }
                        select name="action" {
                            option value="" { "全部" }
                            @for e in Event::ALL {
                                option value=(e.code()) selected[q.action.as_deref() == Some(e.code())] { (e.label()) }
                            }
                        }
                    }
                    label.field { span { "地区（代码或名称）" } input name="region" value=(val(&q.region)); }
                    button.primary type="submit" { "筛选" }
                }
                section.card {
                    h2 { "记录（" (entries.len()) "，最新的在前" @if entries.len() >= q.limit.unwrap_or(500).min(5000) { "；只显示最新的 " (entries.len()) " 条，请用筛选缩小范围" } "）" }
                    table.list.audit {
                        thead { tr { th { "序号" } th { "时间" } th { "操作" } th { "用户" } th { "地区" } th { "来自" } th { "内容" } } }
                        tbody {
                            @for e in entries.iter().rev() {
                                tr {
                                    td.num { (e.id) }
                                    td.when { (e.at.get(..19).unwrap_or(&e.at).replace('T', " ")) }
                                    td { (action_label(&e.action)) }
                                    td { (e.actor.as_deref().unwrap_or("本机操作员")) }
                                    td { (e.region.as_deref().map(region_name).unwrap_or_default()) }
                                    td { (e.address.as_deref().unwrap_or("本机")) }
                                    td { (e.description) }
                                }
                            }
                        }
                    }
                }
            },
        ))
    }
}

/// `GET /audit?since=&user=&action=&region=`: the entries the account may read, newest first.
pub async fn audit(State(st): State<Arc<AppState>>, Page(session): Page, Query(q): Query<AuditQuery>) -> Result<Markup, PageError> {
    let filter = q.filter(&st)?;
    let actor = session.actor.clone();
    let entries = st.with_workflow(move |wf| Ok(wf.audit_log(&actor, &filter)?)).await?;
    Ok(audit_page(&st, &session, &q, &entries))
}
