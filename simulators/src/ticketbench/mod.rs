//! The ticket workflow benchmarks (`yunguan-ticketbench`): how soon an approval reaches the
//! requester's and the next approver's sockets with many tickets in flight (`latency`), and
//! how many tickets per second go from submission through two approval levels to fulfilled
//! (`throughput`).
//!
//! Both drive a server seeded by `yunguan demo`: `edu-dev` requests one small host,
//! `edu-admin` signs the first level, `ops` the second, and `admin` first lifts the tenant's
//! quota out of the way and gives it a compute pool no run fills. Each subcommand prints a summary, then its report as one JSON line.
//!
//! # Layout
//! - [`api`]: the HTTP calls and inbox sockets of the workflow, and the frames looked for.
//! - [`latency`]: approval push latency.
//! - [`throughput`]: tickets per second, and the server's CPU time per ticket.

pub mod api;
pub mod latency;
pub mod throughput;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;

use api::{Api, CallError, Login};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "yunguan-ticketbench",
    about = "Benchmarks of yunguan's ticket and approval workflow"
)]
pub struct Args {
    #[command(subcommand)]
    pub bench: Bench,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Bench {
    /// Approval push latency, with many tickets waiting at the first level.
    Latency(latency::LatencyArgs),
    /// Tickets per second from submission to their final state.
    Throughput(throughput::ThroughputArgs),
}

/// Where the server is, and who plays each part.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// The server's HTTP base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The password of the accounts below (the demo's).
    #[arg(
        long,
        env = "YUNGUAN_DEMO_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    pub password: String,
    /// The tenant member who requests the hosts.
    #[arg(long, default_value = "edu-dev")]
    pub requester: String,
    /// The requester's tenant admin, who signs the first level.
    #[arg(long, default_value = "edu-admin")]
    pub tenant_approver: String,
    /// A bureau operator, who signs the second level (the demo has only `ops`, so every
    /// second level opens for them).
    #[arg(long, default_value = "ops")]
    pub operator: String,
    /// A bureau admin, to raise the requester's tenant quota.
    #[arg(long, default_value = "admin")]
    pub admin: String,
    /// A name for the server's configuration, copied into the report (e.g. `postgres+redis`).
    #[arg(long, default_value = "")]
    pub label: String,
}

/// A limit no run reaches: fulfilled hosts hold their quota for good, and a throughput run
/// fulfils tens of thousands of them.
const UNREACHABLE_QUOTA: i64 = 1_000_000_000;

/// The accounts of a run, logged in, and what the requester asks for.
pub struct Participants {
    pub api: Api,
    pub requester: Login,
    pub tenant_approver: Login,
    pub operator: Login,
    item_id: i64,
    form: Value,
}

impl Participants {
    /// Logs everyone in, raises the requester's tenant quota, gives it room to place its
    /// hosts and finds the cloud-host item.
    pub async fn prepare(args: &ServerArgs) -> anyhow::Result<Participants> {
        let api = Api::new(&args.url)?;
        let requester = api.login(&args.requester, &args.password).await?;
        let tenant_approver = api.login(&args.tenant_approver, &args.password).await?;
        let operator = api.login(&args.operator, &args.password).await?;
        let admin = api.login(&args.admin, &args.password).await?;
        let tenant_id = requester
            .tenant_id_opt
            .with_context(|| format!("{} belongs to no tenant", requester.username))?;
        api.set_quota(&admin, tenant_id, UNREACHABLE_QUOTA).await?;
        api.make_room(&admin, tenant_id).await?;
        let item_id = api.item_id(&requester, api::VM_REQUEST_CODE).await?;
        Ok(Participants {
            api,
            requester,
            tenant_approver,
            operator,
            item_id,
            form: api::one_small_host_form(),
        })
    }

    /// Submits a request for one small host; returns the ticket's id.
    pub async fn submit(&self, title: &str) -> Result<i64, CallError> {
        self.api
            .submit(&self.requester, self.item_id, title, &self.form)
            .await
    }
}

/// Failures counted by action and status (`approve as ops 409`), with the first answer of
/// each kind kept to show what went wrong.
#[derive(Debug, Default)]
pub struct ErrorTally {
    pub counts: BTreeMap<String, u64>,
    first_details: BTreeMap<String, String>,
}

impl ErrorTally {
    pub fn add(&mut self, key: String, detail: String) {
        *self.counts.entry(key.clone()).or_insert(0) += 1;
        self.first_details.entry(key).or_insert(detail);
    }

    pub fn add_call(&mut self, error: CallError) {
        self.add(error.key(), error.detail);
    }

    pub fn merge(&mut self, other: ErrorTally) {
        for (key, count) in other.counts {
            *self.counts.entry(key).or_insert(0) += count;
        }
        for (key, detail) in other.first_details {
            self.first_details.entry(key).or_insert(detail);
        }
    }

    /// The first answer of each kind, to standard error (the JSON line stays the last line
    /// of standard output).
    pub fn print_details(&self) {
        for (key, detail) in &self.first_details {
            eprintln!("first {key}: {detail}");
        }
    }
}

/// The benchmark's name with the configuration's label, for the summary line.
pub fn labelled(bench: &str, label: &str) -> String {
    if label.is_empty() {
        bench.to_owned()
    } else {
        format!("{bench} [{label}]")
    }
}

/// Counts by key as `key: n, key: n`, or `none`.
pub fn counts_text(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts
        .iter()
        .map(|(key, count)| format!("{key}: {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The longest duration the histograms tell apart from longer ones: ten minutes.
const LONGEST_MICROS: u64 = 600_000_000;

/// p50, p99 and max of a set of durations, in milliseconds (recorded in microseconds).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Millis {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Millis {
    pub fn of(durations: impl IntoIterator<Item = Duration>) -> Millis {
        let mut histogram =
            Histogram::<u64>::new_with_bounds(1, LONGEST_MICROS, 3).expect("valid bounds");
        for duration in durations {
            histogram.saturating_record(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX));
        }
        if histogram.is_empty() {
            return Millis::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Millis {
            count: histogram.len(),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
        }
    }

    pub fn to_text(&self) -> String {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n={})",
            self.p50_ms, self.p99_ms, self.max_ms, self.count
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_read_in_milliseconds() {
        let summary = Millis::of((1..=100).map(Duration::from_millis));
        assert_eq!(summary.count, 100);
        assert!((summary.p50_ms - 50.0).abs() < 0.1, "{summary:?}");
        assert!((summary.p99_ms - 99.0).abs() < 0.1, "{summary:?}");
        assert!((summary.max_ms - 100.0).abs() < 0.1, "{summary:?}");
        assert_eq!(Millis::of(Vec::<Duration>::new()).count, 0);
        assert!(Millis::of([Duration::ZERO]).max_ms < 0.01);
    }
}
