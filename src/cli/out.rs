//! What commands print on stdout. A reader that went away (`agencyflow … | head`) is no
//! error: what is left to print is dropped and the command finishes quietly.

use std::fmt::Display;
use std::io::{self, Write};

use chrono::{DateTime, Utc};

/// Prints `text` and a newline.
pub fn line(text: impl Display) -> anyhow::Result<()> {
    quiet_on_broken_pipe(writeln!(io::stdout().lock(), "{text}"))
}

/// Prints `text` as it is.
pub fn text(text: impl Display) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    quiet_on_broken_pipe(write!(stdout, "{text}").and_then(|()| stdout.flush()))
}

/// `header` and `rows` as columns aligned under it, two spaces apart, one line each.
pub fn table<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> String {
    let mut rows: Vec<[String; N]> = std::iter::once(header.map(str::to_owned))
        .chain(rows)
        .collect();
    let mut widths = [0; N];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter_mut()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:width$}"))
                .collect();
            format!("{}\n", cells.join("  ").trim_end())
        })
        .collect()
}

/// An instant as tables show it, in UTC to the minute; `never` for none.
pub fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or("never".into(), |at| {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    })
}

fn quiet_on_broken_pipe(written: io::Result<()>) -> anyhow::Result<()> {
    match written {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("writing to stdout: {err}"))
        }
        _ => Ok(()),
    }
}
