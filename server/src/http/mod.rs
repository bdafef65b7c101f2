//! The HTTP face of the server: routes, middleware (timeouts, request metrics, JSON errors
//! for whatever the framework answers itself), and [`serve`] with graceful shutdown.

mod auth;
mod duty;
mod enrol;
mod error;
mod guard;
mod ops;
mod report;
mod sync;

pub use error::ApiError;
pub use guard::HttpLimits;

use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use beatbook_protocol::ErrorCode;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// A request (including reading its body) must finish within this, so slow clients cannot
/// hold connections and memory forever. Generous because officers push over 2G/EDGE links,
/// where the client's 1 MB batches take about a minute; it matches the client's own timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The server's routes over `state`, with the default [`HttpLimits`].
pub fn router(state: AppState) -> Router {
    router_with(state, HttpLimits::default())
}

/// The server's routes over `state`, shedding sync requests beyond `limits`.
pub fn router_with(state: AppState, limits: HttpLimits) -> Router {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_syncs_in_flight));
    let retry_after = limits.retry_after_secs;
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/enrol", post(enrol::enrol))
        .route(beatbook_protocol::DUTY_RULES_PATH, post(duty::duty_rules))
        .route(beatbook_protocol::UNREADABLE_PATH, post(report::unreadable))
        .route(
            "/v1/sync",
            post(sync::sync).layer(middleware::from_fn(move |req, next| {
                guard::shed(slots.clone(), retry_after, req, next)
            })),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::map_response(json_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, HttpLimits::default(), shutdown).await
}

/// Like [`serve`], with chosen limits: slow connections are dropped and sync requests beyond
/// `limits.max_syncs_in_flight` are answered `503` + `Retry-After`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = guard::GuardedListener {
        inner: listener,
        limits,
    };
    axum::serve(
        listener,
        router_with(state, limits).into_make_service_with_connect_info::<guard::PeerAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "没有这个接口 / no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::BadRequest,
        "此接口不支持该请求方法 / method not allowed here",
    )
    .with_status(StatusCode::METHOD_NOT_ALLOWED)
}

/// Counts every answer by route and status.
async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let response = next.run(req).await;
    state.metrics().request(&route, response.status().as_u16());
    response
}

/// Gives error answers made by the framework or middleware (timeouts, …) the JSON error
/// body every client expects.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "未找到 / not found"),
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::Unavailable,
            "请求超时，请重试 / the request took too long; retry",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (ErrorCode::TooLarge, "请求内容过大 / the body is too large")
        }
        StatusCode::TOO_MANY_REQUESTS => (
            ErrorCode::RateLimited,
            "请求过多，请稍后再试 / too many requests",
        ),
        s if s.is_server_error() => (
            ErrorCode::Internal,
            "服务器内部错误，请稍后重试 / internal server error; retry later",
        ),
        _ => (ErrorCode::BadRequest, "请求无效 / bad request"),
    };
    let (parts, _) = response.into_parts();
    let mut fresh = ApiError::new(code, message)
        .with_status(status)
        .into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// The client's address, when the server runs with connection info (tests may not).
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<guard::PeerAddr>>()
                .map(|c| c.0 .0.ip())
                .or_else(|| {
                    parts
                        .extensions
                        .get::<ConnectInfo<SocketAddr>>()
                        .map(|c| c.0.ip())
                }),
        ))
    }
}

/// Reads a whole body, refusing more than `limit` bytes with `413 too_large`.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::TooLarge,
            format!(
                "请求内容超过 {} MB，请分批同步 / the body is larger than {limit} bytes; send less at once",
                limit / (1024 * 1024)
            ),
        )
    };
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => {
            tracing::debug!(error = %e, "reading a request body failed");
            Err(ApiError::new(
                ErrorCode::BadRequest,
                "请求内容读取失败 / the request body could not be read",
            ))
        }
    }
}

/// Runs blocking work (storage, argon2, Automerge) off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}
