//! The generated Rust, snapshotted so that a spec change shows its effect on the API in review.

use crate::support::settings;

#[test]
fn generated_cbr_client() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "generated_cbr",
            concat!(
                include_str!(concat!(env!("OUT_DIR"), "/cbr_types.rs")),
                include_str!(concat!(env!("OUT_DIR"), "/cbr_client.rs"))
            )
        )
    });
}

#[test]
fn generated_ocp_client() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "generated_ocp",
            concat!(
                include_str!(concat!(env!("OUT_DIR"), "/ocp_types.rs")),
                include_str!(concat!(env!("OUT_DIR"), "/ocp_client.rs"))
            )
        )
    });
}
