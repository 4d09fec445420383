//! The response body on its way to the client: passed on chunk by chunk as it arrives, and kept
//! (up to the size limit) for the contract check and the recording, which run once it ends.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;

/// How a body stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ended {
    /// The upstream sent all of it.
    Complete,
    /// It grew past the limit: the client got an error instead of the rest.
    OverLimit,
    /// The upstream broke off (or took too long); the message says how.
    Broken(String),
    /// The client went away before the end.
    ClientGone,
}

/// Called once with what was kept and how the stream ended.
pub(super) type Finish = Box<dyn FnOnce(Vec<u8>, Ended) + Send>;

/// Most of an announced length reserved for the copy before the body arrives: enough for
/// every page these APIs send in one piece, and a `Content-Length` that lies costs no more.
const MAX_RESERVED: usize = 1024 * 1024;

/// A body stream that keeps a copy of what it passes on, at most `limit` bytes.
pub(super) struct Tee<S> {
    inner: S,
    kept: Vec<u8>,
    limit: usize,
    /// Bytes passed on so far, and how many the upstream announced (`Content-Length`): hyper
    /// stops polling a body once it has written that many, so the stream's own end never comes.
    passed: u64,
    expected: Option<u64>,
    finish: Option<Finish>,
}

impl<S> Tee<S> {
    pub(super) fn new(inner: S, limit: usize, expected: Option<u64>, finish: Finish) -> Self {
        // Room for the whole announced body and the parser's padding at once: growing a
        // 100 KB page a chunk at a time copied it several times over.
        let reserved = expected
            .and_then(|n| usize::try_from(n).ok())
            .map_or(0, |n| {
                n.min(limit).min(MAX_RESERVED) + simd_json::INPUT_PADDING
            });
        Tee {
            inner,
            kept: Vec::with_capacity(reserved),
            limit,
            passed: 0,
            expected,
            finish: Some(finish),
        }
    }

    fn end(&mut self, how: Ended) {
        if let Some(finish) = self.finish.take() {
            finish(std::mem::take(&mut self.kept), how);
        }
    }
}

impl<S, E> Stream for Tee<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::error::Error,
{
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.finish.is_none() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                let room = self.limit.saturating_sub(self.kept.len());
                if chunk.len() > room {
                    self.kept.extend_from_slice(&chunk[..room]);
                    self.end(Ended::OverLimit);
                    return Poll::Ready(Some(Err(io::Error::other(format!(
                        "the upstream's response body is over the proxy's limit of {} bytes",
                        self.limit
                    )))));
                }
                self.kept.extend_from_slice(&chunk);
                self.passed = self.passed.saturating_add(chunk.len() as u64);
                if self.expected.is_some_and(|n| self.passed >= n) {
                    self.end(Ended::Complete);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                let why = error_chain(&e);
                self.end(Ended::Broken(why.clone()));
                Poll::Ready(Some(Err(io::Error::other(why))))
            }
            Poll::Ready(None) => {
                self.end(Ended::Complete);
                Poll::Ready(None)
            }
        }
    }
}

impl<S> Drop for Tee<S> {
    fn drop(&mut self) {
        // Dropped with all it announced passed on (an empty body is never polled): complete.
        // Otherwise hyper gave up on the client before the end.
        if self.expected.is_some_and(|n| self.passed >= n) {
            self.end(Ended::Complete);
        } else {
            self.end(Ended::ClientGone);
        }
    }
}

/// `e` and its sources, joined by `: `.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Option<(Vec<u8>, Ended)>>>;

    fn tee(
        chunks: Vec<&'static [u8]>,
        limit: usize,
    ) -> (
        Tee<impl Stream<Item = Result<Bytes, io::Error>> + Unpin>,
        Seen,
    ) {
        let seen: Seen = Arc::default();
        let sink = seen.clone();
        let stream = futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))));
        let tee = Tee::new(
            stream,
            limit,
            None,
            Box::new(move |bytes, how| {
                *sink.lock().expect("not poisoned") = Some((bytes, how));
            }),
        );
        (tee, seen)
    }

    #[tokio::test]
    async fn a_body_is_passed_on_and_kept() {
        let (tee, seen) = tee(vec![b"ab", b"cd"], 10);
        let out: Vec<_> = tee.collect().await;
        assert_eq!(out.len(), 2);
        let seen = seen.lock().expect("not poisoned").clone();
        assert_eq!(seen, Some((b"abcd".to_vec(), Ended::Complete)));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_ends_in_an_error_and_keeps_the_limit() {
        let (tee, seen) = tee(vec![b"ab", b"cdef", b"gh"], 4);
        let out: Vec<_> = tee.collect().await;
        assert!(out[0].is_ok() && out[1].is_err(), "{out:?}");
        assert_eq!(out.len(), 2, "nothing after the error");
        let seen = seen.lock().expect("not poisoned").clone();
        assert_eq!(seen, Some((b"abcd".to_vec(), Ended::OverLimit)));
    }

    #[tokio::test]
    async fn a_body_of_the_announced_length_is_complete_at_its_last_byte() {
        let seen: Seen = Arc::default();
        let sink = seen.clone();
        let stream = futures::stream::iter(
            [b"ab".as_slice(), b"cd"].map(|c| Ok::<_, io::Error>(Bytes::from_static(c))),
        );
        let mut tee = Tee::new(
            stream,
            10,
            Some(4),
            Box::new(move |bytes, how| {
                *sink.lock().expect("not poisoned") = Some((bytes, how));
            }),
        );
        let _ = tee.next().await;
        let _ = tee.next().await;
        // What hyper does once Content-Length bytes are out: drop the body unpolled.
        drop(tee);
        let seen = seen.lock().expect("not poisoned").clone();
        assert_eq!(seen, Some((b"abcd".to_vec(), Ended::Complete)));
    }

    #[tokio::test]
    async fn a_client_that_leaves_early_is_noticed() {
        let (mut tee, seen) = tee(vec![b"ab", b"cd"], 10);
        let _ = tee.next().await;
        drop(tee);
        let seen = seen.lock().expect("not poisoned").clone();
        assert_eq!(seen, Some((b"ab".to_vec(), Ended::ClientGone)));
    }
}
