//! The paging loop both clients share: fetch a page at a cursor, hand it out with its raw body,
//! move the cursor, stop after the last page or the first failure.
//!
//! A server that ignores the cursor (sends the same full page whatever the offset or page) would
//! keep the loop going forever, so the loop also stops, with [`Error::PagingStalled`], on a page
//! that does not advance: the same records as the page before, the same page number reported
//! again, or a cursor that cannot move further.
//!
//! With prefetch on, the next page is fetched while the caller reads the page just handed out:
//! exactly one page ahead, started only where the loop without prefetch would fetch next (so
//! it stops, and fails, where that loop does), run as its own task on the current tokio
//! runtime and aborted when the stream is dropped.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;

use futures::Stream;

use super::{Error, Stall};

/// One page of a paged listing, with the raw body it was decoded from.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// 1-based number of the page within the stream.
    pub number: u64,
    /// The decoded page.
    pub value: T,
    /// The body exactly as the server sent it.
    pub body: bytes::Bytes,
}

/// Where the next page starts, whether the page just fetched was the last, and what identifies it.
pub(crate) struct Step<C> {
    /// The cursor of the next page; `None` when it would pass the largest the API takes.
    pub(crate) next: Option<C>,
    /// Records on the page just fetched.
    pub(crate) records: usize,
    /// Whether it was the last page.
    pub(crate) last: bool,
    /// A hash of the page's records ([`fingerprint`]): equal on two pages in a row means the
    /// server sent the same page again.
    pub(crate) fingerprint: u64,
    /// The page number the server reported for the page, when the API reports one.
    pub(crate) position: Option<i64>,
}

/// A hash of a page's records, in order. Deterministic within a process, which is all the
/// comparison of two consecutive pages needs.
pub(crate) fn fingerprint<T: Hash>(records: impl IntoIterator<Item = T>) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    let mut count = 0usize;
    for record in records {
        record.hash(&mut hasher);
        count = count.wrapping_add(1);
    }
    count.hash(&mut hasher);
    hasher.finish()
}

/// A fetched page with its raw body, or why it could not be fetched.
pub(crate) type Fetched<T> = Result<(T, Option<bytes::Bytes>), Error>;

/// One API's way of paging.
pub(crate) trait Pager {
    /// A decoded page.
    type Page: Send + 'static;
    /// What locates a page: a record offset, a page number.
    type Cursor: Copy + PartialEq;
    /// Fetches the page at `cursor`, with its raw body. The future owns what it uses (`Send`
    /// and `'static`), so that prefetch can run it as a task of its own.
    fn fetch(
        &self,
        cursor: Self::Cursor,
    ) -> impl Future<Output = Fetched<Self::Page>> + Send + 'static;
    /// Where the page after `page` (fetched at `cursor`) starts, and whether there is one.
    fn step(&self, page: &Self::Page, cursor: Self::Cursor) -> Step<Self::Cursor>;
}

/// Every page from `start` on, lazily, or with `prefetch` one page ahead (see the module docs).
/// A failed page yields one [`Error::Page`] carrying how many records the earlier pages held,
/// and ends the stream; so does a page that does not advance, with [`Error::PagingStalled`]: a
/// repeated page in its place (its records are not handed out again), or, after a page whose
/// successor the cursor cannot reach, in that successor's place.
pub(crate) fn pages<P: Pager>(
    pager: P,
    start: P::Cursor,
    prefetch: bool,
) -> impl Stream<Item = Result<Page<P::Page>, Error>> {
    struct State<P: Pager> {
        pager: P,
        /// The next page's cursor; `None` when it cannot move past the page before.
        cursor: Option<P::Cursor>,
        records: u64,
        pages: u64,
        done: bool,
        /// The fingerprint and reported number of the page before.
        previous: Option<(u64, Option<i64>)>,
        prefetch: bool,
        /// The fetch of the page at `cursor`, when prefetch started it.
        ahead: Option<Ahead<P::Page>>,
    }
    let state = State {
        pager,
        cursor: Some(start),
        records: 0,
        pages: 0,
        done: false,
        previous: None,
        prefetch,
        ahead: None,
    };
    futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        st.pages = st.pages.saturating_add(1);
        let stalled = |st: &mut State<P>, reason| {
            st.done = true;
            Error::PagingStalled {
                page: st.pages,
                records: st.records,
                reason,
            }
        };
        let Some(cursor) = st.cursor else {
            let error = stalled(&mut st, Stall::CursorLimit);
            return Some((Err(error), st));
        };
        let fetched = match st.ahead.take() {
            Some(ahead) => match ahead.finish().await {
                Some(fetched) => fetched,
                // Its runtime cancelled the task before it finished (shutting down): the page
                // was not delivered, so fetch it here.
                None => st.pager.fetch(cursor).await,
            },
            None => st.pager.fetch(cursor).await,
        };
        match fetched {
            Ok((value, body)) => {
                let step = st.pager.step(&value, cursor);
                if let Some(reason) = repeated(&step, st.previous) {
                    let error = stalled(&mut st, reason);
                    return Some((Err(error), st));
                }
                st.previous = Some((step.fingerprint, step.position));
                st.done = step.last;
                // A cursor that does not move would fetch this page again.
                st.cursor = step.next.filter(|next| *next != cursor);
                st.records = st
                    .records
                    .saturating_add(u64::try_from(step.records).unwrap_or(u64::MAX));
                // Only where the loop would fetch next anyway: after the last page, and at a
                // cursor that cannot move, nothing is fetched ahead.
                if st.prefetch
                    && !st.done
                    && let Some(next) = st.cursor
                {
                    st.ahead = Some(Ahead::start(st.pager.fetch(next)));
                }
                Some((
                    Ok(Page {
                        number: st.pages,
                        value,
                        body: body.unwrap_or_default(),
                    }),
                    st,
                ))
            }
            Err(source) => {
                st.done = true;
                Some((
                    Err(Error::Page {
                        page: st.pages,
                        records: st.records,
                        source: Box::new(source),
                    }),
                    st,
                ))
            }
        }
    })
}

/// A page fetch started ahead of its turn: a task on the current tokio runtime, aborted when
/// dropped (a stream dropped early leaves no request running); without a runtime to run it on,
/// the future itself, which then runs only when awaited.
enum Ahead<T> {
    /// Runs beside the caller.
    Task(AbortOnDrop<Fetched<T>>),
    /// Runs when awaited.
    Here(Pin<Box<dyn Future<Output = Fetched<T>> + Send>>),
}

impl<T: Send + 'static> Ahead<T> {
    /// Starts `fetch` as a task of the current runtime, if there is one.
    fn start(fetch: impl Future<Output = Fetched<T>> + Send + 'static) -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => Ahead::Task(AbortOnDrop(runtime.spawn(fetch))),
            Err(_) => Ahead::Here(Box::pin(fetch)),
        }
    }

    /// The page, or `None` when the runtime cancelled the task first. A panic in the fetch is
    /// passed on, as it would be had the fetch run in place.
    async fn finish(self) -> Option<Fetched<T>> {
        match self {
            Ahead::Here(fetch) => Some(fetch.await),
            Ahead::Task(mut task) => match (&mut task.0).await {
                Ok(fetched) => Some(fetched),
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(_) => None,
            },
        }
    }
}

/// A task handle that aborts the task when dropped (tokio's own handle lets it run on).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How the page `step` describes repeats the page before, if it does. Checked on the last page
/// too, whose records would otherwise be delivered twice; an empty page repeats nothing.
fn repeated<C>(step: &Step<C>, previous: Option<(u64, Option<i64>)>) -> Option<Stall> {
    let (fingerprint, position) = previous?;
    if step.records > 0 && step.fingerprint == fingerprint {
        return Some(Stall::RepeatedRecords);
    }
    match (step.position, position) {
        (Some(number), Some(before)) if number == before => {
            Some(Stall::RepeatedPageNumber { number })
        }
        _ => None,
    }
}

/// The records of `pages`, in order, then the error of a failed page.
pub(crate) fn records<T, R>(
    pages: impl Stream<Item = Result<Page<T>, Error>>,
    into_records: impl Fn(T) -> Vec<R>,
) -> impl Stream<Item = Result<R, Error>> {
    use futures::StreamExt as _;
    pages.flat_map(move |page| {
        futures::stream::iter(match page {
            Ok(page) => into_records(page.value)
                .into_iter()
                .map(Ok)
                .collect::<Vec<_>>(),
            Err(error) => vec![Err(error)],
        })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use futures::StreamExt as _;

    use super::*;

    /// Pages by number: page `n` holds `script[n]`'s record ids, or fails with its text.
    #[derive(Clone)]
    struct Scripted {
        script: Arc<Vec<Result<Vec<u32>, &'static str>>>,
        /// Records per full page: a shorter page is the last.
        size: usize,
        /// The last page number the cursor can reach.
        max_cursor: u32,
        /// Page numbers in the order their fetches started.
        started: Arc<Mutex<Vec<u32>>>,
        /// A page whose fetch never ends, and what it tells when it is dropped.
        hang: Option<(u32, Signal)>,
    }

    impl Scripted {
        fn new(script: Vec<Result<Vec<u32>, &'static str>>, size: usize) -> Self {
            Self {
                script: Arc::new(script),
                size,
                max_cursor: u32::MAX,
                started: Arc::default(),
                hang: None,
            }
        }

        fn started(&self) -> Vec<u32> {
            self.started.lock().expect("not poisoned").clone()
        }
    }

    /// Where a fetch tells that it was dropped.
    type Signal = Arc<Mutex<Option<tokio::sync::oneshot::Sender<()>>>>;

    /// Sends on drop: tells that a fetch was dropped, not left running.
    struct Dropped(Signal);

    impl Drop for Dropped {
        fn drop(&mut self) {
            if let Some(tx) = self.0.lock().expect("not poisoned").take() {
                let _ = tx.send(());
            }
        }
    }

    impl Pager for Scripted {
        type Page = Vec<u32>;
        type Cursor = u32;

        fn fetch(&self, cursor: u32) -> impl Future<Output = Fetched<Vec<u32>>> + Send + 'static {
            self.started.lock().expect("not poisoned").push(cursor);
            let page = self.script.get(cursor as usize).cloned();
            // Made here, not in the future: a task aborted before its first poll drops it too.
            let hang = (self.hang.clone())
                .filter(|(at, _)| *at == cursor)
                .map(|(_, signal)| Dropped(signal));
            async move {
                if let Some(_dropped) = hang {
                    futures::future::pending::<()>().await;
                }
                match page {
                    Some(Ok(ids)) => Ok((ids, None)),
                    Some(Err(text)) => Err(Error::InvalidRequest(text.into())),
                    None => Ok((Vec::new(), None)),
                }
            }
        }

        fn step(&self, page: &Vec<u32>, cursor: u32) -> Step<u32> {
            Step {
                next: cursor.checked_add(1).filter(|n| *n <= self.max_cursor),
                records: page.len(),
                last: page.len() < self.size,
                fingerprint: fingerprint(page),
                position: None,
            }
        }
    }

    /// Every scripted paging case: each ends on its own, the same way with prefetch or without.
    fn cases() -> Vec<(&'static str, Scripted)> {
        let mut cursor_limit = Scripted::new(vec![Ok(vec![1, 2]), Ok(vec![3, 4])], 2);
        cursor_limit.max_cursor = 1;
        vec![
            (
                "a short last page",
                Scripted::new(vec![Ok(vec![1, 2]), Ok(vec![3, 4]), Ok(vec![5])], 2),
            ),
            (
                "an empty last page",
                Scripted::new(vec![Ok(vec![1, 2]), Ok(vec![3, 4]), Ok(vec![])], 2),
            ),
            (
                "a page repeated",
                Scripted::new(vec![Ok(vec![1, 2]), Ok(vec![1, 2]), Ok(vec![5])], 2),
            ),
            (
                "a failed page",
                Scripted::new(vec![Ok(vec![1, 2]), Err("page 2 fails"), Ok(vec![5])], 2),
            ),
            ("a cursor that cannot move", cursor_limit),
        ]
    }

    /// What a consumer sees of the whole stream, and the pages fetched.
    async fn drain(pager: Scripted, prefetch: bool) -> (Vec<String>, Vec<u32>) {
        let seen = pages(pager.clone(), 0, prefetch)
            .map(|item| match item {
                Ok(page) => format!("page {}: {:?}", page.number, page.value),
                Err(error) => format!("error: {error:?}"),
            })
            .collect()
            .await;
        (seen, pager.started())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn prefetch_yields_the_same_pages_errors_and_requests_as_paging_without() {
        for (case, pager) in cases() {
            let without = drain(pager.clone(), false).await;
            let with = drain(
                Scripted {
                    started: Arc::default(),
                    ..pager
                },
                true,
            )
            .await;
            assert_eq!(with, without, "{case}");
        }
        // Outside a runtime the page ahead is fetched when asked for: the same again.
        for (case, pager) in cases() {
            let without = futures::executor::block_on(drain(pager.clone(), false));
            let fresh = Scripted {
                started: Arc::default(),
                ..pager
            };
            let with = futures::executor::block_on(drain(fresh, true));
            assert_eq!(with, without, "{case}, no runtime");
        }
    }

    /// Waits (at most 10 s) until `pager` has started `n` fetches.
    async fn until_started(pager: &Scripted, n: usize) -> Vec<u32> {
        for _ in 0..1000 {
            if pager.started().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        pager.started()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn prefetch_fetches_exactly_one_page_ahead_of_the_caller() {
        let script = (0..10u32).map(|n| Ok(vec![2 * n, 2 * n + 1])).collect();
        let pager = Scripted::new(script, 2);
        let mut stream = Box::pin(pages(pager.clone(), 0, true));
        let first = stream.next().await.expect("a page").expect("ok");
        assert_eq!(first.value, [0, 1]);
        // The caller holds page 1 and asks for nothing: page 2 is fetched meanwhile, and no
        // further page (however long the caller takes).
        assert_eq!(until_started(&pager, 2).await, [0, 1]);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(pager.started(), [0, 1], "one page ahead, not more");
        let second = stream.next().await.expect("a page").expect("ok");
        assert_eq!((second.number, second.value), (2, vec![2, 3]));
        assert_eq!(until_started(&pager, 3).await, [0, 1, 2]);

        // Without prefetch nothing is fetched before it is asked for.
        let lazy = Scripted {
            started: Arc::default(),
            ..pager
        };
        let mut stream = Box::pin(pages(lazy.clone(), 0, false));
        stream.next().await.expect("a page").expect("ok");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(lazy.started(), [0]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_a_prefetching_stream_aborts_the_fetch_ahead() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut pager = Scripted::new(vec![Ok(vec![1, 2]), Ok(vec![3, 4])], 2);
        pager.hang = Some((1, Arc::new(Mutex::new(Some(tx)))));
        let mut stream = Box::pin(pages(pager.clone(), 0, true));
        stream.next().await.expect("a page").expect("ok");
        assert_eq!(
            until_started(&pager, 2).await,
            [0, 1],
            "page 2 is on its way"
        );
        drop(stream);
        // A detached task would hold its fetch (here: forever) and never send.
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .expect("the fetch ahead is dropped once the stream is")
            .expect("sent by the fetch's drop");
    }
}
