//! GraphQL `ID`s are the decimal form of the row id.

use async_graphql::ID;

use crate::error::{AppError, AppResult};

pub fn parse(field: &str, id: &ID) -> AppResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::bad_input(field, format!("'{}' is not a valid id", id.as_str())))
}

pub fn to_id(id: i64) -> ID {
    ID(id.to_string())
}
