//! One-minute rollups of device metrics: each data center folds its devices' points into
//! per-minute min, max and average, and hands finished minutes to a writer that stores them
//! in batches (multi-row inserts, idempotent per device, metric, instance and minute), and a
//! sweeper deletes what is older than the retention. Read back by the time-series API.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::db::entities::metric_rollup;

const MINUTE_MS: u64 = 60_000;

/// Rows per insert statement.
const ROWS_PER_INSERT: usize = 500;

/// One value of one metric at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    /// `cpu_percent`, `memory_percent`, `interface_in_bps`, ...
    pub metric: &'static str,
    /// Interface or storage index; empty for the whole device.
    pub instance: String,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Fold {
    min: f64,
    max: f64,
    sum: f64,
    samples: u32,
}

type SeriesKey = (i64, &'static str, String, u64);

/// Minutes being folded, by device, metric, instance and minute start.
#[derive(Debug, Default)]
pub struct RollupBuffer {
    folds: BTreeMap<SeriesKey, Fold>,
}

/// A finished minute of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub device_id: i64,
    pub metric: &'static str,
    pub instance: String,
    pub minute_ms: u64,
    pub min: f64,
    pub max: f64,
    pub avg: f64,
    pub samples: u32,
}

impl RollupBuffer {
    pub fn add(&mut self, device_id: i64, at_ms: u64, points: &[MetricPoint]) {
        let minute_ms = at_ms - at_ms % MINUTE_MS;
        for point in points.iter().filter(|p| p.value.is_finite()) {
            let key = (device_id, point.metric, point.instance.clone(), minute_ms);
            let fold = self.folds.entry(key).or_insert(Fold {
                min: point.value,
                max: point.value,
                sum: 0.0,
                samples: 0,
            });
            fold.min = fold.min.min(point.value);
            fold.max = fold.max.max(point.value);
            fold.sum += point.value;
            fold.samples += 1;
        }
    }

    /// Takes out every minute that ended before `now_ms`.
    pub fn take_finished(&mut self, now_ms: u64) -> Vec<Rollup> {
        let current_minute = now_ms - now_ms % MINUTE_MS;
        let (finished, open): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut self.folds)
            .into_iter()
            .partition(|((_, _, _, minute), _)| *minute < current_minute);
        self.folds = open;
        finished
            .into_iter()
            .map(|((device_id, metric, instance, minute_ms), fold)| Rollup {
                device_id,
                metric,
                instance,
                minute_ms,
                min: fold.min,
                max: fold.max,
                avg: fold.sum / f64::from(fold.samples.max(1)),
                samples: fold.samples,
            })
            .collect()
    }
}

fn minute(ms: u64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms as i64)
        .single()
        .unwrap_or_else(Utc::now)
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

/// Stores rollups with multi-row inserts; a minute stored twice keeps the later figures.
pub async fn store(db: &DatabaseConnection, rollups: &[Rollup]) -> Result<(), sea_orm::DbErr> {
    for chunk in rollups.chunks(ROWS_PER_INSERT) {
        let rows = chunk.iter().map(|rollup| metric_rollup::ActiveModel {
            device_id: Set(rollup.device_id),
            metric: Set(rollup.metric.to_owned()),
            instance: Set(rollup.instance.clone()),
            minute: Set(minute(rollup.minute_ms)),
            min_value: Set(rollup.min),
            max_value: Set(rollup.max),
            avg_value: Set(rollup.avg),
            samples: Set(rollup.samples as i32),
        });
        metric_rollup::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    metric_rollup::Column::DeviceId,
                    metric_rollup::Column::Metric,
                    metric_rollup::Column::Instance,
                    metric_rollup::Column::Minute,
                ])
                .update_columns([
                    metric_rollup::Column::MinValue,
                    metric_rollup::Column::MaxValue,
                    metric_rollup::Column::AvgValue,
                    metric_rollup::Column::Samples,
                ])
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
    instance: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<RollupView>, sea_orm::DbErr> {
    use sea_orm::QuerySelect;
    let rows = metric_rollup::Entity::find()
        .filter(metric_rollup::Column::DeviceId.eq(device_id))
        .filter(metric_rollup::Column::Metric.eq(metric))
        .filter(metric_rollup::Column::Instance.eq(instance))
        .filter(metric_rollup::Column::Minute.gte(from))
        .filter(metric_rollup::Column::Minute.lt(to))
        .order_by_asc(metric_rollup::Column::Minute)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| RollupView {
            minute: row.minute,
            min: row.min_value,
            max: row.max_value,
            avg: row.avg_value,
            samples: row.samples,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(metric: &'static str, value: f64) -> MetricPoint {
        MetricPoint {
            metric,
            instance: String::new(),
            value,
        }
    }

    #[test]
    fn minutes_fold_and_come_out_when_finished() {
        let mut buffer = RollupBuffer::default();
        buffer.add(7, 60_000, &[point("cpu_percent", 10.0)]);
        buffer.add(
            7,
            90_000,
            &[point("cpu_percent", 30.0), point("cpu_percent", f64::NAN)],
        );
        buffer.add(7, 120_500, &[point("cpu_percent", 50.0)]);
        assert!(
            buffer.take_finished(119_999).is_empty(),
            "the minute is still open"
        );
        let finished = buffer.take_finished(121_000);
        assert_eq!(
            finished,
            vec![Rollup {
                device_id: 7,
                metric: "cpu_percent",
                instance: String::new(),
                minute_ms: 60_000,
                min: 10.0,
                max: 30.0,
                avg: 20.0,
                samples: 2,
            }]
        );
        assert_eq!(buffer.take_finished(180_000).len(), 1);
        assert!(buffer.take_finished(240_000).is_empty());
    }
}
