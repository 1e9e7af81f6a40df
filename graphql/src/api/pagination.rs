//! Relay connections over keyset cursors, with a default and a maximum page size.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, OutputType};

use super::context::settings;
use crate::domain::page::{Page, PageRequest};
use crate::error::{AppError, AppResult};

pub type Cursor = OpaqueCursor<i64>;

pub fn page_request(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
) -> AppResult<PageRequest> {
    let (after, limit) = page_request_with(ctx, first, after, |cursor| {
        Cursor::decode_cursor(cursor)
            .map(|c| c.0)
            .map_err(|_| AppError::bad_input("after", "not a cursor this API issued"))
    })?;
    Ok(PageRequest { after, limit })
}

/// The page size (`first`, within the limits) and the decoded `after` cursor, for
/// connections keyed on something other than an id.
pub fn page_request_with<K>(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    decode: impl Fn(&str) -> AppResult<K>,
) -> AppResult<(Option<K>, u64)> {
    let settings = settings(ctx);
    let limit = match first {
        None => settings.default_page_size,
        Some(n) if n >= 1 && (n as u64) <= settings.max_page_size => n as u64,
        Some(n) => {
            return Err(AppError::bad_input(
                "first",
                format!(
                    "first must be between 1 and {}, got {n}",
                    settings.max_page_size
                ),
            ));
        }
    };
    let after = after.map(|cursor| decode(&cursor)).transpose()?;
    Ok((after, limit))
}

pub fn connection<T, N: OutputType>(
    page: Page<T>,
    id: impl Fn(&T) -> i64,
    node: impl Fn(T) -> AppResult<N>,
) -> AppResult<Connection<Cursor, N>> {
    let mut connection = Connection::new(false, page.has_next_page);
    connection.edges = page
        .items
        .into_iter()
        .map(|item| Ok(Edge::new(OpaqueCursor(id(&item)), node(item)?)))
        .collect::<AppResult<_>>()?;
    Ok(connection)
}
