//! The rows an import refused, as a CSV file of their own: the file's header and each
//! refused line as it was sent, with a last column saying why, so that a person can fix
//! them and send that file again. National IDs are left out (never stored, not even
//! here), and the file is bounded in size.

use std::io::{Read, Seek};

use super::report::RowError;
use super::row::Field;

/// The most bytes kept; the refused rows after that are counted, not copied.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// The refused rows of `file` (rewound first: the import read it through), `None` when
/// none was refused or the file can no longer be read.
pub fn rejected_rows<F: Read + Seek>(mut file: F, errors: &[RowError]) -> Option<String> {
    if errors.is_empty() {
        return None;
    }
    file.rewind().ok()?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(file);
    let mut records = reader.records();
    let mut header: Vec<String> = records.next()?.ok()?.iter().map(str::to_owned).collect();
    let national_id = header.iter().position(|name| {
        name.trim()
            .eq_ignore_ascii_case(Field::NationalId.csv_column())
    });
    header.push("error".to_owned());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).ok()?;
    let mut wanted = errors.iter().peekable();
    for (index, record) in records.enumerate() {
        let row = index as u64 + 1;
        let reasons: Vec<String> = std::iter::from_fn(|| wanted.next_if(|e| e.row == row))
            .map(|e| match e.field {
                Some(field) => format!("{}: {}", field.csv_column(), e.message),
                None => e.message.clone(),
            })
            .collect();
        if !reasons.is_empty() {
            let mut cells: Vec<String> =
                record.map_or_else(|_| Vec::new(), |r| r.iter().map(str::to_owned).collect());
            if let Some(cell) = national_id.and_then(|i| cells.get_mut(i)) {
                cell.clear();
            }
            cells.push(reasons.join("; "));
            writer.write_record(&cells).ok()?;
            // The writer buffers: what it holds counts once flushed into the Vec.
            writer.flush().ok()?;
            if writer.get_ref().len() > MAX_BYTES {
                break;
            }
        }
        if wanted.peek().is_none() {
            break;
        }
    }
    String::from_utf8(writer.into_inner().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn error(row: u64, field: Option<Field>, message: &str) -> RowError {
        RowError {
            row,
            field,
            message: message.to_owned(),
        }
    }

    #[test]
    fn the_refused_rows_come_back_with_their_reasons_and_without_national_ids() {
        let file = Cursor::new(
            "lender_reference,National_ID,region\nA,111-22-3333,US-TX\nB,222,US-XX\nC,333,UK\n",
        );
        let csv = rejected_rows(
            file,
            &[
                error(2, Some(Field::Region), "unknown region"),
                error(2, Some(Field::NationalId), "too short"),
                error(3, None, "repeats row 1"),
            ],
        )
        .unwrap();
        assert_eq!(
            csv,
            "lender_reference,National_ID,region,error\n\
             B,,US-XX,region: unknown region; national_id: too short\n\
             C,,UK,repeats row 1\n"
        );
    }

    #[test]
    fn nothing_refused_means_nothing_to_download() {
        assert_eq!(rejected_rows(Cursor::new("a,b\n1,2\n"), &[]), None);
    }

    #[test]
    fn the_copy_stops_at_its_size_bound() {
        let line = "x".repeat(1000);
        let mut text = "lender_reference\n".to_owned();
        let rows = 2 * MAX_BYTES / 1000;
        for _ in 0..rows {
            text.push_str(&line);
            text.push('\n');
        }
        let errors: Vec<_> = (1..=rows as u64).map(|r| error(r, None, "bad")).collect();
        let csv = rejected_rows(Cursor::new(text), &errors).unwrap();
        assert!(
            csv.len() > MAX_BYTES && csv.len() < MAX_BYTES + 2000,
            "{}",
            csv.len()
        );
    }
}
