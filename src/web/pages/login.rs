//! 登录 and 退出 for people: a form that sets the same session cookie as `POST /api/login`.

use super::layout;
use crate::web::AppState;
use crate::web::auth::{self, Session};
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::net::SocketAddr;
use std::sync::Arc;

fn login_page(error: Option<&str>, username: &str) -> Markup {
    layout::page(
        "登录",
        None,
        html! {
            section.card.login {
                h1 { "登录" }
                p.lead { "县区填报、市级审核账号由管理员开设。" }
                @if let Some(e) = error {
                    p.error role="alert" { (e) }
                }
                form method="post" action="/login" {
                    label.field { span { "用户名" } input name="username" autocomplete="username" required autofocus value=(username); }
                    label.field { span { "密码" } input name="password" type="password" autocomplete="current-password" required; }
                    button.primary type="submit" { "登录" }
                }
            }
        },
    )
}

pub async fn form() -> Markup {
    login_page(None, "")
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

pub async fn submit(State(st): State<Arc<AppState>>, ConnectInfo(addr): ConnectInfo<SocketAddr>, Form(f): Form<LoginForm>) -> Response {
    let username = f.username.clone();
    match auth::check_login(&st, f.username, f.password, addr).await {
        Ok(login) => {
            let mut res = Redirect::to("/").into_response();
            res.headers_mut().insert(header::SET_COOKIE, auth::set_cookie(&st, &login.token, None));
            res
        }
        Err(e) => {
            if let crate::web::ApiError::Internal(detail) = &e {
                eprintln!("yuebao serve: {detail}");
            }
            let (status, message) = e.report();
            (status, login_page(Some(&message), &username)).into_response()
        }
    }
}

pub async fn logout(State(st): State<Arc<AppState>>, session: Option<Session>) -> Response {
    if let Some(s) = session {
        let token = s.token.clone();
        let actor = s.actor.clone();
        // The cookie is cleared whatever the store says.
        let _ = st.with_workflow(move |wf| Ok(wf.logout(&actor, &token)?)).await;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(header::SET_COOKIE, auth::set_cookie(&st, "", Some(0)));
    res
}
