//! The generated Rust, snapshotted so that a spec change shows its effect on the API in review.

use crate::support::settings;

#[test]
fn generated_cbr_client() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "generated_cbr",
            include_str!(concat!(env!("OUT_DIR"), "/cbr.rs"))
        )
    });
}

#[test]
fn generated_ocp_client() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "generated_ocp",
            include_str!(concat!(env!("OUT_DIR"), "/ocp.rs"))
        )
    });
}
