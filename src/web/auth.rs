//! Who is asking: the session cookie, the one extractor that turns it into an account and an
//! actor, login and logout, and the same-origin check that every state-changing request passes.
//!
//! The cookie is `HttpOnly; SameSite=Strict; Path=/`, `Secure` only with `--secure-cookie`
//! (plain http on an intranet otherwise), and not `__Host-` (which requires Secure). A form or
//! script from another site cannot act: SameSite keeps the cookie off its requests, and a POST
//! whose `Origin` (or `Sec-Fetch-Site`) says another site is refused before any handler runs.

use super::{ApiError, AppState};
use crate::store::accounts::User;
use crate::workflow::Actor;
use crate::workflow::accounts::actor_of;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, extract::FromRef};
use std::net::SocketAddr;
use std::sync::Arc;

pub const COOKIE: &str = "yuebao_session";

/// What an account that must change its password may still reach.
const MAY_BEFORE_CHANGE: &[&str] = &["/password", "/api/password", "/logout", "/api/logout", "/api/me"];

/// The signed-in account behind a request, and the actor it acts as.
pub struct Session {
    pub token: String,
    pub user: User,
    pub actor: Actor,
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl<S> FromRequestParts<S> for Session
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Session, ApiError> {
        let st = Arc::<AppState>::from_ref(state);
        let token = cookie_token(&parts.headers).ok_or_else(ApiError::login_required)?;
        let t = token.clone();
        let user = st.with_workflow(move |wf| Ok(wf.session(&t)?)).await?.ok_or_else(ApiError::login_required)?;
        // A password set by an administrator (or too old) is changed before anything else.
        if user.must_change && !MAY_BEFORE_CHANGE.contains(&parts.uri.path()) {
            return Err(ApiError::MustChangePassword);
        }
        let mut actor = actor_of(&user);
        actor.address = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(Session { token, actor, user })
    }
}

/// For pages that differ with and without a session (the login form, 退出).
impl<S> axum::extract::OptionalFromRequestParts<S> for Session
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Session>, ApiError> {
        match <Session as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(s) => Ok(Some(s)),
            Err(ApiError::Unauthorized(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

pub fn set_cookie(st: &AppState, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if st.secure_cookie { "; Secure" } else { "" };
    let age = max_age.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/{secure}{age}")).expect("cookie text is ASCII")
}

/// The account as the API shows it.
pub fn user_json(st: &AppState, u: &User) -> serde_json::Value {
    let region = st.schemas.regions.get(&u.region);
    serde_json::json!({
        "username": u.username,
        "role": u.role,
        "region": u.region,
        "region_name": region.map(|r| r.name.clone()),
        "level": region.map(|r| r.level.as_str()),
        "must_change_password": u.must_change,
    })
}

#[derive(serde::Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// Checks a username and password from `addr` (at most two at a time, see `AppState::logins`).
pub async fn check_login(st: &Arc<AppState>, username: String, password: String, addr: SocketAddr) -> Result<crate::workflow::accounts::Login, ApiError> {
    let _turn = st.logins.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let address = addr.ip().to_string();
    st.with_workflow(move |wf| Ok(wf.login(&username, &password, &address)?)).await
}

/// `POST /api/login` `{"username","password"}`: sets the session cookie.
pub async fn login(State(st): State<Arc<AppState>>, ConnectInfo(addr): ConnectInfo<SocketAddr>, Json(body): Json<LoginBody>) -> Result<Response, ApiError> {
    let login = check_login(&st, body.username, body.password, addr).await?;
    let mut res = Json(serde_json::json!({ "user": user_json(&st, &login.user) })).into_response();
    res.headers_mut().insert(header::SET_COOKIE, set_cookie(&st, &login.token, None));
    Ok(res)
}

/// `POST /api/logout`: ends the session and clears the cookie.
pub async fn logout(State(st): State<Arc<AppState>>, session: Session) -> Result<Response, ApiError> {
    let token = session.token.clone();
    let actor = session.actor.clone();
    st.with_workflow(move |wf| Ok(wf.logout(&actor, &token)?)).await?;
    let mut res = Json(serde_json::json!({ "ok": true })).into_response();
    res.headers_mut().insert(header::SET_COOKIE, set_cookie(&st, "", Some(0)));
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct PasswordBody {
    current: String,
    new: String,
}

/// `POST /api/password` `{"current","new"}`: the signed-in account changes its own password.
pub async fn change_password(State(st): State<Arc<AppState>>, session: Session, Json(body): Json<PasswordBody>) -> Result<Json<serde_json::Value>, ApiError> {
    own_password(&st, &session, body.current, body.new).await?;
    Ok(Json(serde_json::json!({ "ok": true })))
}

/// Changes the session's own password (at most two checks at a time, as logins).
pub async fn own_password(st: &Arc<AppState>, session: &Session, current: String, new: String) -> Result<(), ApiError> {
    let _turn = st.logins.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let actor = session.actor.clone();
    let token = session.token.clone();
    st.with_workflow(move |wf| Ok(wf.change_own_password(&actor, &current, &new, &token)?)).await
}

/// `GET /api/me`: the signed-in account.
pub async fn me(State(st): State<Arc<AppState>>, session: Session) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "user": user_json(&st, &session.user) }))
}

/// Refuses a state-changing request that does not come from this site's own pages: its
/// `Origin` (or, from browsers that send none, its `Referer`) must name this host, and
/// `Sec-Fetch-Site` must not say cross-site. A request that carries the session cookie and says
/// nothing of where it comes from is refused too (an old browser that ignores SameSite would
/// otherwise let another site's form act); scripts send `Origin` with their cookie. Only a
/// request without the cookie (a login) may come without either.
pub async fn same_origin(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let from_here = |url: &str| {
        url.split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .is_some_and(|h| !host.is_empty() && h == host)
    };
    let text = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok());
    let origin_ok = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(o), _) => from_here(o),
        (None, Some(r)) => from_here(r),
        (None, None) => cookie_token(h).is_none(),
    };
    let site_ok = match h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        None => true,
        Some(s) => matches!(s, "same-origin" | "none"),
    };
    if origin_ok && site_ok {
        return next.run(req).await;
    }
    let message = "无法确认请求来自本站页面，已拒绝（脚本调用请带 Origin 请求头）";
    // A form a person posted gets a page to read, a script its JSON.
    if req.uri().path().starts_with("/api/") {
        ApiError::Forbidden(message.into()).into_response()
    } else {
        (axum::http::StatusCode::FORBIDDEN, super::pages::error_page("操作未完成", message)).into_response()
    }
}
