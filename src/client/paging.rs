//! The paging loop both clients share: fetch a page at a cursor, hand it out with its raw body,
//! move the cursor, stop after the last page or the first failure.
//!
//! A server that ignores the cursor (sends the same full page whatever the offset or page) would
//! keep the loop going forever, so the loop also stops, with [`Error::PagingStalled`], on a page
//! that does not advance: the same records as the page before, the same page number reported
//! again, or a cursor that cannot move further.

use std::future::Future;
use std::hash::{Hash, Hasher};

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

/// One API's way of paging.
pub(crate) trait Pager {
    /// A decoded page.
    type Page;
    /// What locates a page: a record offset, a page number.
    type Cursor: Copy + PartialEq;
    /// Fetches the page at `cursor`, with its raw body.
    fn fetch(
        &self,
        cursor: Self::Cursor,
    ) -> impl Future<Output = Result<(Self::Page, Option<bytes::Bytes>), Error>>;
    /// Where the page after `page` (fetched at `cursor`) starts, and whether there is one.
    fn step(&self, page: &Self::Page, cursor: Self::Cursor) -> Step<Self::Cursor>;
}

/// Every page from `start` on, lazily. A failed page yields one [`Error::Page`] carrying how many
/// records the earlier pages held, and ends the stream; so does a page that does not advance,
/// with [`Error::PagingStalled`]: a repeated page in its place (its records are not handed out
/// again), or, after a page whose successor the cursor cannot reach, in that successor's place.
pub(crate) fn pages<P: Pager>(
    pager: P,
    start: P::Cursor,
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
    }
    let state = State {
        pager,
        cursor: Some(start),
        records: 0,
        pages: 0,
        done: false,
        previous: None,
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
        match st.pager.fetch(cursor).await {
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
