//! Data centers, their machine rooms and the racks in them: where hardware is.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryTrait, Select, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::crud::{
    nullable, present, present_kinds, Checker, InventoryError, InventoryObject, ModelOf, Writer,
};
use super::devices::RackSpan;
use super::references;
use crate::db::entities::{cloud_platform, data_center, device, machine_room, rack, resource_pool};
use crate::secrets::Sealer;
use crate::tenancy::TenantScope;

pub struct DataCenters;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataCenterFields {
    /// Short and unique (`dc-east`); what imports match on.
    pub code: Option<String>,
    pub name: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    /// Accept the links LLDP proposes in this data center as they are made (default false).
    pub lldp_auto_accept: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataCenterView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region: String,
    pub address: String,
    /// The links LLDP proposes here are accepted as they are made.
    pub lldp_auto_accept: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct DataCenterFilter {
    pub region: Option<String>,
    pub code: Option<String>,
}

impl InventoryObject for DataCenters {
    type Entity = data_center::Entity;
    type Fields = DataCenterFields;
    type View = DataCenterView;
    type Filter = DataCenterFilter;
    const KIND: &'static str = "data_center";
    const WHAT: &'static str = "data center";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> data_center::Column {
        data_center::Column::Id
    }

    fn view(model: &data_center::Model, _sealer: &Sealer) -> DataCenterView {
        DataCenterView {
            id: model.id,
            code: model.code.clone(),
            name: model.name.clone(),
            region: model.region.clone(),
            address: model.address.clone(),
            lldp_auto_accept: model.lldp_auto_accept,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }

    async fn build(
        _txn: &impl ConnectionTrait,
        fields: DataCenterFields,
        existing_opt: Option<&data_center::Model>,
        writer: &Writer<'_>,
    ) -> Result<data_center::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let code = check.required("code", fields.code, existing_opt.map(|m| m.code.clone()));
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        let region = fields
            .region
            .or(existing_opt.map(|m| m.region.clone()))
            .unwrap_or_default();
        let address = fields
            .address
            .or(existing_opt.map(|m| m.address.clone()))
            .unwrap_or_default();
        let lldp_auto_accept = fields
            .lldp_auto_accept
            .or(existing_opt.map(|m| m.lldp_auto_accept))
            .unwrap_or(false);
        check.text("code", &code, 64);
        if code.chars().any(char::is_whitespace) {
            check.problem("code", "must not contain spaces");
        }
        check.text("name", &name, 200);
        if region.chars().count() > 200 {
            check.problem("region", "must be at most 200 characters");
        }
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => data_center::ActiveModel {
                created_at: Set(writer.now),
                ..Default::default()
            },
        };
        active.code.set_if_not_equals(code);
        active.name.set_if_not_equals(name);
        active.region.set_if_not_equals(region);
        active.address.set_if_not_equals(address);
        active.lldp_auto_accept.set_if_not_equals(lldp_auto_accept);
        if active.is_changed() {
            active.updated_at = Set(writer.now);
        }
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        Ok(present_kinds(&[
            (
                "machine rooms",
                machine_room::Entity::find()
                    .filter(machine_room::Column::DataCenterId.eq(id))
                    .count(txn)
                    .await?,
            ),
            (
                "devices",
                device::Entity::find()
                    .filter(device::Column::DataCenterId.eq(id))
                    .count(txn)
                    .await?,
            ),
            (
                "cloud platforms",
                cloud_platform::Entity::find()
                    .filter(cloud_platform::Column::DataCenterId.eq(id))
                    .count(txn)
                    .await?,
            ),
            (
                "resource pools",
                resource_pool::Entity::find()
                    .filter(resource_pool::Column::DataCenterId.eq(id))
                    .count(txn)
                    .await?,
            ),
        ]))
    }

    fn filter(
        mut select: Select<data_center::Entity>,
        filter: &DataCenterFilter,
        _scope: TenantScope,
    ) -> Select<data_center::Entity> {
        if let Some(region) = &filter.region {
            select = select.filter(data_center::Column::Region.eq(region.as_str()));
        }
        if let Some(code) = &filter.code {
            select = select.filter(data_center::Column::Code.eq(code.as_str()));
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &DataCenterFields,
    ) -> Result<Option<data_center::Model>, InventoryError> {
        match &fields.code {
            Some(code) => Ok(references::data_center_by_code(txn, code).await?),
            None => Ok(None),
        }
    }
}

pub struct MachineRooms;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MachineRoomFields {
    pub data_center_id: Option<i64>,
    /// Instead of `data_center_id` (imports).
    pub data_center_code: Option<String>,
    /// Unique within the data center.
    pub name: Option<String>,
    pub floor: Option<i32>,
    /// The floor as a grid of rack positions: rows (1 to 100); `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub grid_rows: Option<Option<i32>>,
    /// Rack positions per row (1 to 100); `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub grid_columns: Option<Option<i32>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MachineRoomView {
    pub id: i64,
    pub data_center_id: i64,
    pub name: String,
    pub floor: i32,
    pub grid_rows: Option<i32>,
    pub grid_columns: Option<i32>,
}

/// The largest grid a room may have, in rows and in columns.
const MAX_GRID: i32 = 100;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct MachineRoomFilter {
    pub data_center_id: Option<i64>,
}

impl InventoryObject for MachineRooms {
    type Entity = machine_room::Entity;
    type Fields = MachineRoomFields;
    type View = MachineRoomView;
    type Filter = MachineRoomFilter;
    const KIND: &'static str = "machine_room";
    const WHAT: &'static str = "machine room";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> machine_room::Column {
        machine_room::Column::Id
    }

    fn view(model: &machine_room::Model, _sealer: &Sealer) -> MachineRoomView {
        MachineRoomView {
            id: model.id,
            data_center_id: model.data_center_id,
            name: model.name.clone(),
            floor: model.floor,
            grid_rows: model.grid_rows,
            grid_columns: model.grid_columns,
        }
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: MachineRoomFields,
        existing_opt: Option<&machine_room::Model>,
        _writer: &Writer<'_>,
    ) -> Result<machine_room::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let data_center_id = references::data_center(
            txn,
            &mut check,
            fields.data_center_id,
            fields.data_center_code.as_deref(),
            existing_opt.map(|m| m.data_center_id),
        )
        .await?;
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        check.text("name", &name, 200);
        let floor = fields.floor.or(existing_opt.map(|m| m.floor)).unwrap_or(1);
        let grid_rows = nullable(fields.grid_rows, existing_opt.map(|m| m.grid_rows));
        let grid_columns = nullable(fields.grid_columns, existing_opt.map(|m| m.grid_columns));
        for (field, value_opt) in [("grid_rows", grid_rows), ("grid_columns", grid_columns)] {
            if let Some(value) = value_opt {
                check.at_least(field, value, 1);
                if value > MAX_GRID {
                    check.problem(field, format!("must be at most {MAX_GRID}"));
                }
            }
        }
        if grid_rows.is_some() != grid_columns.is_some() {
            check.problem("grid_columns", "set grid_rows and grid_columns together");
        }
        if let Some(existing) = existing_opt {
            // A smaller grid must still hold every rack placed on it.
            let placed = rack::Entity::find()
                .filter(rack::Column::RoomId.eq(existing.id))
                .filter(rack::Column::GridRow.is_not_null())
                .all(txn)
                .await?;
            let outside = placed.iter().find(|rack| {
                grid_place_problem(rack.grid_row, rack.grid_column, grid_rows, grid_columns)
                    .is_some()
            });
            if let Some(rack) = outside {
                check.problem(
                    "grid_rows",
                    format!("rack {} stands outside this grid", rack.name),
                );
            }
        }
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <machine_room::ActiveModel as Default>::default(),
        };
        active.data_center_id = Set(data_center_id);
        active.name = Set(name);
        active.floor = Set(floor);
        active.grid_rows.set_if_not_equals(grid_rows);
        active.grid_columns.set_if_not_equals(grid_columns);
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        let racks = rack::Entity::find()
            .filter(rack::Column::RoomId.eq(id))
            .count(txn)
            .await?;
        Ok(present_kinds(&[("racks", racks)]))
    }

    fn filter(
        mut select: Select<machine_room::Entity>,
        filter: &MachineRoomFilter,
        _scope: TenantScope,
    ) -> Select<machine_room::Entity> {
        if let Some(data_center_id) = filter.data_center_id {
            select = select.filter(machine_room::Column::DataCenterId.eq(data_center_id));
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &MachineRoomFields,
    ) -> Result<Option<machine_room::Model>, InventoryError> {
        let data_center_id_opt = references::data_center_id_of(
            txn,
            fields.data_center_id,
            fields.data_center_code.as_deref(),
        )
        .await?;
        match (data_center_id_opt, &fields.name) {
            (Some(data_center_id), Some(name)) => {
                Ok(references::room_by_name(txn, data_center_id, name).await?)
            }
            _ => Ok(None),
        }
    }
}

pub struct Racks;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RackFields {
    pub room_id: Option<i64>,
    /// Instead of `room_id` (imports): the room's data center code and the room's name.
    pub data_center_code: Option<String>,
    pub room: Option<String>,
    /// Unique within the room.
    pub name: Option<String>,
    /// Usable height in rack units, default 42.
    pub height_u: Option<i32>,
    /// Its row on the room's grid (from 1; with `grid_column`); `null` takes it off the grid.
    /// No two racks of a room share a position.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub grid_row: Option<Option<i32>>,
    /// Its column on the room's grid (from 1; with `grid_row`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub grid_column: Option<Option<i32>>,
    /// Which way its front faces: `north` (towards row 1), `south` (the default), `east`
    /// (towards the last column) or `west`.
    pub facing: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RackView {
    pub id: i64,
    pub room_id: i64,
    pub name: String,
    pub height_u: i32,
    pub grid_row: Option<i32>,
    pub grid_column: Option<i32>,
    pub facing: String,
}

/// The directions a rack's front may face.
pub const FACINGS: [&str; 4] = ["north", "south", "east", "west"];

/// What is wrong with a rack at (`row`, `column`) on a `rows` × `columns` grid, if anything:
/// a position is both or neither, and inside the grid.
fn grid_place_problem(
    row: Option<i32>,
    column: Option<i32>,
    rows: Option<i32>,
    columns: Option<i32>,
) -> Option<String> {
    match (row, column, rows, columns) {
        (None, None, _, _) => None,
        (Some(_), None, _, _) | (None, Some(_), _, _) => {
            Some("set grid_row and grid_column together".to_owned())
        }
        (Some(_), Some(_), None, _) | (Some(_), Some(_), _, None) => {
            Some("the room has no grid yet: set its grid_rows and grid_columns".to_owned())
        }
        (Some(row), Some(column), Some(rows), Some(columns)) => {
            (row < 1 || column < 1 || row > rows || column > columns).then(|| {
                format!("row {row}, column {column} is outside the room's {rows} × {columns} grid")
            })
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct RackFilter {
    pub room_id: Option<i64>,
}

/// The room a rack's fields name: by id, or by data center code and room name.
async fn room_of_rack(
    txn: &impl ConnectionTrait,
    check_opt: Option<&mut Checker>,
    fields: &RackFields,
    existing_opt: Option<i64>,
) -> Result<Option<i64>, DbErr> {
    if let (None, Some(code), Some(room)) = (fields.room_id, &fields.data_center_code, &fields.room)
    {
        let found_opt = match references::data_center_by_code(txn, code).await? {
            Some(data_center) => references::room_by_name(txn, data_center.id, room).await?,
            None => None,
        };
        if found_opt.is_none() {
            if let Some(check) = check_opt {
                check.problem(
                    "room",
                    format!("no machine room {room} in data center {code}"),
                );
            }
        }
        return Ok(found_opt.map(|room| room.id));
    }
    match check_opt {
        Some(check) => Ok(Some(
            references::required_id::<machine_room::Entity>(
                txn,
                check,
                "room_id",
                "machine room",
                fields.room_id,
                existing_opt,
            )
            .await?,
        )),
        None => Ok(fields.room_id),
    }
}

/// Checks a rack's place on its room's grid: inside it, and no other rack of the room there.
async fn check_grid_place(
    txn: &impl ConnectionTrait,
    check: &mut Checker,
    rack_id_opt: Option<i64>,
    room_id: i64,
    grid_row: Option<i32>,
    grid_column: Option<i32>,
) -> Result<(), DbErr> {
    let Some(room) = machine_room::Entity::find_by_id(room_id).one(txn).await? else {
        // The room itself is refused already.
        return Ok(());
    };
    if let Some(problem) =
        grid_place_problem(grid_row, grid_column, room.grid_rows, room.grid_columns)
    {
        check.problem("grid_row", problem);
        return Ok(());
    }
    let taken_by = rack::Entity::find()
        .filter(rack::Column::RoomId.eq(room_id))
        .filter(rack::Column::GridRow.eq(grid_row))
        .filter(rack::Column::GridColumn.eq(grid_column))
        .apply_if(rack_id_opt, |select, id| {
            select.filter(rack::Column::Id.ne(id))
        })
        .one(txn)
        .await?;
    if let Some(other) = taken_by {
        check.problem(
            "grid_row",
            format!("rack {} already stands at this position", other.name),
        );
    }
    Ok(())
}

impl InventoryObject for Racks {
    type Entity = rack::Entity;
    type Fields = RackFields;
    type View = RackView;
    type Filter = RackFilter;
    const KIND: &'static str = "rack";
    const WHAT: &'static str = "rack";

    fn id(model: &ModelOf<Self>) -> i64 {
        model.id
    }

    fn id_column() -> rack::Column {
        rack::Column::Id
    }

    fn view(model: &rack::Model, _sealer: &Sealer) -> RackView {
        RackView {
            id: model.id,
            room_id: model.room_id,
            name: model.name.clone(),
            height_u: model.height_u,
            grid_row: model.grid_row,
            grid_column: model.grid_column,
            facing: model.facing.clone(),
        }
    }

    async fn build(
        txn: &impl ConnectionTrait,
        fields: RackFields,
        existing_opt: Option<&rack::Model>,
        _writer: &Writer<'_>,
    ) -> Result<rack::ActiveModel, InventoryError> {
        let mut check = Checker::default();
        let room_id = room_of_rack(
            txn,
            Some(&mut check),
            &fields,
            existing_opt.map(|m| m.room_id),
        )
        .await?
        .unwrap_or_default();
        let name = check.required("name", fields.name, existing_opt.map(|m| m.name.clone()));
        check.text("name", &name, 200);
        let height_u = fields
            .height_u
            .or(existing_opt.map(|m| m.height_u))
            .unwrap_or(42);
        check.at_least("height_u", height_u, 1);
        if height_u > 100 {
            check.problem("height_u", "must be at most 100");
        }
        if let Some(existing) = existing_opt.filter(|existing| existing.height_u > height_u) {
            // A shorter rack must still hold every device placed in it.
            let placed = device::Entity::find()
                .filter(device::Column::RackId.eq(existing.id))
                .filter(device::Column::RackUnit.is_not_null())
                .all(txn)
                .await?;
            let too_high = placed.iter().find(|device| {
                let span = RackSpan {
                    lowest_unit: device.rack_unit.unwrap_or_default(),
                    height_u: device.height_u,
                };
                span.highest_unit() > height_u
            });
            if let Some(device) = too_high {
                check.problem(
                    "height_u",
                    format!("{} reaches above U{height_u}", device.name),
                );
            }
        }
        let grid_row = nullable(fields.grid_row, existing_opt.map(|m| m.grid_row));
        let grid_column = nullable(fields.grid_column, existing_opt.map(|m| m.grid_column));
        let facing = fields
            .facing
            .or(existing_opt.map(|m| m.facing.clone()))
            .unwrap_or_else(|| "south".to_owned());
        check.one_of("facing", &facing, &FACINGS);
        if grid_row.is_some() || grid_column.is_some() {
            check_grid_place(
                txn,
                &mut check,
                existing_opt.map(|m| m.id),
                room_id,
                grid_row,
                grid_column,
            )
            .await?;
        }
        check.finish()?;
        let mut active = match existing_opt {
            Some(existing) => existing.clone().into_active_model(),
            None => <rack::ActiveModel as Default>::default(),
        };
        active.room_id = Set(room_id);
        active.name = Set(name);
        active.height_u = Set(height_u);
        active.grid_row.set_if_not_equals(grid_row);
        active.grid_column.set_if_not_equals(grid_column);
        active.facing.set_if_not_equals(facing);
        Ok(active)
    }

    async fn dependents(txn: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>, DbErr> {
        let devices = device::Entity::find()
            .filter(device::Column::RackId.eq(id))
            .count(txn)
            .await?;
        Ok(present_kinds(&[("devices", devices)]))
    }

    fn filter(
        mut select: Select<rack::Entity>,
        filter: &RackFilter,
        _scope: TenantScope,
    ) -> Select<rack::Entity> {
        if let Some(room_id) = filter.room_id {
            select = select.filter(rack::Column::RoomId.eq(room_id));
        }
        select
    }

    async fn find_by_natural_key(
        txn: &impl ConnectionTrait,
        fields: &RackFields,
    ) -> Result<Option<rack::Model>, InventoryError> {
        let (Some(room_id), Some(name)) =
            (room_of_rack(txn, None, fields, None).await?, &fields.name)
        else {
            return Ok(None);
        };
        Ok(rack::Entity::find()
            .filter(rack::Column::RoomId.eq(room_id))
            .filter(rack::Column::Name.eq(name.as_str()))
            .one(txn)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rack_stands_inside_its_rooms_grid_or_nowhere() {
        let table = [
            ((None, None), (Some(4), Some(10)), None),
            ((None, None), (None, None), None),
            ((Some(1), Some(1)), (Some(4), Some(10)), None),
            ((Some(4), Some(10)), (Some(4), Some(10)), None),
            ((Some(5), Some(1)), (Some(4), Some(10)), Some("outside")),
            ((Some(1), Some(11)), (Some(4), Some(10)), Some("outside")),
            ((Some(0), Some(1)), (Some(4), Some(10)), Some("outside")),
            ((Some(1), None), (Some(4), Some(10)), Some("together")),
            ((None, Some(2)), (Some(4), Some(10)), Some("together")),
            ((Some(1), Some(1)), (None, None), Some("no grid")),
        ];
        for ((row, column), (rows, columns), expected) in table {
            let problem = grid_place_problem(row, column, rows, columns);
            match expected {
                None => assert_eq!(
                    problem, None,
                    "{row:?} {column:?} on {rows:?} × {columns:?}"
                ),
                Some(word) => assert!(
                    problem.as_deref().is_some_and(|p| p.contains(word)),
                    "{row:?} {column:?} on {rows:?} × {columns:?}: {problem:?}"
                ),
            }
        }
    }
}
