//! Links LLDP proposes. What a device's LLDP hears is matched to the inventory: the neighbour
//! by its `sysName` (a device of that name, in the same data center first), its port by name
//! (the port id, else the port's description), the local port by the interface LLDP heard it
//! on. A pair of interfaces heard as neighbours that the inventory does not link is proposed
//! as a `new` link; a link of the inventory whose interface hears another device than the
//! link's other end is proposed as `missing` (an interface that hears nobody proves nothing:
//! the other end may not run LLDP). A proposal is withdrawn when LLDP no longer supports it,
//! made once (a dismissed one is not made again), and accepted or dismissed by an operator;
//! in a data center with `lldp_auto_accept` it is accepted as it is made. Accepting writes the
//! link (or deletes it) through the CMDB, with its history, and tells the inventory's
//! followers, so topology and root-cause analysis follow at once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::device::state::Neighbor;
use crate::db::entities::{data_center, device, interface, link, link_proposal};
use crate::hub::{EventData, EventKind, Hub, Topic};
use crate::inventory::announce::{announce, InventoryChangedEvent};
use crate::inventory::crud::{self, InventoryError, InventoryObject, Writer};
use crate::inventory::devices::{LinkFields, Links};
use crate::inventory::history::{ChangeAction, ChangeActor};
use crate::secrets::Sealer;

/// Who accepts proposals in a data center that accepts them as they are made.
pub const AUTO_ACCEPT: ChangeActor = ChangeActor::System {
    component: "lldp-discovery",
};

const NEW: &str = "new";
const MISSING: &str = "missing";
const OPEN: &str = "open";
const ACCEPTED: &str = "accepted";
const DISMISSED: &str = "dismissed";
const WITHDRAWN: &str = "withdrawn";

/// One end of a proposed link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalEnd {
    pub device_id: i64,
    pub device_name: String,
    pub interface_id: i64,
    pub interface_name: String,
}

/// A proposal as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkProposalView {
    pub id: i64,
    pub data_center_id: i64,
    /// `new` (LLDP hears a link the inventory lacks) or `missing` (the inventory has a link
    /// whose interface LLDP hears going elsewhere).
    pub kind: String,
    /// `open`, `accepted`, `dismissed` or `withdrawn` (LLDP no longer supports it).
    pub state: String,
    pub a: ProposalEnd,
    pub b: ProposalEnd,
    /// The inventory's link: the one missing, or the one an accepted `new` proposal made.
    pub link_id: Option<i64>,
    /// The device whose LLDP made or last confirmed it.
    pub seen_by_device_id: i64,
    /// Who accepted or dismissed it; `null` when accepted automatically.
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The data of `link_proposals.changed`: what changed among a data center's proposals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LinkProposalsChangedEvent {
    pub data_center_id: i64,
    /// Proposals LLDP made.
    pub proposed: u64,
    /// Open proposals LLDP no longer supports.
    pub withdrawn: u64,
    /// The proposal someone (or the data center's auto-accept) accepted or dismissed.
    pub decided_id: Option<i64>,
}

impl EventData for LinkProposalsChangedEvent {}

impl LinkProposalsChangedEvent {
    fn decided(proposal: &link_proposal::Model) -> LinkProposalsChangedEvent {
        LinkProposalsChangedEvent {
            data_center_id: proposal.data_center_id,
            proposed: 0,
            withdrawn: 0,
            decided_id: Some(proposal.id),
        }
    }
}

/// Tells `dc/{id}` what changed among its proposals, after the commit.
async fn tell(hub: &Hub, data: LinkProposalsChangedEvent) {
    let topic = Topic::DataCenter(data.data_center_id);
    if let Err(error) = hub
        .publish(&topic, EventKind::LinkProposalsChanged, &data)
        .await
    {
        tracing::warn!(%error, "cannot publish a change of link proposals");
    }
}

/// What a reconciliation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub proposed: usize,
    pub withdrawn: usize,
    /// Neighbours that match no device or interface of the inventory.
    pub unmatched: usize,
}

/// The interfaces of a pair, the lower id first.
fn pair(one: i64, other: i64) -> (i64, i64) {
    (one.min(other), one.max(other))
}

/// Matches what `device_id`'s LLDP hears to the inventory and proposes, confirms or withdraws
/// links as it shows. Proposals in a data center that accepts them are accepted at once.
pub async fn reconcile(
    db: &DatabaseConnection,
    sealer: &Sealer,
    hub: &Hub,
    device_id: i64,
    neighbors: &[Neighbor],
    now: DateTime<Utc>,
) -> Result<Reconciled, InventoryError> {
    let mut outcome = Reconciled::default();
    let Some(local) = device::Entity::find_by_id(device_id).one(db).await? else {
        return Ok(outcome);
    };
    let local_interfaces: BTreeMap<i64, interface::Model> = interface::Entity::find()
        .filter(interface::Column::DeviceId.eq(device_id))
        .all(db)
        .await?
        .into_iter()
        .map(|found| (i64::from(found.if_index), found))
        .collect();
    // What LLDP hears, as pairs of interfaces of the inventory, by local interface.
    let mut heard: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for neighbor in neighbors {
        let local_opt = local_interfaces.get(&i64::from(neighbor.if_index));
        let remote_opt = remote_interface(db, local.data_center_id, neighbor).await?;
        match (local_opt, remote_opt) {
            (Some(local_interface), Some(remote)) => {
                heard
                    .entry(local_interface.id)
                    .or_default()
                    .insert(remote.id);
            }
            _ => outcome.unmatched += 1,
        }
    }
    let local_ids: Vec<i64> = local_interfaces.values().map(|found| found.id).collect();
    let links = link::Entity::find()
        .filter(
            Condition::any()
                .add(link::Column::AInterfaceId.is_in(local_ids.clone()))
                .add(link::Column::BInterfaceId.is_in(local_ids.clone())),
        )
        .all(db)
        .await?;
    let linked: BTreeMap<(i64, i64), i64> = links
        .iter()
        .map(|found| (pair(found.a_interface_id, found.b_interface_id), found.id))
        .collect();
    let heard_pairs: BTreeSet<(i64, i64)> = heard
        .iter()
        .flat_map(|(local_id, remote_ids)| remote_ids.iter().map(|remote| pair(*local_id, *remote)))
        .collect();

    let txn = crate::db::begin(db).await?;
    let mut made = Vec::new();
    // New links: heard, not linked.
    for (a, b) in heard_pairs.iter().filter(|ends| !linked.contains_key(ends)) {
        if let Some(id) = propose(&txn, &local, NEW, (*a, *b), None, now).await? {
            made.push(id);
        }
    }
    // Missing links: an end of this device hears another device there.
    let mut missing_ends = BTreeSet::new();
    for found in &links {
        let ends = pair(found.a_interface_id, found.b_interface_id);
        let local_end = if local_ids.contains(&found.a_interface_id) {
            found.a_interface_id
        } else {
            found.b_interface_id
        };
        let hears_elsewhere = heard
            .get(&local_end)
            .is_some_and(|remotes| !remotes.is_empty() && !heard_pairs.contains(&ends));
        if hears_elsewhere {
            missing_ends.insert(ends);
            if let Some(id) = propose(&txn, &local, MISSING, ends, Some(found.id), now).await? {
                made.push(id);
            }
        }
    }
    outcome.proposed = made.len();
    // Withdrawn: the open proposals this device made that what it hears no longer supports.
    let open = link_proposal::Entity::find()
        .filter(link_proposal::Column::State.eq(OPEN))
        .filter(link_proposal::Column::SeenByDeviceId.eq(device_id))
        .all(&txn)
        .await?;
    for proposal in open {
        let ends = (proposal.a_interface_id, proposal.b_interface_id);
        let supported = match proposal.kind.as_str() {
            NEW => heard_pairs.contains(&ends) && !linked.contains_key(&ends),
            _ => missing_ends.contains(&ends),
        };
        if !supported {
            let mut active: link_proposal::ActiveModel = proposal.into();
            active.state = Set(WITHDRAWN.to_owned());
            active.updated_at = Set(now);
            active.update(&txn).await?;
            outcome.withdrawn += 1;
        }
    }
    txn.commit().await?;
    if outcome.proposed + outcome.withdrawn > 0 {
        let data = LinkProposalsChangedEvent {
            data_center_id: local.data_center_id,
            proposed: outcome.proposed as u64,
            withdrawn: outcome.withdrawn as u64,
            decided_id: None,
        };
        tell(hub, data).await;
    }

    let auto_accept = data_center::Entity::find_by_id(local.data_center_id)
        .one(db)
        .await?
        .is_some_and(|found| found.lldp_auto_accept);
    if auto_accept {
        for proposal_id in made {
            let decision = Decision {
                actor: &AUTO_ACCEPT,
                user_id_opt: None,
                now,
            };
            match accept(db, sealer, hub, proposal_id, decision).await {
                Ok(_) | Err(ProposalError::Decided) => {}
                Err(error) => tracing::warn!(proposal_id, %error, "cannot accept a link proposal"),
            }
        }
    }
    Ok(outcome)
}

/// The inventory's interface at the other end of what LLDP hears: the device named as the
/// neighbour's `sysName` (in `data_center_id` first), its interface named as the port id, else
/// as the port's description.
async fn remote_interface(
    db: &impl ConnectionTrait,
    data_center_id: i64,
    neighbor: &Neighbor,
) -> Result<Option<interface::Model>, DbErr> {
    if neighbor.system_name.is_empty() {
        return Ok(None);
    }
    let mut candidates = device::Entity::find()
        .filter(device::Column::Name.eq(neighbor.system_name.as_str()))
        .all(db)
        .await?;
    candidates.sort_by_key(|found| found.data_center_id != data_center_id);
    let Some(remote) = candidates.first() else {
        return Ok(None);
    };
    let names: Vec<&str> = [
        neighbor.port_id.as_str(),
        neighbor.port_description.as_str(),
    ]
    .into_iter()
    .filter(|name| !name.is_empty())
    .collect();
    let interfaces = interface::Entity::find()
        .filter(interface::Column::DeviceId.eq(remote.id))
        .filter(interface::Column::Name.is_in(names.clone()))
        .all(db)
        .await?;
    Ok(names
        .iter()
        .find_map(|name| interfaces.iter().find(|found| found.name == *name).cloned()))
}

/// Makes a proposal unless one of its kind for these ends is open or was dismissed; answers
/// its id when made.
async fn propose(
    txn: &impl ConnectionTrait,
    seen_by: &device::Model,
    kind: &str,
    (a, b): (i64, i64),
    link_id_opt: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let existing = link_proposal::Entity::find()
        .filter(link_proposal::Column::AInterfaceId.eq(a))
        .filter(link_proposal::Column::BInterfaceId.eq(b))
        .filter(link_proposal::Column::Kind.eq(kind))
        .filter(link_proposal::Column::State.is_in([OPEN, DISMISSED]))
        .one(txn)
        .await?;
    if existing.is_some() {
        return Ok(None);
    }
    let made = link_proposal::ActiveModel {
        data_center_id: Set(seen_by.data_center_id),
        kind: Set(kind.to_owned()),
        state: Set(OPEN.to_owned()),
        a_interface_id: Set(a),
        b_interface_id: Set(b),
        link_id: Set(link_id_opt),
        seen_by_device_id: Set(seen_by.id),
        decided_by: Set(None),
        decided_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(Some(made.id))
}

/// Why a proposal was not read or decided.
#[derive(Debug, thiserror::Error)]
pub enum ProposalError {
    #[error("link proposal not found")]
    NotFound,
    /// Accepted, dismissed or withdrawn already.
    #[error("the link proposal is no longer open")]
    Decided,
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error(transparent)]
    Store(#[from] DbErr),
}

/// Who decides, and when.
pub struct Decision<'a> {
    pub actor: &'a ChangeActor,
    pub user_id_opt: Option<i64>,
    pub now: DateTime<Utc>,
}

/// Accepts an open proposal: a `new` link is written to the CMDB, a `missing` one deleted,
/// each with its history; the inventory's followers are told after the commit.
pub async fn accept(
    db: &DatabaseConnection,
    sealer: &Sealer,
    hub: &Hub,
    proposal_id: i64,
    decision: Decision<'_>,
) -> Result<LinkProposalView, ProposalError> {
    let writer = Writer {
        sealer,
        actor: decision.actor,
        now: decision.now,
    };
    let txn = crate::db::begin(db).await?;
    let proposal = open_proposal(&txn, proposal_id).await?;
    let existing_opt = link::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(link::Column::AInterfaceId.eq(proposal.a_interface_id))
                        .add(link::Column::BInterfaceId.eq(proposal.b_interface_id)),
                )
                .add(
                    Condition::all()
                        .add(link::Column::AInterfaceId.eq(proposal.b_interface_id))
                        .add(link::Column::BInterfaceId.eq(proposal.a_interface_id)),
                ),
        )
        .one(&txn)
        .await?;
    let (link_id_opt, action_opt) =
        if let (NEW, Some(existing)) = (proposal.kind.as_str(), &existing_opt) {
            // Linked by hand meanwhile: nothing to write.
            (Some(existing.id), None)
        } else if proposal.kind == NEW {
            let fields = LinkFields {
                a_interface_id: Some(proposal.a_interface_id),
                b_interface_id: Some(proposal.b_interface_id),
                bandwidth_bps: None,
                name: None,
            };
            let created = crud::create_in::<Links>(&txn, fields, &writer).await?;
            (Some(created.id), Some(ChangeAction::Create))
        } else {
            if let Some(found) = link::Entity::find_by_id(proposal.link_id.unwrap_or_default())
                .one(&txn)
                .await?
            {
                crud::delete_in::<Links>(&txn, found, &writer).await?;
            }
            (proposal.link_id, Some(ChangeAction::Delete))
        };
    let mut active: link_proposal::ActiveModel = proposal.into();
    active.state = Set(ACCEPTED.to_owned());
    active.link_id = Set(link_id_opt);
    active.decided_by = Set(decision.user_id_opt);
    active.decided_at = Set(Some(decision.now));
    active.updated_at = Set(decision.now);
    let decided = active.update(&txn).await?;
    txn.commit().await?;
    if let (Some(link_id), Some(action)) = (link_id_opt, action_opt) {
        announce(
            hub,
            &InventoryChangedEvent::one(Links::KIND, link_id, action),
        )
        .await;
    }
    tell(hub, LinkProposalsChangedEvent::decided(&decided)).await;
    Ok(view_of(db, vec![decided]).await?.remove(0))
}

/// Dismisses an open proposal: it is not made again.
pub async fn dismiss(
    db: &DatabaseConnection,
    hub: &Hub,
    proposal_id: i64,
    decision: Decision<'_>,
) -> Result<LinkProposalView, ProposalError> {
    let txn = crate::db::begin(db).await?;
    let proposal = open_proposal(&txn, proposal_id).await?;
    let mut active: link_proposal::ActiveModel = proposal.into();
    active.state = Set(DISMISSED.to_owned());
    active.decided_by = Set(decision.user_id_opt);
    active.decided_at = Set(Some(decision.now));
    active.updated_at = Set(decision.now);
    let decided = active.update(&txn).await?;
    txn.commit().await?;
    tell(hub, LinkProposalsChangedEvent::decided(&decided)).await;
    Ok(view_of(db, vec![decided]).await?.remove(0))
}

async fn open_proposal(
    txn: &impl ConnectionTrait,
    proposal_id: i64,
) -> Result<link_proposal::Model, ProposalError> {
    let proposal = link_proposal::Entity::find_by_id(proposal_id)
        .one(txn)
        .await?
        .ok_or(ProposalError::NotFound)?;
    if proposal.state != OPEN {
        return Err(ProposalError::Decided);
    }
    Ok(proposal)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProposalQuery {
    pub data_center_id: Option<i64>,
    /// `open` (default), `accepted`, `dismissed`, `withdrawn` or `all`.
    pub state: Option<String>,
}

/// The proposals asked for, newest first, at most `limit` from `offset`.
pub async fn list(
    db: &DatabaseConnection,
    query: &ProposalQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<LinkProposalView>, DbErr> {
    let mut find = link_proposal::Entity::find().order_by_desc(link_proposal::Column::Id);
    match query.state.as_deref().unwrap_or(OPEN) {
        "all" => {}
        state => find = find.filter(link_proposal::Column::State.eq(state)),
    }
    if let Some(data_center_id) = query.data_center_id {
        find = find.filter(link_proposal::Column::DataCenterId.eq(data_center_id));
    }
    let rows = find.offset(offset).limit(limit).all(db).await?;
    view_of(db, rows).await
}

/// The states a query may name.
pub const STATES: &[&str] = &[OPEN, ACCEPTED, DISMISSED, WITHDRAWN, "all"];

/// Proposals with their ends' device and interface names.
async fn view_of(
    db: &impl ConnectionTrait,
    rows: Vec<link_proposal::Model>,
) -> Result<Vec<LinkProposalView>, DbErr> {
    let interface_ids: BTreeSet<i64> = rows
        .iter()
        .flat_map(|row| [row.a_interface_id, row.b_interface_id])
        .collect();
    let interfaces: BTreeMap<i64, interface::Model> = interface::Entity::find()
        .filter(interface::Column::Id.is_in(interface_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found))
        .collect();
    let device_ids: BTreeSet<i64> = interfaces.values().map(|found| found.device_id).collect();
    let devices: BTreeMap<i64, String> = device::Entity::find()
        .filter(device::Column::Id.is_in(device_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.name))
        .collect();
    let end = |interface_id: i64| {
        let found = interfaces.get(&interface_id);
        let device_id = found.map_or(0, |found| found.device_id);
        ProposalEnd {
            device_id,
            device_name: devices.get(&device_id).cloned().unwrap_or_default(),
            interface_id,
            interface_name: found.map(|found| found.name.clone()).unwrap_or_default(),
        }
    };
    Ok(rows
        .into_iter()
        .map(|row| LinkProposalView {
            id: row.id,
            data_center_id: row.data_center_id,
            a: end(row.a_interface_id),
            b: end(row.b_interface_id),
            kind: row.kind,
            state: row.state,
            link_id: row.link_id,
            seen_by_device_id: row.seen_by_device_id,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
        .collect())
}
