//! Bulk import: many objects of several kinds in one transaction, all or nothing. Rows name
//! their parents by natural key (a data center's `data_center_code`, a pool's `pool` name,
//! ...) and are matched to existing objects by theirs, so an import can be repeated: an
//! unchanged row is counted as such and writes nothing.
//!
//! A JSON document has one array per kind; a CSV text has one kind, a header row naming the
//! fields, and `credentials` (if any) as JSON text in its cell. Kinds are imported parents
//! first. Every problem is reported with its kind and row number (`devices[3].name`: the third
//! row of devices; in CSV, the third row after the header). A dry run does all of it and
//! rolls the transaction back.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseConnection, IntoActiveModel,
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::clouds::{CloudPlatforms, Clusters};
use super::crud::{self, ActiveModelOf, InventoryError, InventoryObject, ModelOf, Writer};
use super::devices::Devices;
use super::pools::ResourcePools;
use super::sites::{DataCenters, MachineRooms, Racks};
use crate::error::FieldError;

/// The importable kinds, in the order they are imported (parents first).
pub const IMPORT_KINDS: &[&str] = &[
    "data_centers",
    "resource_pools",
    "machine_rooms",
    "racks",
    "devices",
    "cloud_platforms",
    "clusters",
];

/// The object kind (as the history names it) of an importable kind.
pub fn object_kind(import_kind: &str) -> Option<&'static str> {
    let kind = match import_kind {
        "data_centers" => DataCenters::KIND,
        "resource_pools" => ResourcePools::KIND,
        "machine_rooms" => MachineRooms::KIND,
        "racks" => Racks::KIND,
        "devices" => Devices::KIND,
        "cloud_platforms" => CloudPlatforms::KIND,
        "clusters" => Clusters::KIND,
        _ => return None,
    };
    Some(kind)
}

/// The most rows one import may carry.
pub const MAX_ROWS: usize = 10_000;

/// CSV columns read as numbers or booleans rather than text.
const NUMBER_COLUMNS: &[&str] = &[
    "data_center_id",
    "room_id",
    "rack_id",
    "pool_id",
    "platform_id",
    "floor",
    "grid_rows",
    "grid_columns",
    "grid_row",
    "grid_column",
    "height_u",
    "rack_unit",
    "poll_interval_secs",
    "sync_interval_secs",
    "cpu_overcommit",
    "memory_overcommit",
    "disk_overcommit",
];
/// CSV columns holding JSON.
const JSON_COLUMNS: &[&str] = &["credentials"];

/// Rows of one kind, each with its row number.
pub type Rows = Vec<(usize, Value)>;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// What an import wrote, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportSummary {
    pub kinds: BTreeMap<String, ImportCounts>,
}

fn import_refused(problems: Vec<FieldError>) -> InventoryError {
    InventoryError::ImportRefused {
        message: "the import has invalid rows; nothing was written",
        problems,
    }
}

/// The rows of a JSON document: `{"data_centers":[...],"devices":[...]}`.
pub fn rows_of_json(document: Value) -> Result<BTreeMap<String, Rows>, InventoryError> {
    let Value::Object(kinds) = document else {
        return Err(InventoryError::ImportRefused {
            message: "an import is a JSON object with one array per kind",
            problems: Vec::new(),
        });
    };
    let mut problems = Vec::new();
    let mut rows_by_kind = BTreeMap::new();
    let mut n_rows = 0;
    for (kind, rows) in kinds {
        if !IMPORT_KINDS.contains(&kind.as_str()) {
            problems.push(FieldError::new(
                &kind,
                format!(
                    "not an importable kind; expected {}",
                    IMPORT_KINDS.join(", ")
                ),
            ));
            continue;
        }
        let Value::Array(rows) = rows else {
            problems.push(FieldError::new(&kind, "must be an array of objects"));
            continue;
        };
        n_rows += rows.len();
        let numbered = rows
            .into_iter()
            .enumerate()
            .map(|(index, row)| (index + 1, row))
            .collect();
        rows_by_kind.insert(kind, numbered);
    }
    if n_rows > MAX_ROWS {
        problems.push(FieldError::new(
            "",
            format!("at most {MAX_ROWS} rows per import"),
        ));
    }
    if !problems.is_empty() {
        return Err(import_refused(problems));
    }
    Ok(rows_by_kind)
}

/// The rows of a CSV text of one kind, with a header row.
pub fn rows_of_csv(kind: &str, text: &str) -> Result<BTreeMap<String, Rows>, InventoryError> {
    if !IMPORT_KINDS.contains(&kind) {
        return Err(InventoryError::ImportRefused {
            message: "unknown import kind",
            problems: vec![FieldError::new(
                "kind",
                format!("must be one of {}", IMPORT_KINDS.join(", ")),
            )],
        });
    }
    let records = read_csv(text)?;
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        return Err(import_refused(vec![FieldError::new(
            "line 1",
            "a header row naming the fields is required",
        )]));
    };
    let columns: Vec<String> = header.fields.iter().map(|c| c.trim().to_owned()).collect();
    let rows: Vec<_> = records.collect();
    if rows.len() > MAX_ROWS {
        return Err(import_refused(vec![FieldError::new(
            "",
            format!("at most {MAX_ROWS} rows per import"),
        )]));
    }
    let mut problems = Vec::new();
    let mut numbered = Vec::new();
    for (index, record) in rows.into_iter().enumerate() {
        let row_number = index + 1;
        if record.fields.len() != columns.len() {
            problems.push(FieldError::new(
                &format!("{kind}[{row_number}]"),
                format!(
                    "has {} fields, the header {} (line {})",
                    record.fields.len(),
                    columns.len(),
                    record.line
                ),
            ));
            continue;
        }
        let mut object = Map::new();
        for (column, cell) in columns.iter().zip(record.fields) {
            if cell.is_empty() {
                continue;
            }
            object.insert(column.clone(), cell_value(column, cell));
        }
        numbered.push((row_number, Value::Object(object)));
    }
    if !problems.is_empty() {
        return Err(import_refused(problems));
    }
    Ok(BTreeMap::from([(kind.to_owned(), numbered)]))
}

/// One CSV record and the line it starts on.
#[derive(Debug)]
struct CsvRecord {
    line: u64,
    fields: Vec<String>,
}

/// The records of a CSV text (RFC 4180 through the `csv` crate: fields optionally quoted,
/// `""` a quote inside one, quoted fields spanning lines, CRLF or LF), a leading byte-order
/// mark (Excel writes one) ignored and blank lines skipped. Rows of any width are read: the
/// caller names a row whose width differs from the header's.
fn read_csv(text: &str) -> Result<Vec<CsvRecord>, InventoryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|result| {
            let record = result.map_err(|error| {
                let line = error.position().map_or(1, csv::Position::line);
                import_refused(vec![FieldError::new(
                    &format!("line {line}"),
                    error.to_string(),
                )])
            })?;
            Ok(CsvRecord {
                line: record.position().map_or(1, csv::Position::line),
                fields: record.iter().map(str::to_owned).collect(),
            })
        })
        .collect()
}

/// A CSV cell as the JSON value its column takes; one that does not parse stays text, and
/// the row's validation names it.
fn cell_value(column: &str, cell: String) -> Value {
    if NUMBER_COLUMNS.contains(&column) {
        if let Ok(integer) = cell.trim().parse::<i64>() {
            return Value::from(integer);
        }
        if let Ok(float) = cell.trim().parse::<f64>() {
            return Value::from(float);
        }
    }
    if JSON_COLUMNS.contains(&column) {
        if let Ok(value) = serde_json::from_str(&cell) {
            return value;
        }
    }
    Value::String(cell)
}

/// Whether an import keeps what it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    Write,
    /// Every row checked and written as for real, then rolled back: the same summary or
    /// problems, and nothing kept (no objects, no history).
    DryRun,
}

/// Imports every row in one transaction: all, or nothing and every problem.
pub async fn import(
    db: &DatabaseConnection,
    mut rows_by_kind: BTreeMap<String, Rows>,
    writer: &Writer<'_>,
    mode: ImportMode,
) -> Result<ImportSummary, InventoryError> {
    let txn = crate::db::begin(db).await?;
    let mut summary = ImportSummary::default();
    let mut problems = Vec::new();
    for kind in IMPORT_KINDS {
        let Some(rows) = rows_by_kind.remove(*kind) else {
            continue;
        };
        let counts = summary.kinds.entry((*kind).to_owned()).or_default();
        let step = match *kind {
            "data_centers" => {
                import_rows::<DataCenters>(&txn, kind, rows, writer, counts, &mut problems).await
            }
            "resource_pools" => {
                import_rows::<ResourcePools>(&txn, kind, rows, writer, counts, &mut problems).await
            }
            "machine_rooms" => {
                import_rows::<MachineRooms>(&txn, kind, rows, writer, counts, &mut problems).await
            }
            "racks" => import_rows::<Racks>(&txn, kind, rows, writer, counts, &mut problems).await,
            "devices" => {
                import_rows::<Devices>(&txn, kind, rows, writer, counts, &mut problems).await
            }
            "cloud_platforms" => {
                import_rows::<CloudPlatforms>(&txn, kind, rows, writer, counts, &mut problems).await
            }
            _ => import_rows::<Clusters>(&txn, kind, rows, writer, counts, &mut problems).await,
        };
        match step {
            Ok(RowsOutcome::Continue) => {}
            // The database refused a write: on PostgreSQL the transaction can do no more.
            Ok(RowsOutcome::Stop) => break,
            Err(error) => return Err(error),
        }
    }
    if !problems.is_empty() {
        txn.rollback().await?;
        return Err(import_refused(problems));
    }
    match mode {
        ImportMode::Write => txn.commit().await?,
        ImportMode::DryRun => txn.rollback().await?,
    }
    Ok(summary)
}

enum RowsOutcome {
    Continue,
    Stop,
}

async fn import_rows<O: InventoryObject>(
    txn: &impl ConnectionTrait,
    kind: &str,
    rows: Rows,
    writer: &Writer<'_>,
    counts: &mut ImportCounts,
    problems: &mut Vec<FieldError>,
) -> Result<RowsOutcome, InventoryError>
where
    ActiveModelOf<O>: ActiveModelTrait<Entity = O::Entity> + ActiveModelBehavior + Send,
    ModelOf<O>: IntoActiveModel<ActiveModelOf<O>>,
{
    for (row_number, row) in rows {
        let row_name = format!("{kind}[{row_number}]");
        let fields: O::Fields = match serde_json::from_value(row) {
            Ok(fields) => fields,
            Err(error) => {
                problems.push(FieldError::new(&row_name, error.to_string()));
                continue;
            }
        };
        let written = match O::find_by_natural_key(txn, &fields).await? {
            Some(existing) => crud::update_in::<O>(txn, existing, fields, writer)
                .await
                .map(|updated| {
                    if updated.changed {
                        counts.updated += 1;
                    } else {
                        counts.unchanged += 1;
                    }
                }),
            None => crud::create_in::<O>(txn, fields, writer)
                .await
                .map(|_| counts.created += 1),
        };
        match written {
            Ok(()) => {}
            Err(InventoryError::Invalid(fields)) => {
                for field in fields {
                    problems.push(FieldError::new(
                        &format!("{row_name}.{}", field.field),
                        field.message,
                    ));
                }
            }
            Err(
                error @ (InventoryError::Duplicate(_)
                | InventoryError::StillReferred(_)
                | InventoryError::HasDependents { .. }),
            ) => {
                problems.push(FieldError::new(&row_name, error.to_string()));
                return Ok(RowsOutcome::Stop);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(RowsOutcome::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(text: &str) -> Vec<Vec<String>> {
        read_csv(text)
            .unwrap()
            .into_iter()
            .map(|record| record.fields)
            .collect()
    }

    #[test]
    fn csv_reads_quotes_empty_fields_line_ends_and_a_byte_order_mark() {
        let table: [(&str, Vec<Vec<&str>>); 8] = [
            ("a,b\n1,2\n", vec![vec!["a", "b"], vec!["1", "2"]]),
            ("a,b\r\n1,2", vec![vec!["a", "b"], vec!["1", "2"]]),
            ("\u{feff}a\n\n\nb\n", vec![vec!["a"], vec!["b"]]),
            ("a,,c\n", vec![vec!["a", "", "c"]]),
            (
                "\"x, y\",\"say \"\"hi\"\"\"\n",
                vec![vec!["x, y", "say \"hi\""]],
            ),
            ("\"two\nlines\",z", vec![vec!["two\nlines", "z"]]),
            ("\"\",b", vec![vec!["", "b"]]),
            ("a,\"b, c\",\"\"\n", vec![vec!["a", "b, c", ""]]),
        ];
        for (text, expected) in table {
            assert_eq!(fields_of(text), expected, "{text:?}");
        }
        let lines: Vec<u64> = read_csv("h\n\"a\nb\"\nc\n")
            .unwrap()
            .iter()
            .map(|record| record.line)
            .collect();
        assert_eq!(lines, [1, 2, 4]);
    }
    use serde_json::json;

    #[test]
    fn csv_rows_become_objects_with_typed_cells() {
        let text = "name,data_center_code,floor,credentials,poll_interval_secs\n\
                    r1,dc-1,3,\"{\"\"version\"\":\"\"v2c\"\",\"\"community\"\":\"\"c\"\"}\",\n\
                    r2,dc-1,B1,,\n";
        let rows = rows_of_csv("machine_rooms", text).unwrap();
        assert_eq!(
            rows["machine_rooms"],
            vec![
                (
                    1,
                    json!({"name":"r1","data_center_code":"dc-1","floor":3,"credentials":{"version":"v2c","community":"c"}})
                ),
                (
                    2,
                    json!({"name":"r2","data_center_code":"dc-1","floor":"B1"})
                ),
            ]
        );
        let short = problems(rows_of_csv("racks", "name,height_u\nr1\n").unwrap_err());
        assert_eq!(short[0].field, "racks[1]");
        assert_eq!(
            problems(rows_of_csv("vms", "a\n").unwrap_err())[0].field,
            "kind"
        );
    }

    fn problems(error: InventoryError) -> Vec<FieldError> {
        match error {
            InventoryError::ImportRefused { problems, .. } => problems,
            other => panic!("expected a refused import, got {other:?}"),
        }
    }

    #[test]
    fn json_documents_have_one_array_per_known_kind() {
        let rows = rows_of_json(json!({"data_centers":[{"code":"a"},{"code":"b"}]})).unwrap();
        assert_eq!(rows["data_centers"][1].0, 2);
        let error = problems(rows_of_json(json!({"gizmos":[], "devices":{}})).unwrap_err());
        let fields: Vec<_> = error.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["devices", "gizmos"]);
        assert!(rows_of_json(json!([1])).is_err());
    }
}
