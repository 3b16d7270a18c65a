//! Live monitoring: device state, data-center and overview aggregates, topology and alarms
//! (the rules are in `alarm_rules`). Bureau staff and suppliers watch; bureau admins and operators handle alarms.
//! Tenants see none of it (their VMs' monitoring is in `vm_monitoring`).

use actix_web::{get, post, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use yunguan_actors::alarm::rule::Severity;
use yunguan_actors::alarm::AlarmKey;

use crate::db::entities::alarm;
use chrono::{DateTime, Utc};

use crate::error::{ApiError, ErrorBody, ErrorCode, FieldError};
use crate::monitoring::alarms::{self, AlarmView, CLEARED};
use crate::monitoring::data_center::DataCenterSummary;
use crate::monitoring::device::state::DEVICE_METRICS;
use crate::monitoring::device::DeviceStateView;
use crate::monitoring::messages::{AlarmAction, AlarmCommand, AlarmCommandFailed};
use crate::monitoring::overview::OverviewSummary;
use crate::monitoring::rollups::{self, RollupView};
use crate::monitoring::TopologyView;
use crate::routes::extract::{Authorized, MonitoringViewers, Operators, ScreenViewers};
use crate::severity::{self, SeverityName};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(device_state)
        .service(device_metrics)
        .service(data_center_summary)
        .service(topology)
        .service(overview)
        .service(list_alarms)
        .service(get_alarm)
        .service(acknowledge)
        .service(clear);
}

/// A device's live state: reachability, interfaces with rates, load, storage, recent history.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = DeviceStateView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/devices/{id}/state")]
pub async fn device_state(
    _caller: Authorized<MonitoringViewers>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<DeviceStateView>, ApiError> {
    state
        .monitoring
        .device_state_view(path.into_inner())
        .await
        .map(web::Json)
        .ok_or_else(|| ApiError::not_found("monitored device"))
}

/// Which series of a device or VM, and which minutes of it.
#[derive(Deserialize, IntoParams)]
pub struct MetricsQuery {
    /// A device's: `cpu_percent`, `memory_percent`, `temperature_celsius`,
    /// `interface_in_bps`, `interface_out_bps` or `storage_percent`. A VM's: `cpu_percent`,
    /// `memory_percent`, `disk_read_bytes_per_sec`, `disk_write_bytes_per_sec`,
    /// `network_in_bps` or `network_out_bps`.
    pub metric: String,
    /// The interface (ifIndex) or storage index, for a device's per-instance metrics.
    pub instance: Option<u32>,
    /// Default: an hour before `to`.
    pub from: Option<DateTime<Utc>>,
    /// Default: now.
    pub to: Option<DateTime<Utc>>,
    /// 1 to 1440 minutes, default 1440.
    pub limit: Option<u64>,
}

impl MetricsQuery {
    /// The stored minutes this query asks for of `subject`, whose metrics are `metrics`;
    /// `to` is the application's now unless given.
    pub async fn read(
        self,
        state: &AppState,
        subject: rollups::Subject,
        metrics: &[&str],
    ) -> Result<Vec<RollupView>, ApiError> {
        if !metrics.contains(&self.metric.as_str()) {
            return Err(ApiError::with_fields(
                ErrorCode::ValidationFailed,
                "unknown metric",
                vec![FieldError::new(
                    "metric",
                    format!("one of {}", metrics.join(", ")),
                )],
            ));
        }
        let to = self.to.unwrap_or_else(|| state.clock.now());
        let from = self.from.unwrap_or(to - chrono::Duration::hours(1));
        let limit = match self.limit {
            None => 1440,
            Some(limit) if (1..=1440).contains(&limit) => limit,
            Some(_) => {
                return Err(ApiError::with_fields(
                    ErrorCode::ValidationFailed,
                    "limit out of range",
                    vec![FieldError::new("limit", "1 to 1440")],
                ))
            }
        };
        let instance = self.instance.unwrap_or(0);
        Ok(rollups::series(&state.db, subject, &self.metric, instance, from, to, limit).await?)
    }
}

/// A device's metric as one-minute rollups (min, max, average), oldest first.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path), MetricsQuery),
    responses(
        (status = 200, body = [RollupView]),
        (status = 403, body = ErrorBody),
        (status = 422, description = "`validation_failed`: an unknown metric or a limit out of range", body = ErrorBody),
    )
)]
#[get("/devices/{id}/metrics")]
pub async fn device_metrics(
    _caller: Authorized<MonitoringViewers>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<MetricsQuery>,
) -> Result<web::Json<Vec<RollupView>>, ApiError> {
    let device = rollups::Subject::Device(path.into_inner());
    let series = query
        .into_inner()
        .read(&state, device, DEVICE_METRICS)
        .await?;
    Ok(web::Json(series))
}

/// A data center's aggregates, as last published to `dc/{id}`.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = DataCenterSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/datacenters/{id}/summary")]
pub async fn data_center_summary(
    _caller: Authorized<MonitoringViewers>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<DataCenterSummary>, ApiError> {
    state
        .monitoring
        .data_center_summary(path.into_inner())
        .map(web::Json)
        .ok_or_else(|| ApiError::not_found("monitored data center"))
}

/// A data center's devices and links with their live status.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = TopologyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/datacenters/{id}/topology")]
pub async fn topology(
    _caller: Authorized<MonitoringViewers>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<TopologyView>, ApiError> {
    state
        .monitoring
        .topology(path.into_inner())
        .await
        .map(web::Json)
        .ok_or_else(|| ApiError::not_found("monitored data center"))
}

/// Every data center's aggregates and the totals, as last published to `overview` (bureau
/// staff and the wall).
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    responses((status = 200, body = OverviewSummary), (status = 403, body = ErrorBody))
)]
#[get("/overview")]
pub async fn overview(
    _caller: Authorized<ScreenViewers>,
    state: web::Data<AppState>,
) -> Result<web::Json<OverviewSummary>, ApiError> {
    Ok(web::Json(state.monitoring.overview()))
}

/// Which alarms a list holds: `active` (raised or acknowledged, the default), one state, or
/// `all`.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlarmStateFilter {
    #[default]
    Active,
    Raised,
    Acknowledged,
    Cleared,
    All,
}

#[derive(Deserialize, IntoParams)]
pub struct AlarmQuery {
    /// Default `active`.
    #[param(inline)]
    pub state: Option<AlarmStateFilter>,
    #[param(inline)]
    pub severity: Option<SeverityName>,
    pub data_center_id: Option<i64>,
    pub device_id: Option<i64>,
    pub offset: Option<u64>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// Alarms, newest first.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(AlarmQuery),
    responses((status = 200, body = [AlarmView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/alarms")]
pub async fn list_alarms(
    _caller: Authorized<MonitoringViewers>,
    state: web::Data<AppState>,
    query: web::Query<AlarmQuery>,
) -> Result<web::Json<Vec<AlarmView>>, ApiError> {
    let query = query.into_inner();
    let mut select = alarm::Entity::find();
    select = match query.state.unwrap_or_default() {
        AlarmStateFilter::Active => select.filter(alarm::Column::State.ne(CLEARED)),
        AlarmStateFilter::All => select,
        AlarmStateFilter::Raised => select.filter(alarm::Column::State.eq(alarms::RAISED)),
        AlarmStateFilter::Acknowledged => {
            select.filter(alarm::Column::State.eq(alarms::ACKNOWLEDGED))
        }
        AlarmStateFilter::Cleared => select.filter(alarm::Column::State.eq(CLEARED)),
    };
    if let Some(severity) = query.severity {
        select =
            select.filter(alarm::Column::Severity.eq(severity::name(Severity::from(severity))));
    }
    if let Some(data_center_id) = query.data_center_id {
        select = select.filter(alarm::Column::DataCenterId.eq(data_center_id));
    }
    if let Some(device_id) = query.device_id {
        select = select.filter(alarm::Column::DeviceId.eq(device_id));
    }
    let rows = select
        .order_by_desc(alarm::Column::Id)
        .offset(super::page_offset(query.offset)?)
        .limit(super::page_limit(query.limit)?)
        .all(&state.db)
        .await?;
    Ok(web::Json(rows.into_iter().map(AlarmView::from).collect()))
}

/// One alarm, in any state.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = AlarmView),
        (status = 403, description = "`forbidden`: bureau staff and suppliers only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
#[get("/alarms/{id}")]
pub async fn get_alarm(
    _caller: Authorized<MonitoringViewers>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<AlarmView>, ApiError> {
    let row = alarm::Entity::find_by_id(path.into_inner())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("alarm"))?;
    Ok(web::Json(AlarmView::from(row)))
}

/// Acknowledges an alarm: someone is on it. It stays active until its condition ends.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = AlarmView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`conflict`: that occurrence is no longer active, is already acknowledged, or its data center is monitored by another node", body = ErrorBody),
        (status = 503, description = "`service_unavailable`: the data center's actor did not answer, or the alarm was not recorded", body = ErrorBody),
    )
)]
#[post("/alarms/{id}/acknowledge")]
pub async fn acknowledge(
    caller: Authorized<Operators>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<AlarmView>, ApiError> {
    command(caller, state, path.into_inner(), AlarmAction::Acknowledge).await
}

/// Clears an alarm by hand; it is raised again only after its condition has ended once.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = AlarmView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`conflict`: that occurrence is no longer active, is already acknowledged, or its data center is monitored by another node", body = ErrorBody),
        (status = 503, description = "`service_unavailable`: the data center's actor did not answer, or the alarm was not recorded", body = ErrorBody),
    )
)]
#[post("/alarms/{id}/clear")]
pub async fn clear(
    caller: Authorized<Operators>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<AlarmView>, ApiError> {
    command(caller, state, path.into_inner(), AlarmAction::Clear).await
}

async fn command(
    caller: Authorized<Operators>,
    state: web::Data<AppState>,
    alarm_id: i64,
    action: AlarmAction,
) -> Result<web::Json<AlarmView>, ApiError> {
    let row = alarm::Entity::find_by_id(alarm_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("alarm"))?;
    let (written_tx, written_rx) = tokio::sync::oneshot::channel();
    let command = AlarmCommand {
        key: AlarmKey {
            rule_id: row.rule_id,
            device_id: row.device_id,
            instance_opt: row.instance.clone(),
        },
        occurrence: row.occurrence.max(0) as u64,
        user_id: caller.principal.user_id,
        action,
        written_tx,
    };
    state
        .monitoring
        .alarm_command(row.data_center_id, command)
        .await
        .map_err(|failed| {
            let code = match failed {
                AlarmCommandFailed::Unanswered(_) => ErrorCode::ServiceUnavailable,
                AlarmCommandFailed::NotMonitoredHere
                | AlarmCommandFailed::NotActive
                | AlarmCommandFailed::AlreadyAcknowledged => ErrorCode::Conflict,
            };
            ApiError::new(
                code,
                format!("alarm {alarm_id} cannot be changed now: {failed}"),
            )
        })?;
    let written = written_rx
        .await
        .map_err(|_| ApiError::new(ErrorCode::ServiceUnavailable, "the alarm was not recorded"))?;
    Ok(web::Json(AlarmView::from(written)))
}
