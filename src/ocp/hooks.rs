//! The seam between the generated OCP client and this crate: progenitor's `ClientHooks`.

use progenitor_client::{ClientHooks, Error, OperationInfo};

use super::generated::Client;

/// State the generated client carries for the hooks.
#[derive(Clone, Debug, Default)]
pub struct Inner {}

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
}
