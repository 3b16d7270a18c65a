//! Devices (servers, switches, routers, firewalls, load balancers, storage arrays), their
//! interfaces and the links between interfaces: the network the poller watches and the
//! topology is drawn from.
//!
//! A device's SNMP credentials arrive in clear on create or update, are sealed at once
//! (`crate::secrets`) and never leave again: views show only the SNMP version and, for v3,
//! the user.

use std::net::{IpAddr, SocketAddr};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryTrait, Select, Set,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::credentials::Credentials;
use super::crud::{
    nullable, present, present_kinds, Checker, InventoryError, InventoryObject, ModelOf, Writer,
};
use super::references;
use crate::db::entities::{device, interface, link, machine_room, rack};
use crate::secrets::Sealer;
use crate::tenancy::TenantScope;

pub const DEVICE_KINDS: &[&str] = &[
    "server",
    "switch",
    "router",
    "firewall",
    "load_balancer",
    "storage_array",
];
pub const DEVICE_TIERS: &[&str] = &["core", "aggregation", "access", "host"];
/// The tallest device, in rack units.
pub const MAX_DEVICE_HEIGHT_U: i32 = 20;
/// The purpose SNMP credentials are sealed for.
pub const SNMP_CREDENTIALS_PURPOSE: &str = "device.snmp_credentials";
pub const DEFAULT_SNMP_PORT: u16 = 161;

/// `ip` or `ip:port` (IPv6 as `[ip]:port`); the port defaults to 161.
pub fn parse_management_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_SNMP_PORT));
    }
    match text.parse::<SocketAddr>() {
        Ok(address) if address.port() != 0 => Ok(address),
        Ok(_) => Err("the port must not be 0".to_owned()),
        Err(_) => Err("must be an IP address, optionally with :port".to_owned()),
    }
}

pub struct Devices;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceFields {
    pub data_center_id: Option<i64>,
    /// Instead of `data_center_id` (imports).
    pub data_center_code: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub rack_id: Option<Option<i64>>,
    /// Instead of `rack_id` (imports): a rack's name in the device's data center.
    pub rack: Option<String>,
    /// The lowest rack unit it occupies (from 1; needs a rack); `null` takes it out of its
    /// place. It may not overlap another device of the rack.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub rack_unit: Option<Option<i32>>,
    /// How many rack units it takes, upwards from `rack_unit`: 1 to 20, default 1.
    pub height_u: Option<i32>,
    /// Unique within the data center; what imports match on.
    pub name: Option<String>,
    /// `server`, `switch`, `router`, `firewall`, `load_balancer` or `storage_array`.
    pub kind: Option<String>,
    pub vendor: Option<String>,
    /// Polls of a device with ENTITY-MIB keep it as its chassis says.
    pub model: Option<String>,
    /// Up to 200 characters; polls of a device with ENTITY-MIB keep it as its chassis says.
    pub serial_number: Option<String>,
    /// Up to 200 characters; polls of a device with ENTITY-MIB keep it as its chassis says.
    pub firmware: Option<String>,
    /// `core`, `aggregation`, `access` or `host`: the network layer.
    pub tier: Option<String>,
    /// `ip` or `ip:port` of the SNMP agent; port 161 by default.
    pub management_address: Option<String>,
    /// `{"version":"v2c","community":"…"}` or `{"version":"v3","username":…,
    /// "auth_protocol":"sha1","auth_password":…,"priv_protocol":"aes128","priv_password":…}`;
    /// `null` removes them. Stored sealed, never returned.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<Option<Credentials>>,
    /// 10 to 86400, default 60.
    pub poll_interval_secs: Option<i32>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub pool_id: Option<Option<i64>>,
    /// Instead of `pool_id` (imports): the pool's name.
    pub pool: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: i64,
    pub data_center_id: i64,
    pub rack_id: Option<i64>,
    /// The lowest rack unit it occupies (from 1); null when it has no place in a rack.
    pub rack_unit: Option<i32>,
    /// How many rack units it takes, upwards from `rack_unit`.
    pub height_u: i32,
    pub name: String,
    pub kind: String,
    pub vendor: String,
    pub model: String,
    /// Empty until known: polled from ENTITY-MIB, or entered.
    pub serial_number: String,
    /// Empty until known: polled from ENTITY-MIB, or entered.
    pub firmware: String,
    pub tier: String,
    pub management_address: String,
    /// `v2c`, `v3`, `unreadable` (sealed under another key) or empty: no credentials.
    pub snmp_version: Option<String>,
    /// The SNMPv3 user; never a password or community.
    pub snmp_username: Option<String>,
    pub poll_interval_secs: i32,
    pub pool_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct DeviceFilter {
    pub data_center_id: Option<i64>,
    pub rack_id: Option<i64>,
    /// One of the kinds (`server`, `switch`, `router`, `firewall`, `load_balancer`,
    /// `storage_array`); another is `400 bad_request`.
    #[serde(default, deserialize_with = "known_kind")]
    pub kind: Option<String>,
    /// One of the tiers (`core`, `aggregation`, `access`, `host`); another is `400`.
    #[serde(default, deserialize_with = "known_tier")]
    pub tier: Option<String>,
    pub pool_id: Option<i64>,
    /// Devices whose name contains this text, whatever its case (`core` finds
    /// `DC1-CORE-01`); `%` and `_` are plain characters.
    pub name: Option<String>,
}

fn known_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    one_of(d, DEVICE_KINDS)
}

fn known_tier<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    one_of(d, DEVICE_TIERS)
}

/// A filter value that must be one of `allowed`: an unknown one is refused, not answered
/// with an empty list.
fn one_of<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    allowed: &'static [&'static str],
) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if allowed.contains(&value.as_str()) {
        Ok(Some(value))
    } else {
        Err(serde::de::Error::unknown_variant(&value, allowed))
    }
}

/// The rack and its data center, for checking that a device and its rack agree and that the
/// device fits.
async fn rack_and_data_center(
    txn: &impl ConnectionTrait,
    rack_id: i64,
) -> Result<Option<(rack::Model, i64)>, DbErr> {
    let Some(found) = rack::Entity::find_by_id(rack_id).one(txn).await? else {
        return Ok(None);
    };
    Ok(machine_room::Entity::find_by_id(found.room_id)
        .one(txn)
        .await?
        .map(|room| (found, room.data_center_id)))
}

/// The rack units a device occupies: from `lowest_unit` up `height_u` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RackSpan {
    pub lowest_unit: i32,
    pub height_u: i32,
}

impl RackSpan {
    pub fn highest_unit(self) -> i32 {
        self.lowest_unit + self.height_u - 1
    }

    pub fn overlaps(self, other: RackSpan) -> bool {
        self.lowest_unit <= other.highest_unit() && other.lowest_unit <= self.highest_unit()
    }

    /// What is wrong with this place in a rack `rack_height_u` units tall, if anything.
    pub fn fit_problem(self, rack_height_u: i32) -> Option<String> {
        if self.lowest_unit < 1 {
            Some("must be at least 1".to_owned())
        } else if self.highest_unit() > rack_height_u {
            Some(format!(
                "a {}U device from U{} reaches U{}, above the rack's {rack_height_u}U",
                self.height_u,
                self.lowest_unit,
                self.highest_unit()
            ))
        } else {
            None
        }
    }
}

impl std::fmt::Display for RackSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.height_u == 1 {
            write!(f, "U{}", self.lowest_unit)
        } else {
            write!(f, "U{}-U{}", self.lowest_unit, self.highest_unit())
        }
    }
}

/// Checks the device's place in its rack: it needs a rack, fits in it, and overlaps no other
/// device of the rack (named in the problem).
async fn check_rack_place(
    txn: &impl ConnectionTrait,
    check: &mut Checker,
    device_id_opt: Option<i64>,
    rack_opt: Option<&rack::Model>,
    rack_id_opt: Option<i64>,
    span: RackSpan,
) -> Result<(), DbErr> {
    if rack_id_opt.is_none() {
        check.problem(
            "rack_unit",
            "needs a rack_id (send rack_unit null to leave it out)",
        );
        return Ok(());
    }
    let Some(rack) = rack_opt else {
        // The rack itself is refused already.
        return Ok(());
    };
    if let Some(problem) = span.fit_problem(rack.height_u) {
        check.problem("rack_unit", problem);
        return Ok(());
    }
    let neighbours = device::Entity::find()
        .filter(device::Column::RackId.eq(rack.id))
        .filter(device::Column::RackUnit.is_not_null())
        .apply_if(device_id_opt, |select, id| {
            select.filter(device::Column::Id.ne(id))
        })
        .all(txn)
        .await?;
    for neighbour in neighbours {
        let Some(lowest_unit) = neighbour.rack_unit else {
            continue;
        };
        let taken = RackSpan {
            lowest_unit,
            height_u: neighbour.height_u,
        };
        if span.overlaps(taken) {
            check.problem(
                "rack_unit",
                format!(
                    "{span} overlaps {} at {taken} in rack {}",
                    neighbour.name, rack.name
                ),
            );
            break;
        }
    }
    Ok(())
}

impl InventoryObject for Devices {
    type Entity = device::Entity;
    type Fields = DeviceFields;
    type View = DeviceView;
    type Filter = DeviceFilter;
    const KIND: &'static str = "device";
    const WHAT: &'static str = "device";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> device::Column {
        device::Column::Id
    }

    fn view(model: &device::Model, sealer: &Sealer) -> DeviceView {
        let (snmp_version, snmp_username) = match &model.snmp_credentials_sealed {
            None => (None, None),
            Some(sealed) => {
                match sealer.open_json::<Credentials>(SNMP_CREDENTIALS_PURPOSE, sealed) {
                    Ok(Credentials::V3 { username, .. }) => (Some("v3".to_owned()), Some(username)),
                    Ok(credentials) => (Some(credentials.version().to_owned()), None),
                    Err(_) => (Some("unreadable".to_owned()), None),
                }
            }
        };
        DeviceView {
            id: model.id,
            data_center_id: model.data_center_id,
            rack_id: model.rack_id,
            rack_unit: model.rack_unit,
            height_u: model.height_u,
            name: model.name.clone(),
            kind: model.kind.clone(),
            vendor: model.vendor.clone(),
            model: model.model.clone(),
            serial_number: model.serial_number.clone(),
            firmware: model.firmware.clone(),
            tier: model.tier.clone(),
            management_address: model.management_address.clone(),
            snmp_version,
            snmp_username,
            poll_interval_secs: model.poll_interval_secs,
            pool_id: model.pool_id,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: DeviceFields,
        existing_opt: Option<&device::Model>,
        writer: &Writer<'_>,
    ) -> Result<device::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let data_center_id = references::data_center(
            txn,
            &mut check,
            fields.data_center_id,
            fields.data_center_code.as_deref(),
            existing_opt.map(|m| m.data_center_id),
        )
        .await?;
        let rack_id = match (fields.rack_id, &fields.rack) {
            (None, Some(rack_name)) => {
                let found = references::rack_by_name(txn, data_center_id, rack_name).await?;
                match found.as_slice() {
                    [only] => Some(only.id),
                    [] => {
                        check.problem(
                            "rack",
                            format!("no rack named {rack_name} in the data center"),
                        );
                        None
                    }
                    _ => {
                        check.problem(
                            "rack",
                            format!("several racks are named {rack_name}; give rack_id"),
                        );
                        None
                    }
                }
            }
            (given, _) => nullable(given, existing_opt.map(|m| m.rack_id)),
        };
        let mut rack_opt = None;
        if let Some(rack_id) = rack_id {
            match rack_and_data_center(txn, rack_id).await? {
                None => check.problem("rack_id", format!("no rack {rack_id}")),
                Some((_, rack_data_center_id)) if rack_data_center_id != data_center_id => {
                    check.problem("rack_id", "the rack is in another data center")
                }
                Some((found, _)) => rack_opt = Some(found),
            }
        }
        let rack_unit = nullable(fields.rack_unit, existing_opt.map(|m| m.rack_unit));
        let height_u = fields
            .height_u
            .or(existing_opt.map(|m| m.height_u))
            .unwrap_or(1);
        if !(1..=MAX_DEVICE_HEIGHT_U).contains(&height_u) {
            check.problem(
                "height_u",
                format!("must be between 1 and {MAX_DEVICE_HEIGHT_U}"),
            );
        } else if let Some(lowest_unit) = rack_unit {
            let span = RackSpan {
                lowest_unit,
                height_u,
            };
            let device_id_opt = existing_opt.map(|m| m.id);
            check_rack_place(
                txn,
                &mut check,
                device_id_opt,
                rack_opt.as_ref(),
                rack_id,
                span,
            )
            .await?;
        }
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        check.text("name", &name, 200);
        let kind = check.required("kind", fields.kind, existing_opt.map(|m| m.kind.clone()));
        check.one_of("kind", &kind, DEVICE_KINDS);
        let tier = check.required("tier", fields.tier, existing_opt.map(|m| m.tier.clone()));
        check.one_of("tier", &tier, DEVICE_TIERS);
        let vendor = fields
            .vendor
            .or(existing_opt.map(|m| m.vendor.clone()))
            .unwrap_or_default();
        let model = fields
            .model
            .or(existing_opt.map(|m| m.model.clone()))
            .unwrap_or_default();
        let serial_number = fields
            .serial_number
            .or(existing_opt.map(|m| m.serial_number.clone()))
            .unwrap_or_default();
        check.at_most_chars("serial_number", &serial_number, 200);
        let firmware = fields
            .firmware
            .or(existing_opt.map(|m| m.firmware.clone()))
            .unwrap_or_default();
        check.at_most_chars("firmware", &firmware, 200);
        let management_address = check.required(
            "management_address",
            fields.management_address,
            existing_opt.map(|m| m.management_address.clone()),
        );
        if let Err(problem) = parse_management_address(&management_address) {
            check.problem("management_address", problem);
        }
        let poll_interval_secs = fields
            .poll_interval_secs
            .or(existing_opt.map(|m| m.poll_interval_secs))
            .unwrap_or(60);
        if !(10..=86_400).contains(&poll_interval_secs) {
            check.problem("poll_interval_secs", "must be between 10 and 86400");
        }
        if let Some(Some(credentials)) = &fields.credentials {
            credential_problems(&mut check, credentials);
        }
        let pool_id = references::pool(
            txn,
            &mut check,
            fields.pool_id,
            fields.pool.as_deref(),
            existing_opt.map(|m| m.pool_id),
        )
        .await?;
        check.finish()?;

        let existing_sealed_opt = existing_opt.and_then(|m| m.snmp_credentials_sealed.clone());
        let sealed_opt = match fields.credentials {
            None => existing_sealed_opt,
            Some(None) => None,
            Some(Some(credentials)) => {
                let unchanged = existing_sealed_opt
                    .as_ref()
                    .is_some_and(|sealed| same_credentials(writer.sealer, sealed, &credentials));
                if unchanged {
                    existing_sealed_opt
                } else {
                    Some(
                        writer
                            .sealer
                            .seal_json(SNMP_CREDENTIALS_PURPOSE, &credentials)?,
                    )
                }
            }
        };
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => device::ActiveModel {
                created_at: Set(writer.now),
                ..Default::default()
            },
        };
        active.data_center_id.set_if_not_equals(data_center_id);
        active.rack_id.set_if_not_equals(rack_id);
        active.rack_unit.set_if_not_equals(rack_unit);
        active.height_u.set_if_not_equals(height_u);
        active.name.set_if_not_equals(name);
        active.kind.set_if_not_equals(kind);
        active.vendor.set_if_not_equals(vendor);
        active.model.set_if_not_equals(model);
        active.serial_number.set_if_not_equals(serial_number);
        active.firmware.set_if_not_equals(firmware);
        active.tier.set_if_not_equals(tier);
        active
            .management_address
            .set_if_not_equals(management_address);
        active.snmp_credentials_sealed.set_if_not_equals(sealed_opt);
        active
            .poll_interval_secs
            .set_if_not_equals(poll_interval_secs);
        active.pool_id.set_if_not_equals(pool_id);
        if active.is_changed() {
            active.updated_at = Set(writer.now);
        }
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        let interface_ids: Vec<i64> = interface::Entity::find()
            .filter(interface::Column::DeviceId.eq(id))
            .all(txn)
            .await?
            .into_iter()
            .map(|found| found.id)
            .collect();
        let links = link::Entity::find()
            .filter(
                link::Column::AInterfaceId
                    .is_in(interface_ids.clone())
                    .or(link::Column::BInterfaceId.is_in(interface_ids)),
            )
            .count(txn)
            .await?;
        Ok(present_kinds(&[("links", links)]))
    }

    fn filter(
        mut select: Select<device::Entity>,
        filter: &DeviceFilter,
        _scope: TenantScope,
    ) -> Select<device::Entity> {
        if let Some(data_center_id) = filter.data_center_id {
            select = select.filter(device::Column::DataCenterId.eq(data_center_id));
        }
        if let Some(rack_id) = filter.rack_id {
            select = select.filter(device::Column::RackId.eq(rack_id));
        }
        if let Some(kind) = &filter.kind {
            select = select.filter(device::Column::Kind.eq(kind.as_str()));
        }
        if let Some(tier) = &filter.tier {
            select = select.filter(device::Column::Tier.eq(tier.as_str()));
        }
        if let Some(pool_id) = filter.pool_id {
            select = select.filter(device::Column::PoolId.eq(pool_id));
        }
        if let Some(text) = filter.name.as_deref().filter(|text| !text.is_empty()) {
            // Lower-cased on both sides, with LIKE's wildcards escaped, so that PostgreSQL
            // (whose LIKE heeds case) and SQLite (whose LIKE does not) answer alike.
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            select = select.filter(
                Expr::expr(Func::lower(Expr::col(device::Column::Name)))
                    .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
            );
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &DeviceFields,
    ) -> Result<Option<device::Model>, InventoryError> {
        let data_center_id_opt = references::data_center_id_of(
            txn,
            fields.data_center_id,
            fields.data_center_code.as_deref(),
        )
        .await?;
        let (Some(data_center_id), Some(name)) = (data_center_id_opt, &fields.name) else {
            return Ok(None);
        };
        Ok(device::Entity::find()
            .filter(device::Column::DataCenterId.eq(data_center_id))
            .filter(device::Column::Name.eq(name.as_str()))
            .one(txn)
            .await?)
    }
}

fn credential_problems(check: &mut Checker, credentials: &Credentials) {
    match credentials {
        Credentials::V2c { community } => {
            if community.expose_secret().is_empty() {
                check.problem("credentials.community", "must not be empty");
            }
        }
        Credentials::V3 {
            username,
            auth_password,
            priv_password,
            ..
        } => {
            check.text("credentials.username", username, 32);
            // RFC 3414: keys are derived from passwords of at least 8 characters.
            for (field, password) in [
                ("credentials.auth_password", auth_password),
                ("credentials.priv_password", priv_password),
            ] {
                if password.expose_secret().chars().count() < 8 {
                    check.problem(field, "must be at least 8 characters");
                }
            }
        }
    }
}

/// Whether `sealed` holds exactly `credentials` (so that an unchanged resend is no change).
fn same_credentials(sealer: &Sealer, sealed: &str, credentials: &Credentials) -> bool {
    let Ok(stored) = sealer.open(SNMP_CREDENTIALS_PURPOSE, sealed) else {
        return false;
    };
    let Ok(given) = serde_json::to_vec(credentials) else {
        return false;
    };
    stored.expose_secret().as_slice() == given.as_slice()
}

pub struct Interfaces;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterfaceFields {
    pub device_id: Option<i64>,
    /// SNMP `ifIndex`, unique within the device.
    pub if_index: Option<i32>,
    pub name: Option<String>,
    pub speed_bps: Option<i64>,
    pub description: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterfaceView {
    pub id: i64,
    pub device_id: i64,
    pub if_index: i32,
    pub name: String,
    pub speed_bps: i64,
    pub description: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct InterfaceFilter {
    pub device_id: Option<i64>,
}

impl InventoryObject for Interfaces {
    type Entity = interface::Entity;
    type Fields = InterfaceFields;
    type View = InterfaceView;
    type Filter = InterfaceFilter;
    const KIND: &'static str = "interface";
    const WHAT: &'static str = "interface";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> interface::Column {
        interface::Column::Id
    }

    fn view(model: &interface::Model, _sealer: &Sealer) -> InterfaceView {
        InterfaceView {
            id: model.id,
            device_id: model.device_id,
            if_index: model.if_index,
            name: model.name.clone(),
            speed_bps: model.speed_bps,
            description: model.description.clone(),
        }
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: InterfaceFields,
        existing_opt: Option<&interface::Model>,
        _writer: &Writer<'_>,
    ) -> Result<interface::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let device_id = references::required_id::<device::Entity>(
            txn,
            &mut check,
            "device_id",
            "device",
            fields.device_id,
            existing_opt.map(|m| m.device_id),
        )
        .await?;
        let if_index = check.required(
            "if_index",
            fields.if_index,
            existing_opt.map(|m| m.if_index),
        );
        check.at_least("if_index", if_index, 1);
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        check.text("name", &name, 200);
        let speed_bps = fields
            .speed_bps
            .or(existing_opt.map(|m| m.speed_bps))
            .unwrap_or(0);
        check.at_least("speed_bps", speed_bps, 0);
        let description = fields
            .description
            .or(existing_opt.map(|m| m.description.clone()))
            .unwrap_or_default();
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <interface::ActiveModel as Default>::default(),
        };
        active.device_id = Set(device_id);
        active.if_index = Set(if_index);
        active.name = Set(name);
        active.speed_bps = Set(speed_bps);
        active.description = Set(description);
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        let links = link::Entity::find()
            .filter(
                link::Column::AInterfaceId
                    .eq(id)
                    .or(link::Column::BInterfaceId.eq(id)),
            )
            .count(txn)
            .await?;
        Ok(present_kinds(&[("links", links)]))
    }

    fn filter(
        mut select: Select<interface::Entity>,
        filter: &InterfaceFilter,
        _scope: TenantScope,
    ) -> Select<interface::Entity> {
        if let Some(device_id) = filter.device_id {
            select = select.filter(interface::Column::DeviceId.eq(device_id));
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &InterfaceFields,
    ) -> Result<Option<interface::Model>, InventoryError> {
        let (Some(device_id), Some(if_index)) = (fields.device_id, fields.if_index) else {
            return Ok(None);
        };
        Ok(interface::Entity::find()
            .filter(interface::Column::DeviceId.eq(device_id))
            .filter(interface::Column::IfIndex.eq(if_index))
            .one(txn)
            .await?)
    }
}

pub struct Links;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkFields {
    pub a_interface_id: Option<i64>,
    pub b_interface_id: Option<i64>,
    /// Default: the slower interface's speed.
    pub bandwidth_bps: Option<i64>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub id: i64,
    pub a_interface_id: i64,
    pub b_interface_id: i64,
    pub bandwidth_bps: i64,
    pub name: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct LinkFilter {
    /// Links with this interface at either end.
    pub interface_id: Option<i64>,
}

impl InventoryObject for Links {
    type Entity = link::Entity;
    type Fields = LinkFields;
    type View = LinkView;
    type Filter = LinkFilter;
    const KIND: &'static str = "link";
    const WHAT: &'static str = "link";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> link::Column {
        link::Column::Id
    }

    fn view(model: &link::Model, _sealer: &Sealer) -> LinkView {
        LinkView {
            id: model.id,
            a_interface_id: model.a_interface_id,
            b_interface_id: model.b_interface_id,
            bandwidth_bps: model.bandwidth_bps,
            name: model.name.clone(),
        }
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: LinkFields,
        existing_opt: Option<&link::Model>,
        _writer: &Writer<'_>,
    ) -> Result<link::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let a_interface_id = check.required(
            "a_interface_id",
            fields.a_interface_id,
            existing_opt.map(|m| m.a_interface_id),
        );
        let b_interface_id = check.required(
            "b_interface_id",
            fields.b_interface_id,
            existing_opt.map(|m| m.b_interface_id),
        );
        let a_opt = references::interface(txn, a_interface_id).await?;
        let b_opt = references::interface(txn, b_interface_id).await?;
        if a_opt.is_none() && a_interface_id != 0 {
            check.problem("a_interface_id", format!("no interface {a_interface_id}"));
        }
        if b_opt.is_none() && b_interface_id != 0 {
            check.problem("b_interface_id", format!("no interface {b_interface_id}"));
        }
        if let (Some(a), Some(b)) = (&a_opt, &b_opt) {
            if a.device_id == b.device_id {
                check.problem("b_interface_id", "a link joins two different devices");
            }
        }
        let default_bandwidth = match (&a_opt, &b_opt) {
            (Some(a), Some(b)) => a.speed_bps.min(b.speed_bps),
            _ => 0,
        };
        let bandwidth_bps = fields
            .bandwidth_bps
            .or(existing_opt.map(|m| m.bandwidth_bps))
            .unwrap_or(default_bandwidth);
        check.at_least("bandwidth_bps", bandwidth_bps, 0);
        let name = fields
            .name
            .or(existing_opt.map(|m| m.name.clone()))
            .unwrap_or_default();
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <link::ActiveModel as Default>::default(),
        };
        active.a_interface_id = Set(a_interface_id);
        active.b_interface_id = Set(b_interface_id);
        active.bandwidth_bps = Set(bandwidth_bps);
        active.name = Set(name);
        Ok(active)
    }

    async fn dependents(_txn: &impl ConnectionTrait, _id: i64) -> Result<Vec<&'static str>, DbErr> {
        Ok(Vec::new())
    }

    fn filter(
        mut select: Select<link::Entity>,
        filter: &LinkFilter,
        _scope: TenantScope,
    ) -> Select<link::Entity> {
        if let Some(interface_id) = filter.interface_id {
            select = select.filter(
                link::Column::AInterfaceId
                    .eq(interface_id)
                    .or(link::Column::BInterfaceId.eq(interface_id)),
            );
        }
        select
    }

    async fn find_by_natural_key(
        _txn: &impl ConnectionTrait,
        _fields: &LinkFields,
    ) -> Result<Option<link::Model>, InventoryError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rack_spans_fit_their_rack_and_overlap_when_they_share_a_unit() {
        let span = |lowest_unit, height_u| RackSpan {
            lowest_unit,
            height_u,
        };
        let fits = [
            (span(1, 1), 42, true),
            (span(41, 2), 42, true),
            (span(42, 1), 42, true),
            (span(42, 2), 42, false),
            (span(0, 1), 42, false),
            (span(-3, 4), 42, false),
            (span(1, 20), 10, false),
        ];
        for (place, rack_height_u, expected) in fits {
            assert_eq!(
                place.fit_problem(rack_height_u).is_none(),
                expected,
                "{place} in {rack_height_u}U"
            );
        }
        let overlaps = [
            (span(1, 2), span(3, 1), false),
            (span(1, 2), span(2, 1), true),
            (span(5, 4), span(1, 4), false),
            (span(5, 4), span(1, 5), true),
            (span(5, 4), span(8, 10), true),
            (span(10, 1), span(10, 1), true),
            (span(6, 1), span(4, 4), true),
        ];
        for (a, b, expected) in overlaps {
            assert_eq!(a.overlaps(b), expected, "{a} and {b}");
            assert_eq!(b.overlaps(a), expected, "{b} and {a}");
        }
        assert_eq!(span(3, 1).to_string(), "U3");
        assert_eq!(span(3, 2).to_string(), "U3-U4");
    }

    #[test]
    fn management_addresses_default_to_port_161() {
        let table = [
            ("10.0.0.1", Ok("10.0.0.1:161")),
            ("10.0.0.1:1161", Ok("10.0.0.1:1161")),
            (" 10.0.0.2 ", Ok("10.0.0.2:161")),
            ("::1", Ok("[::1]:161")),
            ("[::1]:162", Ok("[::1]:162")),
            ("10.0.0.1:0", Err(())),
            ("switch-1", Err(())),
            ("10.0.0.1:70000", Err(())),
            ("", Err(())),
        ];
        for (text, expected) in table {
            let parsed = parse_management_address(text)
                .map(|address| address.to_string())
                .map_err(|_| ());
            assert_eq!(parsed, expected.map(str::to_owned), "{text:?}");
        }
    }
}
