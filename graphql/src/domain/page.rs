//! Keyset pagination over the `id` column: stable under inserts, no OFFSET scans.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::error::AppResult;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Oldest first (ids ascending).
    Ascending,
    /// Newest first (ids descending), as audit logs read.
    Descending,
}

#[derive(Copy, Clone, Debug)]
pub struct PageRequest {
    /// The id of the last row of the previous page.
    pub after: Option<i64>,
    pub limit: u64,
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

/// Fetches one page of `select`, keyed on `id_column`, reading one row more than asked
/// to learn whether another page follows.
pub async fn fetch_page<E, C>(
    conn: &C,
    select: Select<E>,
    id_column: E::Column,
    request: PageRequest,
    direction: Direction,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let select = match (request.after, direction) {
        (Some(after), Direction::Ascending) => select.filter(id_column.gt(after)),
        (Some(after), Direction::Descending) => select.filter(id_column.lt(after)),
        (None, _) => select,
    };
    let select = match direction {
        Direction::Ascending => select.order_by_asc(id_column),
        Direction::Descending => select.order_by_desc(id_column),
    };
    let mut items = select.limit(request.limit + 1).all(conn).await?;
    let has_next_page = items.len() as u64 > request.limit;
    items.truncate(request.limit as usize);
    Ok(Page {
        items,
        has_next_page,
    })
}
