//! The ticket workflow as a client sees it, over HTTP and WebSocket: logging in, raising a
//! tenant's quota, finding the cloud-host item, submitting a request, approving it, reading
//! its state, and opening a user's inbox socket and reading its frames.
//!
//! Every call stamps when the server's answer arrived (its status line and headers), before
//! the body is read, so that a push can be timed against the answer it races.

use std::fmt;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

pub use crate::loadgen::target::Socket;

/// The code of the cloud-host request in the standard catalog.
pub const VM_REQUEST_CODE: &str = "vm.request";

/// The yunguan HTTP and WebSocket API, as one client with one connection pool.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    /// `http://host:port/api/v1`
    api_url: String,
    /// `ws://host:port/api/v1/ws`
    ws_url: String,
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub token: String,
    pub user_id: i64,
    pub tenant_id_opt: Option<i64>,
}

/// A call the server refused, or that never got an answer.
#[derive(Debug)]
pub struct CallError {
    /// What was attempted, e.g. `approve as ops`.
    pub action: String,
    /// The HTTP status; none when the request or the reading of its answer failed.
    pub status_opt: Option<u16>,
    /// The error body, or the transport error.
    pub detail: String,
}

impl CallError {
    /// The name errors are counted under in the reports: the action and the status.
    pub fn key(&self) -> String {
        match self.status_opt {
            Some(status) => format!("{} {status}", self.action),
            None => format!("{} transport", self.action),
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key(), self.detail)
    }
}

impl std::error::Error for CallError {}

/// A successful answer: when it arrived, and its JSON body.
struct Answer {
    answered_at: Instant,
    body: Value,
}

impl Api {
    /// `base_url` is the server's root, e.g. `http://127.0.0.1:8080`.
    pub fn new(base_url: &str) -> anyhow::Result<Api> {
        let base_url = base_url.trim_end_matches('/');
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Api {
            http,
            api_url: format!("{base_url}/api/v1"),
            ws_url: format!("{}/api/v1/ws", base_url.replacen("http", "ws", 1)),
        })
    }

    async fn call(
        &self,
        action: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Answer, CallError> {
        let failed = |status_opt: Option<u16>, detail: String| CallError {
            action: action.to_owned(),
            status_opt,
            detail,
        };
        let response = request
            .send()
            .await
            .map_err(|error| failed(None, error.to_string()))?;
        let answered_at = Instant::now();
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(failed(Some(status.as_u16()), body));
        }
        let body = response
            .json::<Value>()
            .await
            .map_err(|error| failed(None, format!("reading the answer: {error}")))?;
        Ok(Answer { answered_at, body })
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<Login> {
        let answer = self
            .call(
                &format!("log in as {username}"),
                self.http
                    .post(format!("{}/auth/login", self.api_url))
                    .json(&json!({"username": username, "password": password})),
            )
            .await?;
        let body = answer.body;
        Ok(Login {
            username: username.to_owned(),
            token: body["token"]
                .as_str()
                .context("no token in the login answer")?
                .to_owned(),
            user_id: body["user"]["id"]
                .as_i64()
                .context("no user id in the login answer")?,
            tenant_id_opt: body["user"]["tenant_id"].as_i64(),
        })
    }

    /// Sets every limit of the tenant's quota to `limit` (a bureau admin's call).
    pub async fn set_quota(&self, admin: &Login, tenant_id: i64, limit: i64) -> anyhow::Result<()> {
        self.call(
            &format!("set the quota as {}", admin.username),
            self.http
                .put(format!("{}/tenants/{tenant_id}/quota", self.api_url))
                .bearer_auth(&admin.token)
                .json(&json!({
                    "vcpu": limit, "memory_gb": limit, "storage_gb": limit,
                    "hosts": limit, "public_ips": limit
                })),
        )
        .await?;
        Ok(())
    }

    /// Gives the tenant a dedicated compute pool that no run fills: one simulated host of
    /// 100,000 vCPU, 64 TB and 100 PB, overcommitted a hundredfold, placed on by packing (a
    /// bureau admin's calls). Placement then never fails a run, as the lifted quota never
    /// does, while each ticket still pays for being placed.
    pub async fn make_room(&self, admin: &Login, tenant_id: i64) -> anyhow::Result<()> {
        let name = format!("ticketbench-{tenant_id}");
        let post = |what: &'static str, path: &'static str, body: Value| {
            self.call(
                what,
                self.http
                    .post(format!("{}/{path}", self.api_url))
                    .bearer_auth(&admin.token)
                    .json(&body),
            )
        };
        let get = |what: &'static str, path: String| {
            self.call(
                what,
                self.http
                    .get(format!("{}/{path}", self.api_url))
                    .bearer_auth(&admin.token),
            )
        };
        let pools = get("list the pools", "resource-pools?kind=compute".to_owned()).await?;
        let has_room = pools
            .body
            .as_array()
            .is_some_and(|pools| pools.iter().any(|pool| pool["name"] == name.as_str()));
        if has_room {
            return Ok(());
        }
        let id = |answer: Answer, what: &str| {
            answer.body["id"]
                .as_i64()
                .with_context(|| format!("no id in the new {what}"))
        };
        let data_centers = get("list the data centers", "data-centers".to_owned()).await?;
        let data_center_id = data_centers.body[0]["id"]
            .as_i64()
            .context("the server has no data center to put the benchmark's pool in")?;
        let pool_id = id(
            post(
                "create the benchmark's pool",
                "resource-pools",
                json!({"name": name, "kind": "compute", "data_center_id": data_center_id,
                    "placement_policy": "pack", "tenant_id": tenant_id, "cpu_overcommit": 100.0,
                    "memory_overcommit": 100.0, "disk_overcommit": 100.0}),
            )
            .await?,
            "pool",
        )?;
        let platform_id = id(
            post(
                "create the benchmark's platform",
                "cloud-platforms",
                json!({"data_center_id": data_center_id, "name": name, "kind": "simulated"}),
            )
            .await?,
            "platform",
        )?;
        let cluster_id = id(
            post(
                "create the benchmark's cluster",
                "clusters",
                json!({"platform_id": platform_id, "name": name, "pool_id": pool_id}),
            )
            .await?,
            "cluster",
        )?;
        post(
            "create the benchmark's host",
            "hosts",
            json!({"cluster_id": cluster_id, "external_id": format!("{name}-01"),
                "vcpu_total": 100_000, "memory_mb_total": 64_i64 << 20,
                "disk_gb_total": 100_000_000}),
        )
        .await?;
        Ok(())
    }

    /// The id of the catalog item with `code`.
    pub async fn item_id(&self, login: &Login, code: &str) -> anyhow::Result<i64> {
        let answer = self
            .call(
                "list the catalog",
                self.http
                    .get(format!("{}/catalog", self.api_url))
                    .bearer_auth(&login.token),
            )
            .await?;
        answer
            .body
            .as_array()
            .and_then(|items| items.iter().find(|item| item["code"] == code))
            .and_then(|item| item["id"].as_i64())
            .with_context(|| format!("no catalog item {code:?}"))
    }

    /// Submits a request for catalog item `item_id`; returns the new ticket's id.
    pub async fn submit(
        &self,
        requester: &Login,
        item_id: i64,
        title: &str,
        form: &Value,
    ) -> Result<i64, CallError> {
        let action = format!("submit as {}", requester.username);
        let answer = self
            .call(
                &action,
                self.http
                    .post(format!("{}/tickets", self.api_url))
                    .bearer_auth(&requester.token)
                    .json(&json!({"item_id": item_id, "title": title, "form": form})),
            )
            .await?;
        answer.body["id"].as_i64().ok_or_else(|| CallError {
            action,
            status_opt: None,
            detail: format!("no ticket id in {}", answer.body),
        })
    }

    /// Approves the ticket's open level; returns when the answer arrived.
    pub async fn approve(&self, approver: &Login, ticket_id: i64) -> Result<Instant, CallError> {
        let answer = self
            .call(
                &format!("approve as {}", approver.username),
                self.http
                    .post(format!("{}/tickets/{ticket_id}/approve", self.api_url))
                    .bearer_auth(&approver.token)
                    .json(&json!({})),
            )
            .await?;
        Ok(answer.answered_at)
    }

    /// The ticket's state as the API shows it now.
    pub async fn ticket_state(&self, login: &Login, ticket_id: i64) -> Result<String, CallError> {
        let answer = self
            .call(
                &format!("read a ticket as {}", login.username),
                self.http
                    .get(format!("{}/tickets/{ticket_id}", self.api_url))
                    .bearer_auth(&login.token),
            )
            .await?;
        Ok(answer.body["state"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned())
    }

    /// Opens a socket the way the portal does (a single-use ticket, then the upgrade) and
    /// subscribes it to the user's inbox, `user/{id}/inbox`.
    pub async fn open_inbox(&self, login: &Login) -> anyhow::Result<Socket> {
        let answer = self
            .call(
                &format!("get a websocket ticket as {}", login.username),
                self.http
                    .post(format!("{}/ws/ticket", self.api_url))
                    .bearer_auth(&login.token),
            )
            .await?;
        let ws_ticket = answer.body["ticket"]
            .as_str()
            .context("no ticket in the websocket ticket answer")?;
        let (mut socket, _) =
            tokio_tungstenite::connect_async(format!("{}?ticket={ws_ticket}", self.ws_url))
                .await
                .context("opening a websocket")?;
        let topic = format!("user/{}/inbox", login.user_id);
        socket
            .send(Message::text(
                json!({"op": "subscribe", "topic": topic}).to_string(),
            ))
            .await?;
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) if text.contains("\"subscribed\"") => break,
                Some(Ok(Message::Text(text))) => bail!("subscription to {topic} refused: {text}"),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
                None => bail!("closed while subscribing to {topic}"),
            }
        }
        Ok(socket)
    }
}

/// What the benchmarks look for in an inbox socket's frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxFrame {
    /// `ticket.changed` (to the requester): the ticket as it now stands.
    TicketChanged {
        ticket_id: i64,
        state: String,
        level_index_opt: Option<i64>,
    },
    /// `approval.pending` (to an approver): a level of this ticket opened for them.
    ApprovalPending { ticket_id: i64 },
    /// The connection's queue overflowed and events were dropped: pushes may be missing.
    Resync,
    /// Anything else (other event kinds, pongs).
    Other,
}

impl InboxFrame {
    pub fn parse(text: &str) -> InboxFrame {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return InboxFrame::Other;
        };
        match (frame["op"].as_str(), frame["kind"].as_str()) {
            (Some("resync"), _) => InboxFrame::Resync,
            (Some("event"), Some("ticket.changed")) => {
                let ticket = &frame["data"];
                match ticket["id"].as_i64() {
                    Some(ticket_id) => InboxFrame::TicketChanged {
                        ticket_id,
                        state: ticket["state"].as_str().unwrap_or_default().to_owned(),
                        level_index_opt: ticket["level_index"].as_i64(),
                    },
                    None => InboxFrame::Other,
                }
            }
            (Some("event"), Some("approval.pending")) => {
                match frame["data"]["ticket"]["id"].as_i64() {
                    Some(ticket_id) => InboxFrame::ApprovalPending { ticket_id },
                    None => InboxFrame::Other,
                }
            }
            _ => InboxFrame::Other,
        }
    }
}

/// A valid request for one small host (1 vCPU): with the standard chain that is two levels,
/// the requester's tenant admin, then the bureau operators (the third level asks for more
/// than 32 vCPU).
pub fn one_small_host_form() -> Value {
    json!({
        "business_system": "bench",
        "flavour": "s1.small",
        "disk_gb": 40,
        "image": "kylin-v10",
        "network": "gov-intranet",
        "count": 1,
        "lease_end": utc_date_in_days(90),
    })
}

/// The UTC date `days_ahead` days from now as `YYYY-MM-DD`, the form's date format (the
/// server checks dates against its UTC today).
fn utc_date_in_days(days_ahead: u64) -> String {
    let today = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs() / 86_400)
        .unwrap_or(0);
    civil_date(today + days_ahead)
}

/// The Gregorian date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> String {
    let shifted = days as i64 + 719_468; // from 0000-03-01, so that leap days fall last
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_1970_become_calendar_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_088), "2024-12-31");
        assert_eq!(civil_date(20_783), "2026-11-26");
        assert_eq!(civil_date(47_541), "2100-03-01");
    }

    #[test]
    fn inbox_frames_are_recognised_by_op_and_kind() {
        assert_eq!(
            InboxFrame::parse(
                r#"{"op":"event","topic":"user/5/inbox","seq":9,"kind":"ticket.changed","ts":"x","data":{"id":7,"state":"approving","level_index":1}}"#
            ),
            InboxFrame::TicketChanged {
                ticket_id: 7,
                state: "approving".into(),
                level_index_opt: Some(1)
            }
        );
        assert_eq!(
            InboxFrame::parse(
                r#"{"op":"event","topic":"user/5/inbox","seq":9,"kind":"ticket.changed","ts":"x","data":{"id":7,"state":"fulfilled","level_index":null}}"#
            ),
            InboxFrame::TicketChanged {
                ticket_id: 7,
                state: "fulfilled".into(),
                level_index_opt: None
            }
        );
        assert_eq!(
            InboxFrame::parse(
                r#"{"op":"event","topic":"user/3/inbox","seq":2,"kind":"approval.pending","ts":"x","data":{"approval":{"id":1},"ticket":{"id":7,"level_index":1}}}"#
            ),
            InboxFrame::ApprovalPending { ticket_id: 7 }
        );
        assert_eq!(
            InboxFrame::parse(r#"{"op":"resync","topic":"user/3/inbox"}"#),
            InboxFrame::Resync
        );
        assert_eq!(
            InboxFrame::parse(
                r#"{"op":"event","topic":"user/3/inbox","seq":3,"kind":"approval.closed","ts":"x","data":{"id":1}}"#
            ),
            InboxFrame::Other
        );
        assert_eq!(InboxFrame::parse("not json"), InboxFrame::Other);
    }
}
