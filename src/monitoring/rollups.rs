//! One-minute rollups of device and VM metrics: each data center folds its devices' points,
//! and each platform actor its VMs', into per-minute min, max and average, and hands finished
//! minutes to a writer that stores them in batches: one row per subject and minute holding
//! all its series (a multi-row insert, idempotent per subject and minute), because a switch
//! has dozens of interface series and a row per series would be tens of thousands of rows a
//! second at twenty thousand devices. Devices' minutes go to `metric_rollups`, VMs' to
//! `vm_metric_rollups` (the same shape; the statements are built for the subject's table).
//! A sweeper deletes what is older than the retention. Read back by the time-series API.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use super::datetime_of_ms;

const MINUTE_MS: u64 = 60_000;

/// Rows per insert statement.
const ROWS_PER_INSERT: usize = 200;

/// Whose series a rollup holds: a device's or a VM's (by their ids in the inventory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Device(i64),
    Vm(i64),
}

/// Where one kind of subject's minutes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Table {
    name: &'static str,
    key: &'static str,
}

const DEVICE_ROLLUPS: Table = Table {
    name: "metric_rollups",
    key: "device_id",
};
const VM_ROLLUPS: Table = Table {
    name: "vm_metric_rollups",
    key: "vm_id",
};

impl Subject {
    fn stored(self) -> (Table, i64) {
        match self {
            Subject::Device(id) => (DEVICE_ROLLUPS, id),
            Subject::Vm(id) => (VM_ROLLUPS, id),
        }
    }
}

/// One value of one metric at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    /// `cpu_percent`, `memory_percent`, `interface_in_bps`, ...
    pub metric: &'static str,
    /// Interface or storage index; 0 for the whole device or VM.
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

/// A subject's minute: every series it reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub subject: Subject,
    pub minute_ms: u64,
    pub series: Vec<SeriesRollup>,
}

/// Each subject's open minute.
#[derive(Debug, Default)]
pub struct RollupBuffer {
    open: HashMap<Subject, Rollup>,
    finished: Vec<Rollup>,
}

impl RollupBuffer {
    pub fn add(&mut self, subject: Subject, at_ms: u64, points: &[MetricPoint]) {
        let minute_ms = at_ms - at_ms % MINUTE_MS;
        let open = self.open.entry(subject).or_insert_with(|| Rollup {
            subject,
            minute_ms,
            series: Vec::new(),
        });
        if open.minute_ms != minute_ms {
            let done = std::mem::replace(
                open,
                Rollup {
                    subject,
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
                            subject: open.subject,
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
pub async fn store(db: &DatabaseConnection, rollups: &[Rollup]) -> Result<(), DbErr> {
    for table in [DEVICE_ROLLUPS, VM_ROLLUPS] {
        let rows: Vec<&Rollup> = rollups
            .iter()
            .filter(|rollup| rollup.subject.stored().0 == table)
            .collect();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new(table.name))
                .columns([
                    Alias::new(table.key),
                    Alias::new("minute"),
                    Alias::new("series"),
                ])
                .on_conflict(
                    OnConflict::columns([Alias::new(table.key), Alias::new("minute")])
                        .update_column(Alias::new("series"))
                        .to_owned(),
                );
            for rollup in chunk {
                let (_, id) = rollup.subject.stored();
                insert
                    .values([
                        id.into(),
                        datetime_of_ms(rollup.minute_ms).into(),
                        encode(&rollup.series).into(),
                    ])
                    .map_err(|error| DbErr::Custom(error.to_string()))?;
            }
            db.execute(db.get_database_backend().build(&insert)).await?;
        }
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
            for table in [DEVICE_ROLLUPS, VM_ROLLUPS] {
                let delete = Query::delete()
                    .from_table(Alias::new(table.name))
                    .and_where(Expr::col(Alias::new("minute")).lt(cutoff))
                    .to_owned();
                match db.execute(db.get_database_backend().build(&delete)).await {
                    Ok(result) if result.rows_affected() > 0 => tracing::info!(
                        table = table.name,
                        rows = result.rows_affected(),
                        "old metric rollups deleted"
                    ),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "cannot delete old metric rollups"),
                }
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

/// The stored minutes of one of `subject`'s series between `from` and `to`, oldest first.
pub async fn series(
    db: &DatabaseConnection,
    subject: Subject,
    metric: &str,
    instance: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<RollupView>, DbErr> {
    let (table, id) = subject.stored();
    let select = Query::select()
        .columns([Alias::new("minute"), Alias::new("series")])
        .from(Alias::new(table.name))
        .and_where(Expr::col(Alias::new(table.key)).eq(id))
        .and_where(Expr::col(Alias::new("minute")).gte(from))
        .and_where(Expr::col(Alias::new("minute")).lt(to))
        .order_by(Alias::new("minute"), Order::Asc)
        .limit(limit)
        .to_owned();
    let rows = db
        .query_all(db.get_database_backend().build(&select))
        .await?;
    let mut minutes = Vec::with_capacity(rows.len());
    for row in rows {
        let minute: DateTime<Utc> = row.try_get("", "minute")?;
        let series: String = row.try_get("", "series")?;
        let Ok(stored) = serde_json::from_str::<Vec<(String, u32, f64, f64, f64, i32)>>(&series)
        else {
            continue;
        };
        if let Some((_, _, min, max, avg, samples)) = stored
            .into_iter()
            .find(|(m, i, ..)| m == metric && *i == instance)
        {
            minutes.push(RollupView {
                minute,
                min,
                max,
                avg,
                samples,
            });
        }
    }
    Ok(minutes)
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
    fn minutes_fold_per_subject_and_come_out_when_finished() {
        let mut buffer = RollupBuffer::default();
        buffer.add(
            Subject::Device(7),
            60_000,
            &[
                point("cpu_percent", 0, 10.0),
                point("interface_in_bps", 3, 5.0),
            ],
        );
        buffer.add(
            Subject::Device(7),
            90_000,
            &[
                point("cpu_percent", 0, 30.0),
                point("cpu_percent", 0, f64::NAN),
            ],
        );
        buffer.add(Subject::Vm(7), 95_000, &[point("cpu_percent", 0, 1.0)]);
        assert!(
            buffer.take_finished(119_999).is_empty(),
            "the minute is still open"
        );
        // Device 7 moves on to the next minute: its first one is finished at once.
        buffer.add(
            Subject::Device(7),
            120_500,
            &[point("cpu_percent", 0, 50.0)],
        );
        let mut finished = buffer.take_finished(121_000);
        finished.sort_by_key(|r| r.subject);
        assert_eq!(finished.len(), 2);
        assert_eq!(finished[0].minute_ms, 60_000);
        let cpu = finished[0].series[0];
        assert_eq!(
            (cpu.min, cpu.max, cpu.avg(), cpu.samples),
            (10.0, 30.0, 20.0, 2)
        );
        assert_eq!(finished[0].series[1].instance, 3);
        assert_eq!(
            finished[1].subject,
            Subject::Vm(7),
            "a VM's series are its own"
        );
        assert_eq!(buffer.take_finished(180_000).len(), 1);
        assert!(buffer.take_finished(240_000).is_empty());
        let encoded = encode(&finished[0].series);
        assert_eq!(
            encoded,
            r#"[["cpu_percent",0,10.0,30.0,20.0,2],["interface_in_bps",3,5.0,5.0,5.0,1]]"#
        );
    }
}
