//! "The column is one of these values" with one bind parameter however long the list:
//! `col = ANY($1)` with an array on PostgreSQL (which also keeps one generic plan), and
//! `col IN (SELECT value FROM json_each(?))` with a JSON array on SQLite. A long list
//! never meets the stores' bind-parameter limits.

use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{BinOper, Expr, ExprTrait, SimpleExpr, Value, sea_value_to_json_value};
use sea_orm::{ColumnTrait, DbBackend};

/// `column` equals one of `values`; false for no values.
pub fn any_of<C, V>(
    backend: DbBackend,
    column: C,
    values: impl IntoIterator<Item = V>,
) -> SimpleExpr
where
    C: ColumnTrait,
    V: Into<Value>,
{
    let values: Vec<Value> = values.into_iter().map(Into::into).collect();
    let Some(first) = values.first() else {
        return Expr::cust("1 = 2");
    };
    let column = Expr::col(column.as_column_ref());
    match backend {
        DbBackend::Postgres => {
            let array = Value::Array(first.array_type(), Some(Box::new(values)));
            column.eq(PgFunc::any(Expr::val(array)))
        }
        _ => {
            let json =
                serde_json::Value::Array(values.iter().map(sea_value_to_json_value).collect());
            column.binary(
                BinOper::In,
                Expr::cust_with_values("SELECT value FROM json_each(?)", [json.to_string()]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use entity::agency::{self, AgencyStatus};
    use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

    use super::*;

    fn sql(backend: DbBackend, values: Vec<AgencyStatus>) -> String {
        agency::Entity::find()
            .filter(any_of(backend, agency::Column::Status, values))
            .build(backend)
            .to_string()
    }

    #[test]
    fn one_parameter_whatever_the_length() {
        let many = vec![AgencyStatus::Active; 10_000];
        let postgres = agency::Entity::find()
            .filter(any_of(
                DbBackend::Postgres,
                agency::Column::Status,
                many.clone(),
            ))
            .build(DbBackend::Postgres);
        assert!(
            postgres
                .sql
                .ends_with(r#"WHERE "agencies"."status" = ANY($1)"#),
            "{}",
            postgres.sql
        );
        assert_eq!(postgres.values.map_or(0, |v| v.0.len()), 1);
        let sqlite = agency::Entity::find()
            .filter(any_of(DbBackend::Sqlite, agency::Column::Status, many))
            .build(DbBackend::Sqlite);
        assert!(
            sqlite
                .sql
                .ends_with(r#"WHERE "agencies"."status" IN (SELECT value FROM json_each(?))"#),
            "{}",
            sqlite.sql
        );
        assert_eq!(sqlite.values.map_or(0, |v| v.0.len()), 1);
    }

    #[test]
    fn the_values_are_bound_as_the_column_stores_them() {
        let statuses = vec![AgencyStatus::Active, AgencyStatus::Probation];
        assert!(
            sql(DbBackend::Sqlite, statuses.clone())
                .contains(r#"json_each('["ACTIVE","PROBATION"]')"#)
        );
        assert!(sql(DbBackend::Postgres, statuses).contains("ANY(ARRAY ['ACTIVE','PROBATION'])"));
        assert!(sql(DbBackend::Sqlite, Vec::new()).ends_with("WHERE 1 = 2"));
    }
}
