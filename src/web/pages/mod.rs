//! The portal's pages: server-rendered HTML in Chinese (maud, escaped at compile time), one
//! style sheet and one small script served from the binary — nothing from a CDN, so the portal
//! works on an intranet without internet. Forms post back to this site only (the same-origin
//! check in `auth` and SameSite=Strict cookies). Like the API, every page makes workflow calls
//! as the session's actor and draws the answer; it decides nothing.

mod admin;
mod annual;
mod board;
mod county;
mod layout;
mod ledger;
mod login;
mod result;
mod year;

use super::auth::Session;
use super::{ApiError, AppState};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::sync::Arc;

/// A county's register is larger than its sheet: tens of thousands of rows.
const LEDGER_CAP: usize = 200 * 1024 * 1024;

pub fn routes(upload_cap: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/county", get(county::page))
        .route("/template", get(county::template))
        .route("/upload", post(result::upload).layer(DefaultBodyLimit::max(upload_cap)))
        .route("/submissions/{id}", get(result::show))
        .route("/submissions/{id}/explain", post(result::explain))
        .route("/submissions/{id}/annotated", get(result::annotated))
        .route("/submissions/{id}/original", get(result::original))
        .route("/city", get(board::board))
        .route("/city/{code}", get(board::drill))
        .route("/review", post(board::review))
        .route("/rollup", get(board::rollup))
        .route("/remind", post(board::remind))
        .route("/report", post(board::report))
        .route("/year", get(year::page))
        .route("/annual", get(annual::page))
        .route("/annual/download", get(annual::download_book))
        .route("/password", get(admin::password_form).post(admin::password_submit))
        .route("/users", get(admin::users).post(admin::add_user))
        .route("/users/contacts", post(admin::add_contact))
        .route("/users/{name}/{action}", post(admin::user_action))
        .route("/audit", get(admin::audit))
        .route("/ledger", get(ledger::page))
        .route("/ledger/upload", post(ledger::upload).layer(DefaultBodyLimit::max(LEDGER_CAP)))
        .route("/ledger/sheet", get(ledger::sheet))
        .route("/ledger/unmask", post(ledger::unmask))
        .route("/ledger/export", post(ledger::export))
        .route(
            "/static/app.css",
            get(|| async { asset(include_str!("../static/app.css"), "text/css; charset=utf-8") }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset(include_str!("../static/app.js"), "text/javascript; charset=utf-8") }),
        )
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    res
}

pub use layout::error_page;

/// A signed-in person on a page; without a session the page sends them to the login form.
pub struct Page(pub Session);

impl<S> FromRequestParts<S> for Page
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Page, PageError> {
        Session::from_request_parts(parts, state).await.map(Page).map_err(PageError::from)
    }
}

/// How a page says no: to the login form when there is no session, else a page with the
/// reason (the same Chinese sentence the API gives) and the status.
#[derive(Debug)]
pub enum PageError {
    Login,
    /// The account must change its password first: to the form.
    ChangePassword,
    Refused(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        match e {
            ApiError::Unauthorized(_) => PageError::Login,
            ApiError::MustChangePassword => PageError::ChangePassword,
            other => PageError::Refused(other),
        }
    }
}

impl From<crate::workflow::WorkflowError> for PageError {
    fn from(e: crate::workflow::WorkflowError) -> PageError {
        PageError::from(ApiError::from(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login => Redirect::to("/login").into_response(),
            PageError::ChangePassword => Redirect::to("/password").into_response(),
            PageError::Refused(e) => {
                if let ApiError::Internal(detail) = &e {
                    eprintln!("yuebao serve: {detail}");
                }
                let (status, message) = e.report();
                let title = if status == StatusCode::FORBIDDEN { "无权访问" } else { "操作未完成" };
                (status, layout::error_page(title, &message)).into_response()
            }
        }
    }
}

/// `/`: the page of the account's role and level.
async fn home(axum::extract::State(st): axum::extract::State<Arc<AppState>>, page: Result<Page, PageError>) -> Response {
    let session = match page {
        Ok(Page(s)) => s,
        Err(e) => return e.into_response(),
    };
    let home = crate::workflow::scope::places(&st.schemas, &session.actor).first().copied();
    Redirect::to(home.map_or("/password", layout::path)).into_response()
}

/// The month a page is about: `?period=`, else the one being worked on now.
fn month(st: &AppState, text: Option<&str>) -> Result<crate::period::Period, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => super::common::period_arg(t),
        None => Ok(crate::workflow::current_period(&st.schemas, st.now())),
    }
}
