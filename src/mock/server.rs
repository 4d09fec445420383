//! The mock's accept loop: hyper's HTTP/1 connection with a header-read timeout, behind a cap on
//! open connections.
//!
//! `axum::serve` sets no timer, so hyper never times out a request whose headers do not arrive,
//! and it accepts every connection: 1,100 half-sent requests under a 1,024-descriptor limit held
//! every descriptor forever and real requests timed out. Here a connection is accepted only when
//! one of [`MockConfig::max_connections`] slots is free (the others wait in the kernel's listen
//! queue, holding no descriptor of this process), and hyper closes a connection whose request
//! headers take longer than [`MockConfig::header_timeout`], which also bounds how long a
//! keep-alive connection may sit idle between requests (hyper starts the same timer when it
//! waits for the next request). A client that stops reading its response is bounded too: a
//! write that makes no progress for [`MockConfig::write_timeout`] fails and closes the
//! connection, so pipelining requests and never reading the answers holds no slot forever.
//!
//! [`MockConfig::max_connections`]: super::MockConfig::max_connections
//! [`MockConfig::header_timeout`]: super::MockConfig::header_timeout
//! [`MockConfig::write_timeout`]: super::MockConfig::write_timeout

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Sleep;

/// How long the loop waits after an accept error that is not about one connection (out of
/// descriptors, say) before it tries again: such an error does not clear at once, and trying in
/// a tight loop would only burn a core. Axum's own loop waits the same.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// The bounds a connection is served under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Connections open at once.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, or to start the next request.
    pub header_timeout: Duration,
    /// How long a response may wait for the client to take any of it.
    pub write_timeout: Duration,
}

/// Serves `router` on `listener` under `limits` until `shutdown` completes; then stops accepting,
/// lets each open connection finish its request, and returns once every connection is closed.
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // Dropping the sender tells every connection to finish its request and close.
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        // A slot before `accept`: a connection over the cap stays in the listen queue, where it
        // costs this process no descriptor, until one closes.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => permit.map_err(io::Error::other)?,
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(_) => {
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        // The proxy passes a body on chunk by chunk: with Nagle's algorithm each chunk after
        // the first, smaller than loopback's 64 KB segment, may wait for the client's ACK of the
        // one before. The mock writes each response whole, so for it nothing changes. A failure
        // only costs that wait.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            // The connection (and its socket) is gone when this returns, before the slot is
            // given back: the count never exceeds the cap, not even for a moment.
            serve_connection(stream, service, limits, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    drop(stop_tx);
    // Every slot back means every connection has closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// Serves one connection until the client closes it, it times out, or `stop` says the server
/// is stopping (then the request in progress is finished first).
async fn serve_connection(
    stream: TcpStream,
    service: TowerToHyperService<Router>,
    limits: Limits,
    mut stop: watch::Receiver<()>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let stream = WriteBound {
        inner: stream,
        limit: limits.write_timeout,
        stalled: None,
    };
    let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        // A timed-out or broken connection is the client's affair, not the server's.
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.as_mut().await;
        }
    }
}

/// Errors that end one connection before it was accepted, and say nothing about the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A connection whose writes fail once the client has taken nothing for `limit`: hyper has a
/// timer for reading a request's headers but none for writing a response, and a client that
/// never reads would otherwise hold its slot for good. Only a write that makes no progress at
/// all counts; a slow reader that takes a little at a time is served.
struct WriteBound {
    inner: TcpStream,
    limit: Duration,
    /// Set when a write first has to wait, cleared by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WriteBound {
    /// Passes on a write's outcome; a wait that has lasted `limit` becomes a `TimedOut` error.
    fn bounded<T>(
        &mut self,
        cx: &mut Context<'_>,
        outcome: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if outcome.is_ready() {
            self.stalled = None;
            return outcome;
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took none of the response in time",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteBound {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteBound {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let outcome = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.bounded(cx, outcome)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let outcome = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.bounded(cx, outcome)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let outcome = Pin::new(&mut self.inner).poll_flush(cx);
        self.bounded(cx, outcome)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
