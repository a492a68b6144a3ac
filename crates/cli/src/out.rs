//! Where the command line writes: stdout through [`say!`], which stops quietly when the reader
//! has gone (a closed pipe), and stderr through [`report`], which never fails.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

/// How a command ended, worst last: several files each get one, and the command exits with the
/// worst.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Everything passed.
    #[default]
    Ok,
    /// `fgac test` found no test to run (a mistyped path must not pass CI).
    NoTests,
    /// A document has errors, a test failed, or `fmt --check` found a file to reformat.
    Failed,
    /// The command itself is wrong (a missing file, an unknown operation or credential, a bad
    /// time).
    Usage,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Ok => 0,
            Status::Failed => 1,
            Status::Usage => 2,
            Status::NoTests => 3,
        })
    }
}

/// Why a command stopped before it was done.
pub enum Stop {
    /// A usage error: one line on stderr, exit 2.
    Usage(String),
    /// Stdout could not be written.
    Output(io::Error),
}

/// Writes one line to stdout. A reader that has gone away (`fgac ... | head -1`) ends the
/// command quietly: see `main`.
pub fn line(args: fmt::Arguments<'_>) -> Result<(), Stop> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(Stop::Output)
}

/// Writes `text` to stdout as it is (for whole documents).
pub fn text(text: &str) -> Result<(), Stop> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Stop::Output)
}

/// Writes binary output to stdout, which must not be a terminal: bytes that are not text would
/// reach it as control sequences.
pub fn binary(bytes: &[u8]) -> Result<(), Stop> {
    use std::io::IsTerminal as _;
    let mut out = io::stdout().lock();
    if out.is_terminal() {
        return Err(Stop::Usage(
            "the output is binary and stdout is a terminal; redirect it to a file".to_owned(),
        ));
    }
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(Stop::Output)
}

/// Writes a line to stdout: `say!("{x} passed")?`.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes `text` to stderr; a closed stderr is ignored (there is nowhere left to say so).
pub fn report(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}
