//! The paging loop both clients share: fetch a page at a cursor, hand it out with its raw body,
//! move the cursor, stop after the last page or the first failure.

use std::future::Future;

use futures::Stream;

use super::Page;
use crate::Error;

/// Where the next page starts, and whether the page just fetched was the last.
pub(crate) struct Step<C> {
    /// The cursor of the next page.
    pub(crate) next: C,
    /// Records on the page just fetched.
    pub(crate) records: usize,
    /// Whether it was the last page.
    pub(crate) last: bool,
}

/// One API's way of paging.
pub(crate) trait Pager {
    /// A decoded page.
    type Page;
    /// What locates a page: a record offset, a page number.
    type Cursor: Copy;
    /// Fetches the page at `cursor`, with its raw body.
    fn fetch(
        &self,
        cursor: Self::Cursor,
    ) -> impl Future<Output = Result<(Self::Page, Option<bytes::Bytes>), Error>>;
    /// Where the page after `page` (fetched at `cursor`) starts, and whether there is one.
    fn step(&self, page: &Self::Page, cursor: Self::Cursor) -> Step<Self::Cursor>;
}

/// Every page from `start` on, lazily. A failed page yields one [`Error::Page`] carrying how many
/// records the earlier pages held, and ends the stream.
pub(crate) fn pages<P: Pager>(
    pager: P,
    start: P::Cursor,
) -> impl Stream<Item = Result<Page<P::Page>, Error>> {
    struct State<P: Pager> {
        pager: P,
        cursor: P::Cursor,
        records: u64,
        pages: u64,
        done: bool,
    }
    let state = State {
        pager,
        cursor: start,
        records: 0,
        pages: 0,
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        st.pages += 1;
        match st.pager.fetch(st.cursor).await {
            Ok((value, body)) => {
                let step = st.pager.step(&value, st.cursor);
                st.cursor = step.next;
                st.done = step.last;
                st.records += step.records as u64;
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
