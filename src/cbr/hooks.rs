//! The seam between the generated CBR client and this crate: progenitor's `ClientHooks`.

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};

use super::generated::Client;
use crate::common::retry::{self, RetryPolicy};

/// State the generated client carries for the hooks. The token itself is not here: it is a
/// sensitive default header of the reqwest client.
#[derive(Clone, Debug, Default)]
pub struct Inner {
    pub(crate) retry: RetryPolicy,
}

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        // progenitor adds an `api-version` header to every request; neither service knows it.
        request.headers_mut().remove("api-version");
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        retry::execute(self.client(), request, &self.inner().retry, |_| {}).await
    }
}
