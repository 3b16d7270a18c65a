//! One-minute rollups of device metrics: each data center folds its devices' points into
//! per-minute min, max and average, and hands finished minutes to a writer that stores them
//! in batches: one row per device and minute holding all its series (a multi-row insert,
//! idempotent per device and minute), because a switch has dozens of interface series and a
//! row per series would be tens of thousands of rows a second at twenty thousand devices. A
//! sweeper deletes what is older than the retention. Read back by the time-series API.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use super::datetime_of_ms;
use crate::db::entities::metric_rollup;

const MINUTE_MS: u64 = 60_000;

/// Rows per insert statement.
const ROWS_PER_INSERT: usize = 200;

/// One value of one metric at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    /// `cpu_percent`, `memory_percent`, `interface_in_bps`, ...
    pub metric: &'static str,
    /// Interface or storage index; 0 for the whole device.
    pub instance: u32,
    pub value: f64,
}

/// One series' minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesRollup {
    pub metric: &'static str,
    pub instance: u32,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub samples: u32,
}

impl SeriesRollup {
    pub fn avg(&self) -> f64 {
        self.sum / f64::from(self.samples.max(1))
    }
}

/// A device's minute: every series it reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub device_id: i64,
    pub minute_ms: u64,
    pub series: Vec<SeriesRollup>,
}

/// Each device's open minute.
#[derive(Debug, Default)]
pub struct RollupBuffer {
    open: HashMap<i64, Rollup>,
    finished: Vec<Rollup>,
}

impl RollupBuffer {
    pub fn add(&mut self, device_id: i64, at_ms: u64, points: &[MetricPoint]) {
        let minute_ms = at_ms - at_ms % MINUTE_MS;
        let open = self.open.entry(device_id).or_insert_with(|| Rollup {
            device_id,
            minute_ms,
            series: Vec::new(),
        });
        if open.minute_ms != minute_ms {
            let done = std::mem::replace(
                open,
                Rollup {
                    device_id,
                    minute_ms,
                    series: Vec::new(),
                },
            );
            if !done.series.is_empty() {
                self.finished.push(done);
            }
        }
        for point in points.iter().filter(|p| p.value.is_finite()) {
            match open
                .series
                .iter_mut()
                .find(|s| s.metric == point.metric && s.instance == point.instance)
            {
                Some(series) => {
                    series.min = series.min.min(point.value);
                    series.max = series.max.max(point.value);
                    series.sum += point.value;
                    series.samples += 1;
                }
                None => open.series.push(SeriesRollup {
                    metric: point.metric,
                    instance: point.instance,
                    min: point.value,
                    max: point.value,
                    sum: point.value,
                    samples: 1,
                }),
            }
        }
    }

    /// Takes out every minute that ended before `now_ms`.
    pub fn take_finished(&mut self, now_ms: u64) -> Vec<Rollup> {
        let current_minute = now_ms - now_ms % MINUTE_MS;
        let mut finished = std::mem::take(&mut self.finished);
        self.open.retain(|_, open| {
            if open.minute_ms < current_minute {
                if !open.series.is_empty() {
                    finished.push(std::mem::replace(
                        open,
                        Rollup {
                            device_id: open.device_id,
                            minute_ms: current_minute,
                            series: Vec::new(),
                        },
                    ));
                }
                return false;
            }
            true
        });
        finished
    }
}

/// Starts a writer of finished minutes; batches sent to it are stored in order.
pub fn start_writer(db: DatabaseConnection) -> mpsc::UnboundedSender<Vec<Rollup>> {
    let (batch_tx, mut batch_rx) = mpsc::unbounded_channel::<Vec<Rollup>>();
    tokio::spawn(async move {
        while let Some(batch) = batch_rx.recv().await {
            if let Err(error) = store(&db, &batch).await {
                tracing::error!(%error, rows = batch.len(), "cannot store metric rollups");
            }
        }
    });
    batch_tx
}

/// A device-minute's series as stored: `[[metric, instance, min, max, avg, samples], ...]`.
fn encode(series: &[SeriesRollup]) -> String {
    let rows: Vec<serde_json::Value> = series
        .iter()
        .map(|s| serde_json::json!([s.metric, s.instance, s.min, s.max, s.avg(), s.samples]))
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// Stores rollups with multi-row inserts; a minute stored twice keeps the later figures.
pub async fn store(db: &DatabaseConnection, rollups: &[Rollup]) -> Result<(), sea_orm::DbErr> {
    for chunk in rollups.chunks(ROWS_PER_INSERT) {
        let rows = chunk.iter().map(|rollup| metric_rollup::ActiveModel {
            device_id: Set(rollup.device_id),
            minute: Set(datetime_of_ms(rollup.minute_ms)),
            series: Set(encode(&rollup.series)),
        });
        metric_rollup::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    metric_rollup::Column::DeviceId,
                    metric_rollup::Column::Minute,
                ])
                .update_column(metric_rollup::Column::Series)
                .to_owned(),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Deletes rollups older than `retention`, every `every`.
pub fn start_sweeper(db: DatabaseConnection, retention: Duration, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let Ok(retention) = chrono::Duration::from_std(retention) else {
                return;
            };
            let cutoff = Utc::now() - retention;
            match metric_rollup::Entity::delete_many()
                .filter(metric_rollup::Column::Minute.lt(cutoff))
                .exec(&db)
                .await
            {
                Ok(result) if result.rows_affected > 0 => {
                    tracing::info!(rows = result.rows_affected, "old metric rollups deleted");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot delete old metric rollups"),
            }
        }
    });
}

/// One stored minute, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollupView {
    pub minute: DateTime<Utc>,
    pub min: f64,
    pub max: f64,
    pub avg: f64,
    pub samples: i32,
}

/// The stored minutes of one series between `from` and `to`, oldest first.
pub async fn series(
    db: &DatabaseConnection,
    device_id: i64,
    metric: &str,
    instance: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<RollupView>, sea_orm::DbErr> {
    use sea_orm::QuerySelect;
    let rows = metric_rollup::Entity::find()
        .filter(metric_rollup::Column::DeviceId.eq(device_id))
        .filter(metric_rollup::Column::Minute.gte(from))
        .filter(metric_rollup::Column::Minute.lt(to))
        .order_by_asc(metric_rollup::Column::Minute)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let stored: Vec<(String, u32, f64, f64, f64, i32)> =
                serde_json::from_str(&row.series).ok()?;
            let (_, _, min, max, avg, samples) = stored
                .into_iter()
                .find(|(m, i, ..)| m == metric && *i == instance)?;
            Some(RollupView {
                minute: row.minute,
                min,
                max,
                avg,
                samples,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(metric: &'static str, instance: u32, value: f64) -> MetricPoint {
        MetricPoint {
            metric,
            instance,
            value,
        }
    }

    #[test]
    fn minutes_fold_per_device_and_come_out_when_finished() {
        let mut buffer = RollupBuffer::default();
        buffer.add(
            7,
            60_000,
            &[
                point("cpu_percent", 0, 10.0),
                point("interface_in_bps", 3, 5.0),
            ],
        );
        buffer.add(
            7,
            90_000,
            &[
                point("cpu_percent", 0, 30.0),
                point("cpu_percent", 0, f64::NAN),
            ],
        );
        buffer.add(8, 95_000, &[point("cpu_percent", 0, 1.0)]);
        assert!(
            buffer.take_finished(119_999).is_empty(),
            "the minute is still open"
        );
        // Device 7 moves on to the next minute: its first one is finished at once.
        buffer.add(7, 120_500, &[point("cpu_percent", 0, 50.0)]);
        let mut finished = buffer.take_finished(121_000);
        finished.sort_by_key(|r| r.device_id);
        assert_eq!(finished.len(), 2);
        assert_eq!(finished[0].minute_ms, 60_000);
        let cpu = finished[0].series[0];
        assert_eq!(
            (cpu.min, cpu.max, cpu.avg(), cpu.samples),
            (10.0, 30.0, 20.0, 2)
        );
        assert_eq!(finished[0].series[1].instance, 3);
        assert_eq!(finished[1].device_id, 8);
        assert_eq!(buffer.take_finished(180_000).len(), 1);
        assert!(buffer.take_finished(240_000).is_empty());
        let encoded = encode(&finished[0].series);
        assert_eq!(
            encoded,
            r#"[["cpu_percent",0,10.0,30.0,20.0,2],["interface_in_bps",3,5.0,5.0,5.0,1]]"#
        );
    }
}
