//! How the portal says no: a status and `{"error": "<one Chinese sentence>"}`. Workflow refusals
//! map to 4xx (nothing was stored); a failure of the store or the program is a 500 whose
//! details go to the server's log, never to the user.

use crate::workflow::WorkflowError;
use crate::workflow::data::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum ApiError {
    /// 401: no session (`请先登录`), or a failed login.
    Unauthorized(String),
    Forbidden(String),
    BadRequest(String),
    NotFound(String),
    Conflict(String),
    TooLarge(String),
    Unprocessable(String),
    TooManyRequests(String),
    /// 403: the account must change its password first.
    MustChangePassword,
    Internal(String),
}

impl ApiError {
    /// The status and the sentence a user is shown.
    pub fn report(&self) -> (StatusCode, String) {
        match self {
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.clone()),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m.clone()),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            ApiError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m.clone()),
            ApiError::MustChangePassword => (
                StatusCode::FORBIDDEN,
                "请先修改密码（管理员设置的密码或已过期的密码须由本人修改后才能使用）".into(),
            ),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误，请稍后再试或联系系统管理员".into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            eprintln!("yuebao serve: {detail}");
        }
        let (status, message) = self.report();
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> ApiError {
        let m = e.to_string();
        match e {
            WorkflowError::OutOfScope { .. } | WorkflowError::NotYours { .. } | WorkflowError::MailFromCliOnly => ApiError::Forbidden(m),
            WorkflowError::NoSuchSubmission { .. } => ApiError::NotFound(m),
            WorkflowError::NotComparable { .. } => ApiError::BadRequest(m),
            WorkflowError::MissingBytes { .. } => ApiError::Internal(m),
            WorkflowError::UnknownRegion { .. }
            | WorkflowError::AmbiguousRegion { .. }
            | WorkflowError::NotARollupScope { .. }
            | WorkflowError::NoBaselineColumn
            | WorkflowError::NotACity { .. } => ApiError::BadRequest(m),
            WorkflowError::ReceivedInFuture { .. } | WorkflowError::Account(_) | WorkflowError::Contact(_) | WorkflowError::Register(_) => {
                ApiError::BadRequest(m)
            }
            WorkflowError::Locked { .. } | WorkflowError::CannotReview { .. } => ApiError::Conflict(m),
            WorkflowError::ReasonRequired { .. } | WorkflowError::OnBehalfMismatch { .. } | WorkflowError::OnBehalfOfOwn => ApiError::Unprocessable(m),
            WorkflowError::NotPending { .. } => ApiError::Conflict(m),
            WorkflowError::BadLogin => ApiError::Unauthorized(m),
            WorkflowError::TooManyLogins { .. } => ApiError::TooManyRequests(m),
            WorkflowError::Store(s) => ApiError::Internal(s.to_string()),
            WorkflowError::Rollup(r) | WorkflowError::Workbook(r) => ApiError::Internal(r),
        }
    }
}

impl ApiError {
    pub fn login_required() -> ApiError {
        ApiError::Unauthorized("请先登录（会话已结束或不存在）".into())
    }
}
