//! Who is asking: the session cookie, the one extractor that turns it into an account and an
//! actor, login and logout, and the same-origin check that every state-changing request passes.
//!
//! The cookie is `HttpOnly; SameSite=Strict; Path=/`, `Secure` only with `--secure-cookie`
//! (plain http on an intranet otherwise), and not `__Host-` (which requires Secure). A form or
//! script from another site cannot act: SameSite keeps the cookie off its requests, and a POST
//! whose `Origin` (or `Sec-Fetch-Site`) says another site is refused before any handler runs.

use super::{ApiError, AppState};
use crate::workflow::Actor;
use crate::workflow::accounts::actor_of;
use crate::workflow::data::User;
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

/// A web origin: scheme, host and port (the default port filled in), as `Origin` headers and the
/// site's own addresses are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of `url` (`http://10.1.2.3:8080/path` → http, 10.1.2.3, 8080); None for what is
    /// not an http(s) URL.
    pub fn parse(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let authority = rest.split(['/', '?', '#']).next()?;
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !p.contains(']') => (h, p.parse().ok()?),
            _ => (authority, default),
        };
        if host.is_empty() {
            return None;
        }
        Some(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The origins of a portal listening on `addr` (over `scheme`) with no `--public-url`: the
    /// address itself, and for a loopback address `localhost` too; None for an address that
    /// stands for every interface (users' addresses are not known then).
    pub fn of_listener(addr: std::net::SocketAddr, scheme: &str) -> Option<Vec<Origin>> {
        let ip = addr.ip();
        if ip.is_unspecified() {
            return None;
        }
        let host = match ip {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        };
        let http = |host: &str| Origin {
            scheme: scheme.into(),
            host: host.into(),
            port: addr.port(),
        };
        let mut out = vec![http(&host)];
        if ip.is_loopback() {
            out.push(http("localhost"));
        }
        Some(out)
    }
}

/// Refuses a state-changing request that does not come from this site's own pages: its
/// `Origin` (or, from browsers that send none, its `Referer`) must be one of the site's own
/// origins (`--public-url`, else the listen address), and `Sec-Fetch-Site` must not say
/// cross-site. A request that says nothing of where it comes from is refused too: an old
/// browser that ignores SameSite would otherwise let another site's form act, and a login from
/// another site's page would sign the person in as someone else. Scripts send `Origin`.
pub async fn same_origin(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    // Scheme, host and port against the site's own origins, never against the request's own
    // Host header (which whoever sends the request writes).
    let from_here = |url: &str| Origin::parse(url).is_some_and(|o| st.origins.contains(&o));
    let text = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok());
    let origin_ok = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(o), _) => from_here(o),
        (None, Some(r)) => from_here(r),
        // Nothing says where it comes from: refused, a login too (login CSRF would sign a
        // person in as someone else).
        (None, None) => false,
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
