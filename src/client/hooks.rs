//! The seam between progenitor's generated clients and this layer: the `inner` value each
//! generated client carries ([`Inner`]), and the `ClientHooks` implementation ([`impl_hooks!`])
//! that every generated call goes through: one request rewrite, then the retry loop, signing each
//! attempt afresh.

use std::time::SystemTime;

use reqwest::header::{HeaderName, HeaderValue};

use super::Error;
use super::http::{self, HttpSettings};
use super::retry::{self, RetryPolicy};

/// What an API adds to each request: a signature per attempt, and a rewrite of the request as the
/// generated code built it.
pub(crate) trait RequestHooks: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// Signs one attempt (every retry is signed again, with a fresh date).
    fn sign(&self, request: &mut reqwest::Request, now: SystemTime);

    /// Rewrites the request once, before the first attempt, into the form the API documents.
    fn rewrite(_request: &mut reqwest::Request) {}
}

/// State a generated client carries for the hooks. A token or Basic credentials are not here:
/// they are sensitive default headers of the reqwest client.
#[derive(Clone, Debug)]
pub struct Inner<S> {
    retry: RetryPolicy,
    /// The largest response body read (see [`HttpSettings::max_body_bytes`]).
    max_body_bytes: u64,
    /// The signer, when the client signs its requests.
    signer: Option<S>,
}

impl<S: RequestHooks> Inner<S> {
    /// What `ClientHooks::pre` does: progenitor adds an `api-version` header to every request,
    /// which neither service knows; then the API's own rewrite.
    pub(crate) fn pre(&self, request: &mut reqwest::Request) {
        request.headers_mut().remove("api-version");
        S::rewrite(request);
    }

    /// What `ClientHooks::exec` does: the retry loop, signing every attempt.
    pub(crate) async fn exec(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let signer = self.signer.as_ref();
        retry::execute(
            client,
            request,
            &self.retry,
            self.max_body_bytes,
            |request| {
                if let Some(signer) = signer {
                    signer.sign(request, SystemTime::now());
                }
            },
        )
        .await
    }
}

/// Where and how a client connects: what both clients' builders hold besides their credentials.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    /// The service's base URL, as given.
    pub(crate) endpoint: String,
    /// Timeouts, user agent, body limit.
    pub(crate) http: HttpSettings,
    /// How to retry.
    pub(crate) retry: RetryPolicy,
}

impl Transport {
    /// Defaults for `endpoint`.
    pub(crate) fn new(endpoint: String) -> Self {
        Self {
            endpoint,
            http: HttpSettings::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// Checks the endpoint and builds the reqwest client (with `headers` as its default headers)
    /// and the hooks' state (with `signer`), the three things a generated client's
    /// `new_with_client` takes; `new` is that function.
    pub(crate) fn connect<S, C>(
        self,
        headers: Vec<(HeaderName, HeaderValue)>,
        signer: Option<S>,
        new: impl FnOnce(&str, reqwest::Client, Inner<S>) -> C,
    ) -> Result<C, Error> {
        let endpoint = http::validate_endpoint(&self.endpoint)?;
        let client = http::build_client(&self.http, headers)
            .map_err(|e| Error::InvalidRequest(format!("cannot build the HTTP client: {e}")))?;
        let inner = Inner {
            retry: self.retry,
            max_body_bytes: self.http.max_body_bytes,
            signer,
        };
        Ok(new(&endpoint, client, inner))
    }
}

/// Implements progenitor's `ClientHooks` for a generated client whose `inner` is
/// [`Inner<$signer>`](Inner), by handing both hooks to [`Inner`]. (A blanket implementation is
/// not possible: the trait and the generated clients are not generic over each other.)
macro_rules! impl_hooks {
    ($client:ty, $signer:ty) => {
        impl progenitor_client::ClientHooks<$crate::client::hooks::Inner<$signer>> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                progenitor_client::ClientInfo::inner(self).pre(request);
                Ok(())
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let inner = progenitor_client::ClientInfo::inner(self);
                inner
                    .exec(progenitor_client::ClientInfo::client(self), request)
                    .await
            }
        }
    };
}
pub(crate) use impl_hooks;
