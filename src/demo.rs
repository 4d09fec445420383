//! The one-command demo: the mock in-process on a free port, both typed clients paging through
//! it, every page's raw body checked against the contract, every record counted once.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::StreamExt as _;

use crate::common::Secret;
use crate::contract::{self, Api, Contract, Target, Violation};
use crate::mock::{self, MockConfig, OCP_CLUSTER_ID, OCP_TENANT_ID};
use crate::{Error, cbr, ocp};

const DEMO_TOKEN: &str = "demo-token";
const DEMO_ACCESS_KEY: &str = "demo-access-key";
const DEMO_SECRET_KEY: &str = "demo-secret-key";

/// What the demo saw for one API.
#[derive(Debug, Clone)]
pub struct ApiReport {
    /// Which API.
    pub api: Api,
    /// Pages fetched.
    pub pages: u64,
    /// Records decoded.
    pub records: u64,
    /// Records the mock holds for the query (the demo expects to see each exactly once).
    pub expected: u64,
    /// Distinct records seen (by id); equal to `records` when nothing repeated.
    pub distinct: u64,
    /// Contract violations in the pages' raw bodies, with the page number.
    pub violations: Vec<(u64, Violation)>,
    /// Wall time of the listing.
    pub elapsed: Duration,
}

impl ApiReport {
    /// Every record came exactly once and every page satisfied the contract.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty() && self.records == self.expected && self.distinct == self.records
    }
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Where the mock listened.
    pub mock_url: String,
    /// One report per API.
    pub apis: Vec<ApiReport>,
    /// Wall time, mock start to stop.
    pub elapsed: Duration,
}

impl DemoReport {
    /// Every API's report is clean.
    pub fn is_clean(&self) -> bool {
        self.apis.iter().all(ApiReport::is_clean)
    }
}

/// Why the demo could not run to the end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The mock did not start or stop.
    #[error("the mock server failed")]
    Mock(#[from] std::io::Error),
    /// A client call failed.
    #[error("a client call failed")]
    Client(#[from] Error),
    /// The contract did not load.
    #[error("the contract did not load")]
    Contract(#[from] contract::ContractError),
}

/// Runs the demo against a mock holding `records` synthetic records per API (seeded), paging with
/// `page_size` records per page.
pub async fn run(records: usize, seed: u64, page_size: u32) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    let config = MockConfig {
        records,
        seed,
        cbr_token: Some(Secret::new(DEMO_TOKEN)),
        ocp_keys: Some((DEMO_ACCESS_KEY.into(), Secret::new(DEMO_SECRET_KEY))),
        ..MockConfig::default()
    };
    let dataset = mock::Dataset::generate(records, seed);
    let server = mock::start(SocketAddr::from(([127, 0, 0, 1], 0)), config).await?;
    let url = server.url();
    let outcome = async {
        let cbr = list_cbr(&url, page_size, dataset.cbr.len() as u64).await?;
        let ocp = list_ocp(&url, page_size, dataset.ocp.len() as u64).await?;
        Ok::<_, DemoError>(vec![cbr, ocp])
    }
    .await;
    server.stop().await?;
    Ok(DemoReport {
        mock_url: url,
        apis: outcome?,
        elapsed: started.elapsed(),
    })
}

async fn list_cbr(url: &str, page_size: u32, expected: u64) -> Result<ApiReport, DemoError> {
    let started = Instant::now();
    let contract = Contract::get(Api::Cbr)?;
    let client = cbr::Client::builder(url, mock::CBR_PROJECT_ID)
        .with_token(DEMO_TOKEN)
        .build()?;
    let mut pages = Box::pin(
        client
            .list_op_logs(cbr::ListFilters::default())
            .limit(page_size.min(cbr::MAX_LIMIT))
            .pages(),
    );
    let mut report = ApiReport {
        api: Api::Cbr,
        pages: 0,
        records: 0,
        expected,
        distinct: 0,
        violations: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let mut ids = std::collections::HashSet::new();
    while let Some(page) = pages.next().await {
        let page = page?;
        report.pages += 1;
        report.records += page.value.operation_logs.len() as u64;
        ids.extend(page.value.operation_logs.iter().map(|log| log.id.clone()));
        check_page(contract, page.number, &page.body, &mut report.violations)?;
    }
    report.distinct = ids.len() as u64;
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn list_ocp(url: &str, page_size: u32, expected: u64) -> Result<ApiReport, DemoError> {
    let started = Instant::now();
    let contract = Contract::get(Api::Ocp)?;
    let client = ocp::Client::builder(url)
        .with_access_key(DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
        .build()?;
    let mut pages = Box::pin(
        client
            .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
            .size(page_size)
            .pages(),
    );
    let mut report = ApiReport {
        api: Api::Ocp,
        pages: 0,
        records: 0,
        expected,
        distinct: 0,
        violations: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let mut seen = std::collections::HashSet::new();
    while let Some(page) = pages.next().await {
        let page = page?;
        report.pages += 1;
        report.records += page.value.data.contents.len() as u64;
        // OCP tasks carry no id of their own; a task is its serialised self.
        seen.extend(
            page.value
                .data
                .contents
                .iter()
                .filter_map(|task| serde_json::to_string(task).ok()),
        );
        check_page(contract, page.number, &page.body, &mut report.violations)?;
    }
    report.distinct = seen.len() as u64;
    report.elapsed = started.elapsed();
    Ok(report)
}

fn check_page(
    contract: &Contract,
    number: u64,
    body: &[u8],
    into: &mut Vec<(u64, Violation)>,
) -> Result<(), DemoError> {
    let target = Target::Response { status: 200 };
    match contract.check_bytes(&target, body)? {
        contract::Verdict::Valid => {}
        contract::Verdict::Invalid { violations } => {
            into.extend(violations.into_iter().map(|v| (number, v)))
        }
        contract::Verdict::NotJson { error } => into.push((
            number,
            Violation {
                pointer: String::new(),
                keyword: "parse".into(),
                message: error.to_string(),
                schema_path: String::new(),
                impact: contract::Impact::Breaking,
            },
        )),
    }
    Ok(())
}
