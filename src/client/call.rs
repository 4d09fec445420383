//! One generated call, as both APIs send it: observed (attempts, status, body), then its outcome
//! or progenitor's error turned into this layer's [`Error`].

use std::future::Future;

use progenitor_client::{Error as RawError, ResponseValue};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::error::excerpt;
use super::retry::{self, Exchange};
use super::{Error, VendorBody, VendorError};

/// An API's documented error body, as the API module describes it to this layer.
pub(crate) trait ErrorShape: VendorBody + DeserializeOwned {
    /// Whether a body that decoded as this type really is one (a lenient shape decodes from any
    /// object; CBR's needs a code or a message).
    fn is_error(&self) -> bool {
        true
    }

    /// Whether this body, sent with a success status, says the call failed nonetheless (OCP's
    /// `successful: false`).
    fn disowns_success(&self) -> bool {
        false
    }
}

/// A successful call: the decoded body, its status, and the raw body when it was captured.
pub(crate) struct Response<T> {
    /// The response status.
    pub(crate) status: StatusCode,
    /// The decoded body.
    pub(crate) value: T,
    /// The body exactly as it came, when the call captured it.
    pub(crate) body: Option<bytes::Bytes>,
}

/// Runs one generated call (`call`: its `send()`), keeping the raw body when `capture_body`, and
/// reports what went wrong as this layer's [`Error`]: first what the exchange itself saw (a body
/// over the limit, a redirect), then what the generated code made of the response.
pub(crate) async fn send<T, E>(
    call: impl Future<Output = Result<ResponseValue<T>, RawError<E>>>,
    capture_body: bool,
) -> Result<Response<T>, Error>
where
    T: DeserializeOwned,
    E: ErrorShape,
{
    let (result, exchange) = retry::observed(call, capture_body).await;
    if let Some(error) = Error::from_exchange(&exchange) {
        return Err(error);
    }
    match result {
        Ok(response) => Ok(Response {
            status: response.status(),
            value: response.into_inner(),
            body: exchange.body,
        }),
        Err(RawError::InvalidResponsePayload(bytes, error)) => {
            match reread::<T>(exchange.status, &bytes) {
                Some((status, value)) => Ok(Response {
                    status,
                    value,
                    body: exchange.body,
                }),
                None => Err(map_error::<T, E>(
                    RawError::InvalidResponsePayload(bytes, error),
                    &exchange,
                )
                .await),
            }
        }
        Err(error) => Err(map_error::<T, E>(error, &exchange).await),
    }
}

/// A success body the generated code could not read as it came, read once more with integral
/// floats as integers (`common::reader`): the typed reader's tolerance, paid only by a body that
/// needs it. `None` when that is not the reason (nothing to rewrite, or it still fails).
fn reread<T: DeserializeOwned>(
    status: Option<StatusCode>,
    bytes: &[u8],
) -> Option<(StatusCode, T)> {
    let status = status.filter(StatusCode::is_success)?;
    let value = crate::common::reader::decode_rewritten(bytes)?.ok()?;
    Some((status, value))
}

/// Turns progenitor's error into this layer's, with what the exchange recorded.
async fn map_error<T: DeserializeOwned, E: ErrorShape>(
    error: RawError<E>,
    exchange: &Exchange,
) -> Error {
    let api = |status, body| Error::Api {
        status,
        body,
        retry_after: exchange.retry_after,
        attempts: exchange.attempts.max(1),
    };
    match error {
        RawError::ErrorResponse(value) => api(
            value.status(),
            VendorError::Parsed(Box::new(value.into_inner())),
        ),
        // A status the spec does not list (429, 502, 503...): read whatever body came.
        RawError::UnexpectedResponse(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(bytes) => api(status, vendor_error::<E>(&bytes)),
                Err(e) => Error::transport(e, exchange),
            }
        }
        RawError::InvalidResponsePayload(bytes, _) => match exchange.status {
            // A documented error status whose body is not the vendor's shape (a proxy's page).
            Some(status) if !status.is_success() => api(status, vendor_error::<E>(&bytes)),
            // Read as an error body is read (`retry::read_body`): integral floats as integers first.
            status => match serde_json::from_slice::<E>(
                &crate::common::reader::integral_floats_as_integers(&bytes),
            ) {
                // A success status whose body is the vendor's error shape, disowning it.
                Ok(body) if body.disowns_success() => Error::Unsuccessful {
                    status: status.unwrap_or(StatusCode::OK),
                    body: VendorError::Parsed(Box::new(body)),
                },
                _ => Error::decode::<T>(status, &bytes),
            },
        },
        RawError::CommunicationError(e)
        | RawError::ResponseBodyError(e)
        | RawError::InvalidUpgrade(e) => Error::transport(e, exchange),
        RawError::InvalidRequest(why) | RawError::Custom(why) => Error::InvalidRequest(why),
    }
}

/// An error body as the vendor's shape, or its start when it is not.
fn vendor_error<E: ErrorShape>(bytes: &[u8]) -> VendorError {
    match serde_json::from_slice::<E>(bytes) {
        Ok(body) if body.is_error() => VendorError::Parsed(Box::new(body)),
        _ => VendorError::Unparsed {
            excerpt: excerpt(bytes),
        },
    }
}
