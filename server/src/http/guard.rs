//! Protection against slow and too many clients: every connection must send a request's
//! headers promptly and may not sit idle for long (slowloris), and beyond a number of sync
//! requests in flight the server sheds load with `503` + `Retry-After` instead of queueing
//! without bound (the sync client retries with backoff, so nothing is lost).

use super::ApiError;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::Listener;
use beatbook_protocol::ErrorCode;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

/// Limits on what clients may hold.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// From a request's first byte to the end of its headers.
    pub header_timeout: Duration,
    /// A connection with no request under way is closed after this.
    pub idle_timeout: Duration,
    /// Sync requests handled at once; more are answered `503` + `Retry-After`.
    pub max_syncs_in_flight: usize,
    /// What `Retry-After` says, in seconds.
    pub retry_after_secs: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_timeout: Duration::from_secs(30),
            // Longer than clients keep idle pooled connections (reqwest: 90 s), so the client
            // drops an idle connection before the server does.
            idle_timeout: Duration::from_secs(300),
            // As many as the blocking pool has threads: beyond this they would only queue.
            max_syncs_in_flight: 512,
            retry_after_secs: 2,
        }
    }
}

/// A TCP listener whose connections obey [`HttpLimits`]'s timeouts.
pub(crate) struct GuardedListener {
    pub(crate) inner: TcpListener,
    pub(crate) limits: HttpLimits,
}

impl Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = Listener::accept(&mut self.inner).await;
        let _ = io.set_nodelay(true);
        let deadline = Box::pin(tokio::time::sleep(self.limits.idle_timeout));
        (
            GuardedStream {
                io,
                limits: self.limits,
                deadline,
                phase: Phase::Idle,
                tail: [0; 3],
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The client's address as the guarded listener saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, GuardedListener>>
    for PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, GuardedListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request (deadline: idle timeout).
    Idle,
    /// Reading a request's headers (deadline: header timeout).
    Headers,
    /// Headers done; the body and the answer are bounded by the request timeout layer.
    Request,
}

/// A connection that fails its reads once a deadline passes.
pub(crate) struct GuardedStream {
    io: TcpStream,
    limits: HttpLimits,
    deadline: Pin<Box<Sleep>>,
    phase: Phase,
    /// The last bytes read, to spot the blank line ending the headers across reads.
    tail: [u8; 3],
}

impl GuardedStream {
    fn set_deadline(&mut self, after: Duration) {
        self.deadline.as_mut().reset(Instant::now() + after);
    }

    /// Follows the bytes read: a request starts, its headers end.
    fn saw(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.phase == Phase::Idle {
            self.phase = Phase::Headers;
            self.tail = [0; 3];
            self.set_deadline(self.limits.header_timeout);
        }
        if self.phase == Phase::Headers {
            let mut window: Vec<u8> = self.tail.to_vec();
            window.extend_from_slice(bytes);
            if window.windows(4).any(|w| w == b"\r\n\r\n") {
                self.phase = Phase::Request;
                // The request timeout layer bounds the rest; this only stops a stuck socket.
                self.set_deadline(super::REQUEST_TIMEOUT + self.limits.idle_timeout);
            }
            let n = window.len();
            self.tail.copy_from_slice(&window[n - 3..]);
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client was too slow",
            )));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        let new = buf.filled()[before..].to_vec();
        this.saw(&new);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.phase != Phase::Idle {
            // The answer is going out: the next request gets a fresh idle period.
            this.phase = Phase::Idle;
            this.set_deadline(this.limits.idle_timeout);
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Admits a sync request if a slot is free, else answers `503 unavailable` + `Retry-After`.
pub(crate) async fn shed(
    slots: Arc<Semaphore>,
    retry_after_secs: u64,
    req: Request,
    next: Next,
) -> Response {
    let Ok(_permit) = slots.try_acquire_owned() else {
        let mut resp = ApiError::new(
            ErrorCode::Unavailable,
            format!(
                "服务器繁忙，请 {retry_after_secs} 秒后重试 / the server is busy; retry in {retry_after_secs} s"
            ),
        )
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .into_response();
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        return resp;
    };
    next.run(req).await
}
