//! What the two request signers share: the AK/SK pair, RFC 3986 escaping and the query as a
//! server decodes it. Each API's signer (`ocp::signer`, `cbr::signer`) builds its own canonical
//! form from these.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode};

use crate::common::Secret;

/// An AK/SK pair. `Debug` shows the access key only (a [`Secret`] prints redacted).
#[derive(Clone)]
pub(crate) struct Keys {
    pub(crate) access_key: String,
    pub(crate) secret_key: Secret,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .finish()
    }
}

/// RFC 3986 "unreserved" is `A-Za-z0-9-._~`; everything else is escaped. `percent-encoding`
/// writes upper-case hex, which both canonical forms require.
pub(crate) const RFC3986_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Decodes one query component with form-urlencoded rules (`+` is a space, then `%XX`),
/// returning raw bytes because the result need not be UTF-8. Malformed escapes are kept as they
/// are, so they re-encode as `%25...`; this never panics.
fn form_decode(component: &str) -> Vec<u8> {
    let spaced = component.replace('+', " ");
    percent_decode(spaced.as_bytes()).collect()
}

/// A raw query's parameters as a server decodes them: split on `&` (empty pairs dropped), each
/// pair on its first `=` (none: an empty value), both sides [`form_decode`]d, nameless pairs
/// dropped; grouped by key in byte order, each key's values sorted by their bytes.
pub(crate) fn query_params(raw: &str) -> BTreeMap<Vec<u8>, Vec<Vec<u8>>> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    let mut params: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = form_decode(key);
        if !key.is_empty() {
            params.entry(key).or_default().push(form_decode(value));
        }
    }
    for values in params.values_mut() {
        values.sort();
    }
    params
}
