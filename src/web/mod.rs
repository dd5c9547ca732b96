//! The portal (`yuebao serve`): a front end over the workflow, like the command line. Every
//! request gets its actor from one extractor (`auth::Session`), is turned into a workflow call,
//! and the answer into JSON (and, for people, HTML). The portal decides nothing itself; scope is
//! checked inside the workflow. Blocking work (SQLite, reading a workbook in its child process)
//! runs on tokio's blocking pool, each request with its own connection to the store.

mod api;
mod auth;
mod common;
mod error;
mod pages;

pub use error::ApiError;

use crate::limits::Limits;
use crate::schema::Schemas;
use crate::store::Store;
use crate::time::Time;
use crate::workflow::Workflow;
use axum::Router;
use axum::http::{HeaderValue, header};
use std::path::PathBuf;
use std::sync::Arc;

/// What every request shares.
pub struct AppState {
    pub data: PathBuf,
    pub schemas: Schemas,
    /// The session cookie carries `Secure` (behind an HTTPS proxy).
    pub secure_cookie: bool,
    pub limits: Limits,
    /// A fixed "now" (`--now`), for replays and tests; else the clock.
    pub fixed_now: Option<Time>,
}

impl AppState {
    pub fn now(&self) -> Time {
        self.fixed_now.unwrap_or_else(crate::time::now)
    }

    /// Runs `f` with a workflow over the store, on the blocking pool.
    pub async fn with_workflow<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Workflow<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let st = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&st.data)?;
            let mut wf = Workflow::new(&mut store, &st.schemas, st.now());
            f(&mut wf)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("请求处理中断：{e}")))?
    }
}

/// The whole site.
pub fn router(state: Arc<AppState>) -> Router {
    let upload_cap = usize::try_from(state.limits.file_bytes()).unwrap_or(usize::MAX).saturating_add(1 << 20);
    Router::new()
        .merge(api::routes(upload_cap))
        .merge(pages::routes(upload_cap))
        .layer(axum::middleware::from_fn(auth::same_origin))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Headers on every response: nothing from other origins, no framing, no sniffing, and API
/// answers never cached.
async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Binds `addr` and serves until Ctrl-C, printing the address (a port of 0 is chosen by the
/// system).
pub fn serve(state: AppState, addr: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("无法启动服务")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("无法监听 {addr}"))?;
        let local = listener.local_addr()?;
        println!("门户已启动：http://{local}/");
        use std::io::Write;
        std::io::stdout().flush()?;
        let app = router(Arc::new(state));
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("服务异常退出")
    })
}
