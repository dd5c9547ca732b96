//! The portal (`yuebao serve`): a front end over the workflow, like the command line. Every
//! request gets its actor from one extractor (`auth::Session`), is turned into a workflow call,
//! and the answer into JSON (and, for people, HTML). The portal decides nothing itself; scope is
//! checked inside the workflow. Blocking work (SQLite, reading a workbook in its child process)
//! runs on tokio's blocking pool, each request with a connection of its own to the store (reused
//! from a small pool of idle ones).

mod api;
mod auth;
pub use auth::Origin;
mod common;
mod error;
mod pages;

pub use error::ApiError;

use crate::limits::Limits;
use crate::schema::Schemas;
use crate::time::Time;
use crate::workflow::Data;
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
    /// Password checks in flight: argon2id takes about 19 MiB and tens of milliseconds each, so
    /// a flood of logins waits here instead of filling the blocking pool (and guesses cannot
    /// race past the failure count in hundreds).
    pub logins: tokio::sync::Semaphore,
    /// Password and login rules (`security.toml` in the data directory).
    pub policy: crate::workflow::policy::Policy,
    /// Connections to the store, reused from request to request: opening one (the lock file,
    /// pragmas, the migration check) cost more than most requests' queries.
    stores: std::sync::Mutex<Vec<Data>>,
    /// The key the audit chain is signed with (`--audit-key-file`), if any.
    pub audit_key: Option<crate::workflow::data::AuditKey>,
    /// The site's own origins (`--public-url`, else the listen address): a state-changing
    /// request must come from a page of one of them.
    pub origins: Vec<auth::Origin>,
    /// The portal serves HTTPS itself (`--tls-cert`): every answer carries HSTS.
    pub https: bool,
    /// Where the personal-data key is (and whether the user named it), and the key once read.
    pub key_path: Option<(PathBuf, bool)>,
    pub personal: std::sync::Mutex<Option<Arc<crate::workflow::ledger::PersonalKey>>>,
}

/// Idle connections kept for reuse; more are opened under load and closed after.
const IDLE_STORES: usize = 8;

impl AppState {
    pub fn new(data: PathBuf, schemas: Schemas, secure_cookie: bool, limits: Limits, fixed_now: Option<Time>) -> AppState {
        AppState {
            data,
            schemas,
            secure_cookie,
            limits,
            fixed_now,
            logins: tokio::sync::Semaphore::new(2),
            policy: crate::workflow::policy::Policy::default(),
            stores: std::sync::Mutex::new(Vec::new()),
            audit_key: None,
            origins: Vec::new(),
            https: false,
            key_path: None,
            personal: std::sync::Mutex::new(None),
        }
    }

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
            let idle = st.stores.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let mut store = match idle {
                Some(s) => s,
                None => Data::open(&st.data, st.audit_key.clone(), &st.schemas)?,
            };
            let answer = {
                let mut wf = Workflow::new(&mut store, &st.schemas, st.now());
                wf.policy = st.policy.clone();
                f(&mut wf)
            };
            let mut idle = st.stores.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < IDLE_STORES {
                idle.push(store);
            }
            answer
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
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), auth::same_origin))
        .layer(axum::middleware::from_fn(in_chinese))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), security_headers))
        .layer(axum::middleware::from_fn(read_small_bodies))
        .with_state(state)
}

/// A body up to this size is read whole before the request is judged.
const SMALL_BODY: u64 = 2 << 20;

/// Reads a request's body whole, when it says it is small, before anything answers: a refusal
/// (no session, another site, another county's upload) then does not come while the client
/// is still sending, which makes the connection close under it and the client see no answer at
/// all. A county's workbook is tens of kilobytes; larger bodies stream as before.
async fn read_small_bodies(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let small = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > 0 && n <= SMALL_BODY);
    if !small {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, SMALL_BODY as usize).await {
        Ok(bytes) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        // The client stopped sending: there is no one to answer.
        Err(_) => {
            use axum::response::IntoResponse;
            ApiError::BadRequest("请求内容没有收完整，请重新提交".into()).into_response()
        }
    }
}

/// axum's own refusals — an address or method it does not know, a path, query or form that
/// does not parse, a body of the wrong type — are English text or empty; they are said here in
/// Chinese, as JSON under /api/ and as a page elsewhere.
async fn in_chinese(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let kind = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !status.is_client_error() || kind.starts_with("application/json") || kind.starts_with("text/html") {
        return res;
    }
    let message = match status {
        StatusCode::NOT_FOUND => "没有这个网址，请从首页进入",
        StatusCode::METHOD_NOT_ALLOWED => "这个网址不接受这种请求方式",
        StatusCode::PAYLOAD_TOO_LARGE => "上传内容太大，超过了上传上限",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "请求的内容类型不对（应为表单、上传文件或 JSON）",
        _ => "请求内容不完整或格式不对，请回到页面重新操作",
    };
    if api {
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    } else {
        (status, pages::error_page("操作未完成", message)).into_response()
    }
}

/// Headers on every response: nothing from other origins, no framing, no sniffing, and nothing
/// but the style sheet and script cached (pages and answers show one account's data).
async fn security_headers(
    axum::extract::State(st): axum::extract::State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let cached = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Served over HTTPS by the portal itself: browsers are told to come back only that way
    // (a year; behind a proxy, the proxy says it).
    if st.https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !cached {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Binds `addr` and serves until Ctrl-C, printing the address (a port of 0 is chosen by the
/// system); with `tls` (certificate and key files, PEM) over HTTPS.
pub fn serve(mut state: AppState, addr: &str, tls: Option<(PathBuf, PathBuf)>) -> anyhow::Result<()> {
    use anyhow::Context;
    // Requests run on many threads at once (the blocking pool); glibc gives threads arenas of
    // their own, up to eight per core, and memory freed in one is not reused by another. Two
    // arenas keep the server's memory near what its requests use (measured: make bench-soak).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt with a documented parameter, before any thread of the server starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("无法启动服务")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("无法监听 {addr}"))?;
        let local = listener.local_addr()?;
        state.https = tls.is_some();
        let scheme = if state.https { "https" } else { "http" };
        if state.origins.is_empty() {
            state.origins = auth::Origin::of_listener(local, scheme).ok_or_else(|| {
                anyhow::anyhow!(
                    "监听 {local}（本机全部地址）时，请用 --public-url 给出用户访问本站的地址，如 --public-url {scheme}://10.1.2.3:{}",
                    local.port()
                )
            })?;
        }
        let app = router(Arc::new(state)).into_make_service_with_connect_info::<std::net::SocketAddr>();
        // The certificate is read before the portal says it has started.
        let config = match &tls {
            Some((cert, key)) => Some(axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await.map_err(|e| {
                // Said in Chinese: the library's words are no help to the person starting it.
                let why = match e.kind() {
                    std::io::ErrorKind::NotFound => "找不到文件",
                    std::io::ErrorKind::PermissionDenied => "没有读取权限",
                    _ => "文件内容不是可用的证书和私钥",
                };
                anyhow::anyhow!(
                    "无法用证书 {} 和私钥 {} 提供 HTTPS：{why}（应为 PEM 格式的证书链和与之配对的私钥）",
                    cert.display(),
                    key.display()
                )
            })?),
            None => None,
        };
        println!("门户已启动：{scheme}://{local}/");
        use std::io::Write;
        std::io::stdout().flush()?;
        let Some(config) = config else {
            return axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .context("服务异常退出");
        };
        let handle = axum_server::Handle::new();
        let stop = handle.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
        });
        axum_server::from_tcp_rustls(listener.into_std()?, config)?
            .handle(handle)
            .serve(app)
            .await
            .context("服务异常退出")
    })
}
