//! Serving connections with the bounds `axum::serve` does not set: a cap on open connections
//! (beyond it, new ones wait in the listen backlog), a time limit on a request's head from its
//! first byte, and an idle limit between requests, for HTTP/1.1 and HTTP/2 alike.
//!
//! Hand-written around hyper-util's connection builder because hyper's only bound,
//! `header_read_timeout`, also runs while a kept-alive connection waits for its next request
//! (hyper#3828), so it cannot tell a slow head from an idle client, and has no idle timeout
//! (hyper#1628); HTTP/2 has neither.

use crate::limits::{MAX_HEADERS, MAX_HEAD_BYTES};
use axum::body::Body;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tower::{Service, ServiceExt};

/// The bounds on connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// From the first byte of a request until its head is complete.
    pub header_read_timeout: Duration,
    /// With no request in progress and no byte moving, a connection is closed after this.
    pub idle_timeout: Duration,
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
}

/// What one connection is doing, shared by its I/O, its requests and its watchdog.
struct Activity {
    opened: Instant,
    /// Milliseconds since `opened` of the last byte read or written.
    last_io: AtomicU64,
    /// Milliseconds since `opened` (plus one, so zero means none) of the first byte of a
    /// request whose head is not complete yet.
    head_started: AtomicU64,
    /// Requests handed to the application and not answered yet.
    in_flight: AtomicUsize,
    /// Wakes the watchdog when a head starts (its deadline is then nearer).
    head_begun: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            last_io: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            head_begun: Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn read_some(&self) {
        let now = self.now_ms();
        self.last_io.store(now, Ordering::Release);
        // A byte while nothing is in progress begins the next request's head.
        if self.in_flight.load(Ordering::Acquire) == 0
            && self
                .head_started
                .compare_exchange(0, now + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.head_begun.notify_one();
        }
    }

    fn wrote_some(&self) {
        self.last_io.store(self.now_ms(), Ordering::Release);
    }

    /// A request's head is complete: it is the application's now.
    fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(0, Ordering::Release);
        InFlight(self.clone())
    }
}

struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.wrote_some();
    }
}

/// A TCP stream that tells its [`Activity`] about every byte.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote_some();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote_some();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// What the watchdog decides when it wakes.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Sleep until then (milliseconds since the connection opened) and look again.
    Until(u64),
    /// A request's head took too long: close at once.
    HeadTooSlow,
    /// Nothing happened for the idle timeout: close between requests.
    Idle,
}

fn judge(activity: &Activity, limits: &ConnectionLimits, now: u64) -> Verdict {
    let header = u64::try_from(limits.header_read_timeout.as_millis()).unwrap_or(u64::MAX);
    let idle = u64::try_from(limits.idle_timeout.as_millis()).unwrap_or(u64::MAX);
    let last_io = activity.last_io.load(Ordering::Acquire);
    if activity.in_flight.load(Ordering::Acquire) > 0 {
        // The application's time, bounded elsewhere (the body timeout); look again later.
        return Verdict::Until(now.saturating_add(idle));
    }
    let head = activity.head_started.load(Ordering::Acquire);
    if head > 0 {
        let deadline = (head - 1).saturating_add(header);
        return if now >= deadline {
            Verdict::HeadTooSlow
        } else {
            Verdict::Until(deadline)
        };
    }
    let deadline = last_io.saturating_add(idle);
    if now >= deadline {
        Verdict::Idle
    } else {
        Verdict::Until(deadline)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets every connection finish
/// its requests and waits for them.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut make_service: IntoMakeServiceWithConnectInfo<Router, SocketAddr> =
        app.into_make_service_with_connect_info::<SocketAddr>();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let Ok(service) = make_service.call(remote).await;
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            stream,
            activity: activity.clone(),
        });
        let stopping = stopping.clone();
        let requests = activity.clone();
        let hyper_service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let in_flight = requests.request_started();
            let service = service.clone();
            async move {
                let response = service.oneshot(request.map(Body::new)).await;
                drop(in_flight);
                response
            }
        });
        tokio::spawn(async move {
            let _slot = permit;
            serve_connection(io, hyper_service, activity, limits, stopping).await;
        });
    }
    let _ = stop.send(true);
    // Every connection holds a slot until it ends.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

async fn serve_connection<S>(
    io: TokioIo<Watched>,
    service: S,
    activity: Arc<Activity>,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
) where
    S: hyper::service::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS);
    builder
        .http2()
        .max_header_list_size(u32::try_from(MAX_HEAD_BYTES).unwrap_or(u32::MAX));
    let mut conn = pin!(builder.serve_connection_with_upgrades(io, service));
    let mut closing = false;
    loop {
        let now = activity.now_ms();
        let verdict = judge(&activity, &limits, now);
        let wake = match verdict {
            Verdict::HeadTooSlow => return,
            Verdict::Idle if closing => return,
            Verdict::Idle => {
                closing = true;
                conn.as_mut().graceful_shutdown();
                // A connection still writing an answer gets one more idle period.
                activity.wrote_some();
                continue;
            }
            Verdict::Until(at) => at,
        };
        let sleep = tokio::time::sleep(Duration::from_millis(wake.saturating_sub(now)));
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = sleep => {}
            () = activity.head_begun.notified() => {}
            changed = stopping.changed(), if !closing => {
                if changed.is_err() || *stopping.borrow() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_millis(100),
            idle_timeout: Duration::from_millis(1_000),
            max_connections: 1,
        }
    }

    #[test]
    fn the_watchdog_tells_a_slow_head_from_an_idle_connection() {
        let a = Activity::new();
        let l = limits();
        assert_eq!(
            judge(&a, &l, 0),
            Verdict::Until(1_000),
            "idle from the start"
        );
        assert_eq!(judge(&a, &l, 1_000), Verdict::Idle);
        // A first byte at 500 ms starts the head's clock.
        a.last_io.store(500, Ordering::Release);
        a.head_started.store(501, Ordering::Release);
        assert_eq!(judge(&a, &l, 550), Verdict::Until(600));
        assert_eq!(judge(&a, &l, 600), Verdict::HeadTooSlow);
        // A request in progress is the application's.
        a.in_flight.store(1, Ordering::Release);
        a.head_started.store(0, Ordering::Release);
        assert_eq!(judge(&a, &l, 5_000), Verdict::Until(6_000));
        // Answered at 5 s: idle from then.
        a.in_flight.store(0, Ordering::Release);
        a.last_io.store(5_000, Ordering::Release);
        assert_eq!(judge(&a, &l, 5_500), Verdict::Until(6_000));
        assert_eq!(judge(&a, &l, 6_000), Verdict::Idle);
    }
}
