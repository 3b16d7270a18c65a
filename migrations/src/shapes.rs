//! Column, key and index shapes the migrations share.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// A 64-bit auto-increment primary key.
pub fn id<T: IntoIden>(name: T) -> ColumnDef {
    big_integer(name).auto_increment().primary_key().take()
}

pub fn fk<T: IntoIden + 'static, R: IntoIden + 'static, C: IntoIden>(
    table: T,
    column: C,
    target: R,
    target_id: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(target, target_id)
        .on_delete(on_delete)
        .take()
}

pub fn index<T: IntoIden + Clone + 'static>(
    name: &str,
    table: T,
    columns: &[T],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column.clone());
    }
    index.take()
}
