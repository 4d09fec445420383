//! The integration suite: one binary, one module per topic (see STYLE.md, "few test binaries").

mod cli;
mod client_cbr;
mod client_ocp;
mod contract_implies_reader;
mod coverage;
mod decisions;
mod diff;
mod drift;
mod examples;
mod fastcheck;
mod fixtures;
mod fuzz_regressions;
mod generated;
mod mock;
mod proxy;
mod publish;
mod reference;
mod schemars_agreement;
mod support;
mod validate;
