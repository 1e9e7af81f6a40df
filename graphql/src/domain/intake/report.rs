//! What an import did: counts, and the rows it refused with the reason for each.

use super::row::{Field, FieldError};

/// How many refusals an answer lists; `error_count` counts them all.
pub const MAX_LISTED_ERRORS: usize = 1_000;

/// One refusal: the row (1 is the first account; in a CSV file, the line after the
/// header), the field at fault (`None`: the row as a whole), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub row: u64,
    pub field: Option<Field>,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows_read: u64,
    pub created: u64,
    pub updated: u64,
    /// Rows not written: the bad ones; in an atomic import with any error, every row.
    pub rejected: u64,
    /// Every refusal, listed or not. A row may be refused for several fields.
    pub error_count: u64,
    /// The first [`MAX_LISTED_ERRORS`] refusals, in row order.
    pub errors: Vec<RowError>,
}

impl ImportReport {
    /// Refuses row `row` for `errors` (at least one).
    pub fn reject(&mut self, row: u64, errors: Vec<FieldError>) {
        self.rejected += 1;
        self.error_count += errors.len() as u64;
        let room = MAX_LISTED_ERRORS.saturating_sub(self.errors.len());
        self.errors
            .extend(errors.into_iter().take(room).map(|e| RowError {
                row,
                field: e.field,
                message: e.message,
            }));
    }

    /// An atomic import with errors writes nothing: every row counts as rejected.
    pub fn reject_all(&mut self) {
        self.created = 0;
        self.updated = 0;
        self.rejected = self.rows_read;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_first_errors_and_counts_them_all() {
        let rows = MAX_LISTED_ERRORS as u64 + 10;
        let mut report = ImportReport::default();
        for row in 1..=rows {
            let two_faults = vec![
                FieldError::new(Field::Region, "bad region"),
                FieldError::new(Field::Currency, "bad currency"),
            ];
            report.reject(row, two_faults);
        }
        assert_eq!(report.rejected, rows);
        assert_eq!(report.error_count, 2 * rows);
        assert_eq!(report.errors.len(), MAX_LISTED_ERRORS);
        assert_eq!(
            report.errors.last().unwrap().row,
            MAX_LISTED_ERRORS as u64 / 2
        );
    }
}
