//! What commands print on stdout. A reader that went away (`agencyflow … | head`) is no
//! error: what is left to print is dropped and the command finishes quietly.

use std::fmt::Display;
use std::io::{self, Write};

/// Prints `text` and a newline.
pub fn line(text: impl Display) -> anyhow::Result<()> {
    quiet_on_broken_pipe(writeln!(io::stdout().lock(), "{text}"))
}

/// Prints `text` as it is.
pub fn text(text: impl Display) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    quiet_on_broken_pipe(write!(stdout, "{text}").and_then(|()| stdout.flush()))
}

fn quiet_on_broken_pipe(written: io::Result<()>) -> anyhow::Result<()> {
    match written {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("writing to stdout: {err}"))
        }
        _ => Ok(()),
    }
}
