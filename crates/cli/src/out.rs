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
    let _ = io::stderr()
        .lock()
        .write_all(painted_report(text).as_bytes());
}

/// When to colour: `--color auto|always|never`. `auto` colours a stream that is a terminal,
/// unless `NO_COLOR` is set to anything but the empty string (<https://no-color.org>).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Even into a pipe or a file.
    Always,
    /// No colour at all.
    Never,
}

impl Color {
    /// The `--color` of `args`, read before clap parses them (clap's own messages are coloured
    /// or not before the parse is done); `auto` when absent or not a known value.
    pub fn from_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Color {
        let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
        let mut color = Color::Auto;
        while let Some(arg) = args.next() {
            let value = match arg.strip_prefix("--color") {
                Some("") => args.next(),
                Some(v) if v.starts_with('=') => Some(v[1..].to_owned()),
                _ => continue,
            };
            color = match value.as_deref() {
                Some("always") => Color::Always,
                Some("never") => Color::Never,
                _ => Color::Auto,
            };
        }
        color
    }

    /// The same choice for clap (which reads `NO_COLOR` and the terminal itself under `auto`).
    pub fn for_clap(self) -> clap::ColorChoice {
        match self {
            Color::Auto if no_color() => clap::ColorChoice::Never,
            Color::Auto => clap::ColorChoice::Auto,
            Color::Always => clap::ColorChoice::Always,
            Color::Never => clap::ColorChoice::Never,
        }
    }

    /// Whether to colour a stream that is (`terminal`) or is not a terminal.
    fn colours(self, terminal: bool) -> bool {
        match self {
            Color::Auto => terminal && !no_color(),
            Color::Always => true,
            Color::Never => false,
        }
    }
}

/// Whether `NO_COLOR` asks for no colour: set, and not empty.
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Whether stdout and stderr are coloured: set once, from `--color`, before any output.
static COLOURS: std::sync::OnceLock<(bool, bool)> = std::sync::OnceLock::new();

/// Decides, from `choice`, whether stdout and stderr are coloured.
pub fn set_color(choice: Color) {
    use std::io::IsTerminal as _;
    let _ = COLOURS.set((
        choice.colours(io::stdout().is_terminal()),
        choice.colours(io::stderr().is_terminal()),
    ));
}

/// What a coloured word means.
#[derive(Clone, Copy)]
pub enum Paint {
    /// A passed test.
    Pass,
    /// A failed test, an error.
    Fail,
    /// A warning.
    Warn,
    /// A help line, a location.
    Note,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Pass => "\x1b[32m",
            Paint::Fail => "\x1b[1;31m",
            Paint::Warn => "\x1b[1;33m",
            Paint::Note => "\x1b[36m",
        }
    }
}

/// `word` painted for stdout, or as it is when stdout is not coloured.
pub fn paint(paint: Paint, word: &str) -> String {
    if COLOURS.get().is_some_and(|c| c.0) {
        format!("{}{word}\x1b[0m", paint.code())
    } else {
        word.to_owned()
    }
}

/// Colours the words a rendered report starts its lines with (`error`, `warning`, `help`,
/// `-->`), when stderr is coloured. The text itself was escaped before: the only escape
/// sequences in the result are these.
fn painted_report(text: &str) -> std::borrow::Cow<'_, str> {
    if !COLOURS.get().is_some_and(|c| c.1) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let word = [
            ("error", Paint::Fail),
            ("warning", Paint::Warn),
            ("help", Paint::Note),
            ("-->", Paint::Note),
        ]
        .into_iter()
        .find(|(w, _)| trimmed.starts_with(w) && trimmed[w.len()..].starts_with([':', '[', ' ']));
        match word {
            Some((w, p)) => {
                out.push_str(indent);
                out.push_str(p.code());
                out.push_str(w);
                out.push_str("\x1b[0m");
                out.push_str(&trimmed[w.len()..]);
            }
            None => out.push_str(line),
        }
    }
    std::borrow::Cow::Owned(out)
}
