//! Resolving the parent an object names, by id (the API) or by natural key (imports: a data
//! center's code, a room's or pool's name), into the id to store, with a field problem when
//! it names nothing.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PrimaryKeyTrait, QueryFilter};

use super::crud::Checker;
use crate::db::entities::{
    cloud_platform, data_center, interface, machine_room, rack, resource_pool, tenant,
};

async fn exists<E: EntityTrait>(txn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr>
where
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    Ok(E::find_by_id(id).one(txn).await?.is_some())
}

/// A required parent given by id: that it exists.
pub async fn required_id<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    check: &mut Checker,
    field: &str,
    what: &str,
    given_opt: Option<i64>,
    existing_opt: Option<i64>,
) -> Result<i64, DbErr>
where
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    match (given_opt, existing_opt) {
        (Some(id), _) => {
            if !exists::<E>(txn, id).await? {
                check.problem(field, format!("no {what} {id}"));
            }
            Ok(id)
        }
        (None, Some(id)) => Ok(id),
        (None, None) => {
            check.problem(field, "is required");
            Ok(0)
        }
    }
}

/// A nullable parent given by id: that it exists when set.
pub async fn optional_id<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    check: &mut Checker,
    field: &str,
    what: &str,
    given_opt: Option<Option<i64>>,
    existing_opt: Option<Option<i64>>,
) -> Result<Option<i64>, DbErr>
where
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    let id_opt = super::crud::nullable(given_opt, existing_opt);
    if let (Some(Some(id)), Some(_)) = (given_opt, id_opt) {
        if !exists::<E>(txn, id).await? {
            check.problem(field, format!("no {what} {id}"));
        }
    }
    Ok(id_opt)
}

/// A data center by id or code.
pub async fn data_center(
    txn: &impl ConnectionTrait,
    check: &mut Checker,
    given_id_opt: Option<i64>,
    given_code_opt: Option<&str>,
    existing_opt: Option<i64>,
) -> Result<i64, DbErr> {
    if let (None, Some(code)) = (given_id_opt, given_code_opt) {
        return Ok(match data_center_by_code(txn, code).await? {
            Some(found) => found.id,
            None => {
                check.problem(
                    "data_center_code",
                    format!("no data center with code {code}"),
                );
                0
            }
        });
    }
    required_id::<data_center::Entity>(
        txn,
        check,
        "data_center_id",
        "data center",
        given_id_opt,
        existing_opt,
    )
    .await
}

pub async fn data_center_by_code(
    txn: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<data_center::Model>, DbErr> {
    data_center::Entity::find()
        .filter(data_center::Column::Code.eq(code))
        .one(txn)
        .await
}

/// The data center an import row names by code, without reporting problems (the row's
/// validation reports them).
pub async fn data_center_id_of(
    txn: &impl ConnectionTrait,
    given_id_opt: Option<i64>,
    given_code_opt: Option<&str>,
) -> Result<Option<i64>, DbErr> {
    match (given_id_opt, given_code_opt) {
        (Some(id), _) => Ok(Some(id)),
        (None, Some(code)) => Ok(data_center_by_code(txn, code).await?.map(|found| found.id)),
        (None, None) => Ok(None),
    }
}

pub async fn room_by_name(
    txn: &impl ConnectionTrait,
    data_center_id: i64,
    name: &str,
) -> Result<Option<machine_room::Model>, DbErr> {
    machine_room::Entity::find()
        .filter(machine_room::Column::DataCenterId.eq(data_center_id))
        .filter(machine_room::Column::Name.eq(name))
        .one(txn)
        .await
}

/// The racks of this name among the rooms of a data center (none, one, or ambiguous).
pub async fn rack_by_name(
    txn: &impl ConnectionTrait,
    data_center_id: i64,
    name: &str,
) -> Result<Vec<rack::Model>, DbErr> {
    let room_ids: Vec<i64> = machine_room::Entity::find()
        .filter(machine_room::Column::DataCenterId.eq(data_center_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|room| room.id)
        .collect();
    rack::Entity::find()
        .filter(rack::Column::RoomId.is_in(room_ids))
        .filter(rack::Column::Name.eq(name))
        .all(txn)
        .await
}

pub async fn pool_by_name(
    txn: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<resource_pool::Model>, DbErr> {
    resource_pool::Entity::find()
        .filter(resource_pool::Column::Name.eq(name))
        .one(txn)
        .await
}

/// A nullable pool by id or name.
pub async fn pool(
    txn: &impl ConnectionTrait,
    check: &mut Checker,
    given_id_opt: Option<Option<i64>>,
    given_name_opt: Option<&str>,
    existing_opt: Option<Option<i64>>,
) -> Result<Option<i64>, DbErr> {
    if let (None, Some(name)) = (given_id_opt, given_name_opt) {
        return Ok(match pool_by_name(txn, name).await? {
            Some(found) => Some(found.id),
            None => {
                check.problem("pool", format!("no resource pool named {name}"));
                None
            }
        });
    }
    optional_id::<resource_pool::Entity>(
        txn,
        check,
        "pool_id",
        "resource pool",
        given_id_opt,
        existing_opt,
    )
    .await
}

pub async fn platform_by_name(
    txn: &impl ConnectionTrait,
    data_center_id: i64,
    name: &str,
) -> Result<Option<cloud_platform::Model>, DbErr> {
    cloud_platform::Entity::find()
        .filter(cloud_platform::Column::DataCenterId.eq(data_center_id))
        .filter(cloud_platform::Column::Name.eq(name))
        .one(txn)
        .await
}

pub async fn tenant_exists(txn: &impl ConnectionTrait, tenant_id: i64) -> Result<bool, DbErr> {
    exists::<tenant::Entity>(txn, tenant_id).await
}

pub async fn interface(
    txn: &impl ConnectionTrait,
    interface_id: i64,
) -> Result<Option<interface::Model>, DbErr> {
    interface::Entity::find_by_id(interface_id).one(txn).await
}
