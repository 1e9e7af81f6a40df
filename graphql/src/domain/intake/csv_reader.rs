//! Accounts from a CSV file: a header line naming the columns (in any order, see
//! [`Field::csv_column`]), then one account per line. Lists (phones, flags) are
//! separated by `;`. The file is read on a blocking thread and handed over in chunks of
//! rows through a small channel, and no line may exceed [`MAX_LINE_BYTES`], so a file of
//! any size is read in constant memory.

use std::io::{self, Read};
use std::str::FromStr;

use chrono::NaiveDate;
use csv::{ErrorKind, StringRecord, Trim};
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, IntoDeserializer};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::row::{AccountFields, Field, FieldError, Row};
use crate::error::{AppError, AppResult};

/// The field the whole file is blamed on when its header is wrong.
const FILE: &str = "file";

/// The longest line read. The CSV reader holds a whole record in memory, so a file
/// without line breaks (or a binary one) would otherwise be held whole.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Passes bytes on while no line is longer than [`MAX_LINE_BYTES`].
struct BoundedLines<R> {
    inner: R,
    /// Bytes since the last line break.
    line: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("a line is longer than {MAX_LINE_BYTES} bytes")]
struct LineTooLong;

impl<R: Read> Read for BoundedLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // The first piece continues the current line; each later one starts a new line.
        let mut pieces = buf[..n].split(|b| *b == b'\n');
        let mut line = self.line + pieces.next().map_or(0, <[u8]>::len);
        let mut longest = line;
        for piece in pieces {
            line = piece.len();
            longest = longest.max(line);
        }
        self.line = line;
        if longest > MAX_LINE_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, LineTooLong));
        }
        Ok(n)
    }
}

/// Why the file as a whole cannot be read further: an over-long line is the file's
/// fault, anything else (the upload's storage failing) is internal.
fn file_failure(err: &csv::Error) -> AppError {
    match err.kind() {
        ErrorKind::Io(io) if io.get_ref().is_some_and(|e| e.is::<LineTooLong>()) => {
            AppError::bad_input(
                FILE,
                format!("a line is longer than {MAX_LINE_BYTES} bytes"),
            )
        }
        _ => AppError::Internal(anyhow::anyhow!("reading an upload: {err}")),
    }
}

/// Where each field's column is in the file.
#[derive(Debug)]
struct Columns([Option<usize>; Field::ALL.len()]);

impl Columns {
    /// Column names are matched without regard to case or surrounding spaces. An unknown
    /// or repeated column, or a missing required one, refuses the whole file.
    fn from_header(header: &StringRecord) -> AppResult<Self> {
        if header.iter().all(str::is_empty) {
            return Err(AppError::bad_input(
                FILE,
                "the file is empty: its first line names the columns",
            ));
        }
        let mut columns = [None; Field::ALL.len()];
        for (index, name) in header.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            let field = Field::ALL
                .iter()
                .position(|f| f.csv_column() == name)
                .ok_or_else(|| {
                    AppError::bad_input(FILE, format!("unknown column '{name}' in the header"))
                })?;
            if columns[field].replace(index).is_some() {
                return Err(AppError::bad_input(
                    FILE,
                    format!("the column '{name}' appears twice in the header"),
                ));
            }
        }
        let missing: Vec<_> = Field::ALL
            .iter()
            .zip(columns)
            .filter(|(field, column)| field.is_required() && column.is_none())
            .map(|(field, _)| field.csv_column())
            .collect();
        if !missing.is_empty() {
            return Err(AppError::bad_input(
                FILE,
                format!("the header lacks the columns {}", missing.join(", ")),
            ));
        }
        Ok(Self(columns))
    }
}

/// One record's cells, and the faults found reading them.
struct Cells<'r> {
    columns: &'r Columns,
    record: &'r StringRecord,
    faults: Vec<FieldError>,
}

impl<'r> Cells<'r> {
    /// The cell of `field`, `None` when the column is absent or the cell empty.
    fn optional(&self, field: Field) -> Option<&'r str> {
        let index = Field::ALL.iter().position(|f| *f == field)?;
        self.columns.0[index]
            .and_then(|column| self.record.get(column))
            .filter(|cell| !cell.is_empty())
    }

    fn required(&mut self, field: Field) -> Option<&'r str> {
        let cell = self.optional(field);
        if cell.is_none() {
            self.faults.push(FieldError::new(field, "required"));
        }
        cell
    }

    fn text(&mut self, field: Field) -> Option<String> {
        self.required(field).map(str::to_owned)
    }

    fn parsed<T>(&mut self, field: Field, parse: fn(&str) -> Result<T, String>) -> Option<T> {
        let cell = self.required(field)?;
        self.parse(field, cell, parse)
    }

    /// `Some(None)` for an empty cell, `None` for a cell that does not parse.
    fn parsed_optional<T>(
        &mut self,
        field: Field,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.optional(field) {
            None => Some(None),
            Some(cell) => self.parse(field, cell, parse).map(Some),
        }
    }

    /// The `;`-separated items of the cell of `field`.
    fn list<T>(&mut self, field: Field, parse: fn(&str) -> Result<T, String>) -> Option<Vec<T>> {
        let items = self.optional(field).unwrap_or_default().split(';');
        items
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| self.parse(field, item, parse))
            .collect()
    }

    fn parse<T>(
        &mut self,
        field: Field,
        text: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        parse(text)
            .map_err(|message| self.faults.push(FieldError::new(field, message)))
            .ok()
    }
}

fn verbatim(text: &str) -> Result<String, String> {
    Ok(text.to_owned())
}

/// A SCREAMING_CASE name of a stored enum, in any case.
fn name<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    T::deserialize(text.to_ascii_uppercase().into_deserializer())
        .map_err(|err: serde::de::value::Error| err.to_string())
}

fn decimal(text: &str) -> Result<Decimal, String> {
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_str(text))
        .map_err(|_| format!("'{text}' is not a decimal number such as 1234.56"))
}

fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date such as 2026-09-01"))
}

/// Reads the cells of one record into an account, or reports each cell that is
/// missing or unreadable.
fn account(columns: &Columns, record: &StringRecord) -> Result<AccountFields, Vec<FieldError>> {
    let mut cells = Cells {
        columns,
        record,
        faults: Vec::new(),
    };
    let lender_reference = cells.text(Field::LenderReference);
    let debtor_name = cells.text(Field::DebtorName);
    let phones = cells.list(Field::Phones, verbatim);
    let email = cells.optional(Field::Email).map(str::to_owned);
    let national_id = cells.optional(Field::NationalId).map(str::to_owned);
    let region = cells.text(Field::Region);
    let time_zone = cells.text(Field::TimeZone);
    let product = cells.parsed(Field::Product, name);
    let principal = cells.parsed(Field::Principal, decimal);
    let outstanding = cells.parsed(Field::Outstanding, decimal);
    let currency = cells.text(Field::Currency);
    let delinquency_start = cells.parsed(Field::DelinquencyStart, date);
    let charge_off_date = cells.parsed_optional(Field::ChargeOffDate, date);
    let flags = cells.list(Field::Flags, name);
    let account = (|| {
        Some(AccountFields {
            lender_reference: lender_reference?,
            debtor_name: debtor_name?,
            phones: phones?,
            email,
            national_id,
            region: region?,
            time_zone: time_zone?,
            product: product?,
            principal: principal?,
            outstanding: outstanding?,
            currency: currency?,
            delinquency_start: delinquency_start?,
            charge_off_date: charge_off_date?,
            flags: flags?,
        })
    })();
    match account {
        Some(account) if cells.faults.is_empty() => Ok(account),
        _ => Err(cells.faults),
    }
}

/// A CSV file whose header has been read and found good.
pub struct CsvAccounts<R> {
    reader: csv::Reader<BoundedLines<R>>,
    columns: Columns,
}

/// Reads and checks the header of `source`.
pub async fn open<R: Read + Send + 'static>(source: R) -> AppResult<CsvAccounts<R>> {
    tokio::task::spawn_blocking(move || {
        let mut reader = csv::ReaderBuilder::new()
            .trim(Trim::All)
            .from_reader(BoundedLines {
                inner: source,
                line: 0,
            });
        let header = reader.headers().map_err(|err| match err.kind() {
            ErrorKind::Utf8 { .. } => AppError::bad_input(FILE, "the header is not UTF-8 text"),
            _ => file_failure(&err),
        })?;
        let columns = Columns::from_header(header)?;
        Ok(CsvAccounts { reader, columns })
    })
    .await
    .map_err(|err| AppError::Internal(anyhow::anyhow!("the CSV reader failed: {err}")))?
}

impl<R: Read + Send + 'static> CsvAccounts<R> {
    /// Starts reading the records on a blocking thread, `size` rows per chunk.
    pub fn chunks(self, size: usize) -> Chunks {
        // One chunk waits while the next is read and another is written.
        let (sender, receiver) = mpsc::channel(1);
        let reader = tokio::task::spawn_blocking(move || self.read(size, &sender));
        Chunks {
            receiver,
            reader: Some(reader),
        }
    }

    fn read(mut self, size: usize, sender: &mpsc::Sender<AppResult<Vec<Row>>>) {
        let mut record = StringRecord::new();
        let mut chunk = Vec::with_capacity(size);
        let mut number = 0;
        loop {
            let account = match self.reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => account(&self.columns, &record),
                Err(err) => match record_fault(&err) {
                    Some(fault) => Err(vec![fault]),
                    None => {
                        // Nobody to tell if the import has stopped already.
                        let _ = sender.blocking_send(Err(file_failure(&err)));
                        return;
                    }
                },
            };
            number += 1;
            chunk.push(Row { number, account });
            if chunk.len() == size {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(size));
                if sender.blocking_send(Ok(full)).is_err() {
                    return; // the import stopped: read no further
                }
            }
        }
        if !chunk.is_empty() {
            let _ = sender.blocking_send(Ok(chunk));
        }
    }
}

/// A fault of one record the reader can go on after; `None` for a failure of the file.
fn record_fault(err: &csv::Error) -> Option<FieldError> {
    let message = match err.kind() {
        ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the line has {len} fields, the header {expected_len}"),
        ErrorKind::Utf8 { .. } => "the line is not UTF-8 text".to_owned(),
        _ => return None,
    };
    Some(FieldError {
        field: None,
        message,
    })
}

/// The chunks of rows of a file, in order.
pub struct Chunks {
    receiver: mpsc::Receiver<AppResult<Vec<Row>>>,
    reader: Option<JoinHandle<()>>,
}

impl Chunks {
    /// The next chunk, or `None` after the last. A reader that died is an error, never
    /// a silent end of the file.
    pub async fn next(&mut self) -> AppResult<Option<Vec<Row>>> {
        if let Some(chunk) = self.receiver.recv().await {
            return chunk.map(Some);
        }
        if let Some(reader) = self.reader.take() {
            reader.await.map_err(|err| {
                AppError::Internal(anyhow::anyhow!("the CSV reader failed: {err}"))
            })?;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::account::{AccountFlag, Product};

    const HEADER: &str = "lender_reference,debtor_name,phones,email,national_id,region,\
        time_zone,product,principal,outstanding,currency,delinquency_start,charge_off_date,flags";

    async fn rows(text: &str, size: usize) -> AppResult<Vec<Vec<Row>>> {
        let mut chunks = open(std::io::Cursor::new(text.as_bytes().to_vec()))
            .await?
            .chunks(size);
        let mut all = Vec::new();
        while let Some(chunk) = chunks.next().await? {
            all.push(chunk);
        }
        Ok(all)
    }

    fn header_error(result: AppResult<Vec<Vec<Row>>>) -> String {
        match result {
            Err(AppError::BadUserInput { message, field }) => {
                assert_eq!(field.as_deref(), Some(FILE));
                message
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("the header was accepted"),
        }
    }

    fn faults(row: &Row) -> Vec<(Option<Field>, String)> {
        match &row.account {
            Ok(_) => vec![],
            Err(errors) => errors
                .iter()
                .map(|e| (e.field, e.message.clone()))
                .collect(),
        }
    }

    #[tokio::test]
    async fn reads_every_column_in_chunks() {
        let line = "ACC-1, Pat Doe ,+15125550100;+15125550101,pat@example.com,123-45-6789,\
            US-TX,America/Chicago,card,1500.00,1234.56,USD,2026-09-01,2026-11-01,disputed;VULNERABLE";
        let text = format!("\u{feff}{HEADER}\n{line}\n{line}\n\n{line}\n");
        let chunks = rows(&text, 2).await.unwrap();
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(chunks[1][0].number, 3);
        let Ok(account) = &chunks[0][0].account else {
            panic!("{:?}", faults(&chunks[0][0]));
        };
        assert_eq!(account.lender_reference, "ACC-1");
        assert_eq!(account.debtor_name, "Pat Doe");
        assert_eq!(account.phones, vec!["+15125550100", "+15125550101"]);
        assert_eq!(account.national_id.as_deref(), Some("123-45-6789"));
        assert_eq!(account.product, Product::Card);
        assert_eq!(account.principal, Decimal::new(150_000, 2));
        assert_eq!(
            account.charge_off_date,
            NaiveDate::from_ymd_opt(2026, 11, 1)
        );
        assert_eq!(
            account.flags,
            vec![AccountFlag::Disputed, AccountFlag::Vulnerable]
        );
    }

    #[tokio::test]
    async fn columns_come_in_any_order_and_optional_ones_may_be_absent() {
        let text = "Currency,PRINCIPAL,outstanding,lender_reference,debtor_name,region,time_zone,\
            product,delinquency_start\nUSD,10,5,A-1,Pat,UK,Europe/London,BNPL,2026-01-31\n";
        let chunks = rows(text, 10).await.unwrap();
        let Ok(account) = &chunks[0][0].account else {
            panic!("{:?}", faults(&chunks[0][0]));
        };
        assert_eq!(account.currency, "USD");
        assert!(account.phones.is_empty() && account.flags.is_empty());
        assert!(account.national_id.is_none() && account.charge_off_date.is_none());
    }

    #[tokio::test]
    async fn a_bad_header_refuses_the_file() {
        assert!(header_error(rows("", 10).await).contains("empty"));
        let unknown = format!("{HEADER},notes\n");
        assert!(header_error(rows(&unknown, 10).await).contains("'notes'"));
        let twice = format!("{HEADER},email\n");
        assert!(header_error(rows(&twice, 10).await).contains("twice"));
        let missing = "lender_reference,debtor_name\n";
        let message = header_error(rows(missing, 10).await);
        assert!(message.contains("region") && message.contains("delinquency_start"));
        assert!(!message.contains("phones"));
    }

    #[tokio::test]
    async fn bad_cells_and_lines_are_reported_and_reading_goes_on() {
        let good = "A-1,Pat,,,,UK,Europe/London,CARD,10,5,GBP,2026-01-31,,";
        let text = format!(
            "{HEADER}\n\
            A-2,,,,,UK,Europe/London,SOFA,ten,5,GBP,31/01/2026,,SAD\n\
            A-3,Pat,UK\n\
            {good}\n"
        );
        let chunks = rows(&text, 10).await.unwrap();
        let rows = &chunks[0];
        assert_eq!(rows.len(), 3);
        let fields: Vec<_> = faults(&rows[0]).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                Some(Field::DebtorName),
                Some(Field::Product),
                Some(Field::Principal),
                Some(Field::DelinquencyStart),
                Some(Field::Flags),
            ]
        );
        assert!(faults(&rows[0])[1].1.contains("expected one of"));
        assert_eq!(
            faults(&rows[1]),
            vec![(None, "the line has 3 fields, the header 14".to_owned())]
        );
        assert!(rows[2].account.is_ok());
    }

    #[tokio::test]
    async fn an_over_long_line_refuses_the_file() {
        let good = "A-1,Pat,,,,UK,Europe/London,CARD,10,5,GBP,2026-01-31,,";
        let long = format!("{good}{}", " ".repeat(MAX_LINE_BYTES));
        let in_the_body = format!("{HEADER}\n{good}\n{long}\n");
        assert!(header_error(rows(&in_the_body, 10).await).contains("longer than"));
        let no_line_breaks = "x".repeat(3 * MAX_LINE_BYTES);
        assert!(header_error(rows(&no_line_breaks, 10).await).contains("longer than"));
        // Many lines just under the limit pass.
        let near = format!("{good}{}", " ".repeat(MAX_LINE_BYTES - good.len() - 1));
        let text = format!("{HEADER}\n{near}\n{near}\n{near}\n");
        assert_eq!(rows(&text, 10).await.unwrap()[0].len(), 3);
    }

    #[tokio::test]
    async fn a_line_that_is_not_utf8_is_one_bad_row() {
        let mut bytes = format!("{HEADER}\n").into_bytes();
        bytes.extend_from_slice(b"A-1,P\xffat,,,,UK,Europe/London,CARD,10,5,GBP,2026-01-31,,\n");
        bytes.extend_from_slice(b"A-2,Pat,,,,UK,Europe/London,CARD,10,5,GBP,2026-01-31,,\n");
        let mut chunks = open(std::io::Cursor::new(bytes)).await.unwrap().chunks(10);
        let rows = chunks.next().await.unwrap().unwrap();
        assert_eq!(
            faults(&rows[0]),
            vec![(None, "the line is not UTF-8 text".to_owned())]
        );
        assert!(rows[1].account.is_ok());
    }
}
