//! What monitoring reads from the CMDB, its [`Plan`]: the devices to poll with their opened
//! credentials, the data centers, the links between devices (for the topology and root-cause
//! analysis) and the cloud platforms. What polls find goes back through `discovered`.
//!
//! Opened credentials stay in `Credentials`' secret wrappers; a device whose credentials do
//! not open (another key) or whose address does not parse is left out with a warning, never
//! failing the others.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::messages::DeviceConfig;
use super::platform::PlatformConfig;
use super::topology::DeviceLink;
use crate::cloud::openstack::OpenStackClient;
use crate::db::entities::{data_center, device, interface, link};
use crate::inventory::credentials::Credentials;
use crate::inventory::devices::{parse_management_address, SNMP_CREDENTIALS_PURPOSE};
use crate::secrets::Sealer;
use crate::settings::CloudSettings;

/// What to monitor, by data center: the inventory as monitoring sees it.
#[derive(Debug, Default)]
pub struct Plan {
    pub data_centers: BTreeMap<i64, DataCenterInventory>,
}

/// What one data center monitors: its polled devices, the links between them (for the
/// topology and root causes) and its synced cloud platforms.
#[derive(Debug, Default)]
pub struct DataCenterInventory {
    pub devices: Vec<Arc<DeviceConfig>>,
    pub links: Vec<DeviceLink>,
    pub platforms: Vec<Arc<PlatformConfig>>,
}

impl DataCenterInventory {
    /// Whether `other` asks for nothing different.
    pub fn same_as(&self, other: &DataCenterInventory) -> bool {
        self.devices == other.devices
            && self.links == other.links
            && self.platforms.len() == other.platforms.len()
            && self
                .platforms
                .iter()
                .zip(&other.platforms)
                .all(|(mine, theirs)| mine.same_as(theirs))
    }

    pub fn device(&self, device_id: i64) -> Option<&Arc<DeviceConfig>> {
        self.devices.iter().find(|device| device.id == device_id)
    }
}

impl Plan {
    /// The inventory's data centers, polled devices (those with credentials), links and
    /// synced cloud platforms.
    pub async fn read(
        db: &DatabaseConnection,
        sealer: &Sealer,
        cloud: &CloudSettings,
    ) -> Result<Plan, DbErr> {
        Ok(Plan::grouped(
            data_center_ids(db).await?,
            monitored_devices(db, sealer).await?,
            links_between_devices(db).await?,
            openstack_platforms(db, sealer, cloud).await?,
        ))
    }

    /// Groups what the inventory holds by data center. A link counts where both its ends
    /// are polled devices of one data center; a device or platform names its own.
    pub fn grouped(
        data_center_ids: Vec<i64>,
        devices: Vec<DeviceConfig>,
        links: Vec<DeviceLink>,
        platforms: Vec<PlatformConfig>,
    ) -> Plan {
        let mut data_centers: BTreeMap<i64, DataCenterInventory> = data_center_ids
            .into_iter()
            .map(|id| (id, DataCenterInventory::default()))
            .collect();
        let mut data_center_of = BTreeMap::new();
        for device in devices {
            data_center_of.insert(device.id, device.data_center_id);
            data_centers
                .entry(device.data_center_id)
                .or_default()
                .devices
                .push(Arc::new(device));
        }
        for link in links {
            let a_opt = data_center_of.get(&link.a_device_id);
            if a_opt.is_some() && a_opt == data_center_of.get(&link.b_device_id) {
                if let Some(data_center) = a_opt.and_then(|id| data_centers.get_mut(id)) {
                    data_center.links.push(link);
                }
            }
        }
        for platform in platforms {
            data_centers
                .entry(platform.data_center_id)
                .or_default()
                .platforms
                .push(Arc::new(platform));
        }
        Plan { data_centers }
    }

    /// Devices, across data centers.
    pub fn device_count(&self) -> usize {
        self.data_centers.values().map(|dc| dc.devices.len()).sum()
    }
}

/// The inventory's OpenStack platforms with credentials, each with its client. A platform
/// whose credentials do not open or parse is skipped with a warning.
pub async fn openstack_platforms(
    db: &DatabaseConnection,
    sealer: &crate::secrets::Sealer,
    cloud: &crate::settings::CloudSettings,
) -> Result<Vec<PlatformConfig>, sea_orm::DbErr> {
    use crate::cloud::openstack::OpenStackConfig;
    use crate::db::entities::cloud_platform;
    use crate::inventory::clouds::CLOUD_CREDENTIALS_PURPOSE;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    let rows = cloud_platform::Entity::find()
        .filter(cloud_platform::Column::Kind.eq("openstack"))
        .filter(cloud_platform::Column::CredentialsSealed.is_not_null())
        .order_by_asc(cloud_platform::Column::Id)
        .all(db)
        .await?;
    let mut platforms = Vec::new();
    for row in rows {
        let Some(sealed) = &row.credentials_sealed else {
            continue;
        };
        let credentials: OpenStackCredentials = match sealer
            .open_json(CLOUD_CREDENTIALS_PURPOSE, sealed)
        {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(platform_id = row.id, %error, "platform credentials unusable; not synced");
                continue;
            }
        };
        let config = OpenStackConfig {
            auth_url: row.endpoint.trim_end_matches('/').to_owned(),
            username: credentials.username,
            password: credentials.password,
            project: credentials.project,
            domain: credentials.domain,
            request_timeout: Duration::from_millis(cloud.timeout_ms.max(1)),
            operation_timeout: Duration::from_millis(cloud.operation_timeout_ms),
            poll_interval: Duration::from_millis(cloud.poll_interval_ms.max(1)),
        };
        match OpenStackClient::new(config) {
            Ok(client) => platforms.push(PlatformConfig {
                id: row.id,
                data_center_id: row.data_center_id,
                name: row.name,
                sync_interval: Duration::from_secs(
                    u64::try_from(row.sync_interval_secs).unwrap_or(300),
                ),
                client: Arc::new(client),
                built_from: (row.endpoint.clone(), sealed.clone()),
            }),
            Err(error) => {
                tracing::warn!(platform_id = row.id, %error, "platform client not built; not synced");
            }
        }
    }
    Ok(platforms)
}

/// What an OpenStack platform's `credentials` in the inventory hold.
#[derive(serde::Deserialize)]
struct OpenStackCredentials {
    username: String,
    password: secrecy::SecretString,
    project: String,
    #[serde(default = "default_domain")]
    domain: String,
}

fn default_domain() -> String {
    "Default".to_owned()
}

/// Every device with SNMP credentials, by id, as its device actor is configured.
pub async fn monitored_devices(
    db: &DatabaseConnection,
    sealer: &Sealer,
) -> Result<Vec<DeviceConfig>, DbErr> {
    let devices = device::Entity::find()
        .filter(device::Column::SnmpCredentialsSealed.is_not_null())
        .order_by_asc(device::Column::Id)
        .all(db)
        .await?;
    let mut monitored = Vec::with_capacity(devices.len());
    for found in devices {
        let Some(sealed) = &found.snmp_credentials_sealed else {
            continue;
        };
        let credentials = match sealer.open_json::<Credentials>(SNMP_CREDENTIALS_PURPOSE, sealed) {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(device_id = found.id, error = %error, "device credentials do not open; not polled");
                continue;
            }
        };
        let management_address = match parse_management_address(&found.management_address) {
            Ok(address) => address,
            Err(problem) => {
                tracing::warn!(device_id = found.id, %problem, "device management address unreadable; not polled");
                continue;
            }
        };
        monitored.push(DeviceConfig {
            id: found.id,
            data_center_id: found.data_center_id,
            name: found.name,
            kind: found.kind,
            tier: found.tier,
            address: management_address,
            credentials,
            poll_interval: Duration::from_secs(
                u64::try_from(found.poll_interval_secs.max(1)).unwrap_or(60),
            ),
        });
    }
    Ok(monitored)
}

/// Every data center's id, ascending.
pub async fn data_center_ids(db: &DatabaseConnection) -> Result<Vec<i64>, DbErr> {
    data_center::Entity::find()
        .select_only()
        .column(data_center::Column::Id)
        .order_by_asc(data_center::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// Every link, with the devices and `ifIndex`es at its ends, by id.
pub async fn links_between_devices(db: &DatabaseConnection) -> Result<Vec<DeviceLink>, DbErr> {
    let links = link::Entity::find()
        .order_by_asc(link::Column::Id)
        .all(db)
        .await?;
    let interface_ids: Vec<i64> = links
        .iter()
        .flat_map(|found| [found.a_interface_id, found.b_interface_id])
        .collect();
    let interfaces: BTreeMap<i64, interface::Model> = interface::Entity::find()
        .filter(interface::Column::Id.is_in(interface_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found))
        .collect();
    Ok(links
        .into_iter()
        .filter_map(|found| {
            let a = interfaces.get(&found.a_interface_id)?;
            let b = interfaces.get(&found.b_interface_id)?;
            Some(DeviceLink {
                link_id: found.id,
                a_device_id: a.device_id,
                a_if_index: u32::try_from(a.if_index).ok()?,
                b_device_id: b.device_id,
                b_if_index: u32::try_from(b.if_index).ok()?,
                bandwidth_bps: found.bandwidth_bps,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: i64, data_center_id: i64) -> DeviceConfig {
        DeviceConfig {
            id,
            data_center_id,
            name: format!("device-{id}"),
            kind: "switch".to_owned(),
            tier: "access".to_owned(),
            address: "127.0.0.1:161".parse().unwrap(),
            credentials: Credentials::v2c("public"),
            poll_interval: Duration::from_secs(60),
        }
    }

    fn link(link_id: i64, a_device_id: i64, b_device_id: i64) -> DeviceLink {
        DeviceLink {
            link_id,
            a_device_id,
            a_if_index: 1,
            b_device_id,
            b_if_index: 2,
            bandwidth_bps: 1_000_000_000,
        }
    }

    #[test]
    fn the_inventory_is_grouped_by_data_center_with_the_links_inside_each() {
        let plan = Plan::grouped(
            vec![1, 2, 3],
            vec![device(10, 1), device(11, 1), device(20, 2)],
            // Within data center 1; across 1 and 2; to a device that is not polled.
            vec![link(100, 10, 11), link(101, 11, 20), link(102, 10, 99)],
            Vec::new(),
        );
        assert_eq!(
            plan.data_centers.keys().copied().collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let first = &plan.data_centers[&1];
        assert_eq!(
            first.devices.iter().map(|d| d.id).collect::<Vec<_>>(),
            [10, 11]
        );
        assert_eq!(
            first.links.iter().map(|l| l.link_id).collect::<Vec<_>>(),
            [100]
        );
        assert!(plan.data_centers[&2].links.is_empty());
        assert!(
            plan.data_centers[&3].devices.is_empty(),
            "an empty data center is kept"
        );
        assert_eq!(plan.device_count(), 3);
        assert!(first.device(11).is_some() && first.device(20).is_none());

        // The same inventory asks for nothing different; another device's new address does.
        let again = Plan::grouped(
            vec![1],
            vec![device(10, 1), device(11, 1)],
            vec![link(100, 10, 11)],
            Vec::new(),
        );
        assert!(again.data_centers[&1].same_as(first));
        let mut moved = device(11, 1);
        moved.address = "127.0.0.2:161".parse().unwrap();
        let changed = Plan::grouped(
            vec![1],
            vec![device(10, 1), moved],
            vec![link(100, 10, 11)],
            Vec::new(),
        );
        assert!(!changed.data_centers[&1].same_as(first));
    }
}
