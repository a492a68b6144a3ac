//! Reading documents from files through the library's loader: one read, one parse, and the
//! errors printed against the file's text.

use crate::out::{Status, Stop, report};
use fgac::syntax::{Format, Loaded, Reader};
use fgac::{Authorizer, Error};
use std::path::{Path, PathBuf};

/// Whether `path` is `-`: standard input (every command that reads a document takes it).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a path is named in messages: `<stdin>` for `-`.
pub fn name_of(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

/// A file's bytes (standard input's for `-`, at most the library's document limit and one byte
/// more, so that the limit is what refuses it), or a usage error naming it.
pub fn read(path: &Path) -> Result<Vec<u8>, Stop> {
    if is_stdin(path) {
        use std::io::Read as _;
        let most = fgac::Limits::default().max_document_bytes as u64 + 1;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(most)
            .read_to_end(&mut bytes)
            .map_err(|e| Stop::Usage(format!("cannot read standard input: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Stop::Usage(format!("cannot read `{}`: {e}", path.display())))
}

/// The reader for `path`: its format from its name, or from its content for standard input.
pub fn reader_for(path: &Path) -> Reader {
    if is_stdin(path) {
        Reader::new()
    } else {
        Reader::for_path(path)
    }
}

/// The text of a file in `format` for showing its lines: empty for a binary format, whose spans
/// are shown as byte offsets.
pub fn text_of(bytes: &[u8], format: Format) -> String {
    if format.is_binary() {
        String::new()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// A document read and compiled from a file, with its text (for showing rules' lines).
pub struct Compiled {
    /// The file's text (as read; documents are UTF-8).
    pub text: String,
    /// What was read and compiled.
    pub compiled: fgac::Compiled,
}

/// Prints `e` against `path`'s text.
pub fn print_error(path: &Path, e: Error) {
    report(&e.with_origin(name_of(path)).to_string());
}

/// Parses `bytes`, the contents of `path`; prints the errors and returns `None` when it does not
/// parse.
pub fn parse(path: &Path, bytes: &[u8]) -> Option<(String, Loaded)> {
    match reader_for(path).read(bytes) {
        Ok(loaded) => Some((text_of(bytes, loaded.format), loaded)),
        Err(e) => {
            print_error(path, e);
            None
        }
    }
}

/// Reads, parses and compiles `path`: `Err(Status::Failed)` (with the errors printed) when it
/// does not compile.
pub fn compile(path: &Path) -> Result<Result<Compiled, Status>, Stop> {
    Ok(compile_quiet(path)?.map_err(|(_, e)| {
        print_error(path, e);
        Status::Failed
    }))
}

/// Reads, parses and compiles `path`; when it does not compile, its text (empty for a binary
/// document) and the errors, located in it.
pub fn compile_quiet(path: &Path) -> Result<Result<Compiled, (String, Error)>, Stop> {
    Ok(compile_read(path, &read(path)?))
}

/// Compiles `bytes`, read from `path`; when they do not compile, their text (empty for a binary
/// document) and the errors, located in it.
pub fn compile_read(path: &Path, bytes: &[u8]) -> Result<Compiled, (String, Error)> {
    let reader = reader_for(path);
    match Authorizer::builder().reader(reader.clone()).read(bytes) {
        Ok(compiled) => Ok(Compiled {
            text: text_of(bytes, compiled.loaded().format),
            compiled,
        }),
        Err(e) => {
            let format = reader.get_format().unwrap_or(Format::Dsl);
            Err((text_of(bytes, format), e))
        }
    }
}

/// The paths as given, each a file; a directory is searched recursively for files with
/// `extension`. Sorted within each directory.
pub fn files_under(paths: &[PathBuf], extension: &str) -> Vec<Result<PathBuf, Stop>> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(Ok(path.clone()));
            continue;
        }
        let mut found = Vec::new();
        let mut stack = vec![path.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    out.push(Err(Stop::Usage(format!(
                        "cannot read `{}`: {e}",
                        dir.display()
                    ))));
                    continue;
                }
            };
            for entry in entries.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == extension) {
                    found.push(p);
                }
            }
        }
        found.sort();
        out.extend(found.into_iter().map(Ok));
    }
    out
}

/// `file:line:column: source text` of a rule or line, escaped for the terminal.
pub fn located(origin: &str, text: &str, span: fgac::model::Span) -> String {
    if text.is_empty() {
        // A binary document: no lines, only offsets.
        return format!(
            "{}: bytes {}..{}",
            fgac::escape_for_terminal(origin),
            span.start,
            span.end
        );
    }
    let loc = fgac::Location::find(text, span);
    let snippet = text.get(span.start..span.end).unwrap_or_default();
    let snippet = snippet.lines().next().unwrap_or_default().trim();
    format!(
        "{}:{}:{}: {}",
        fgac::escape_for_terminal(origin),
        loc.line,
        loc.column,
        fgac::escape_for_terminal(snippet)
    )
}

/// A time given on the command line: RFC 3339 or epoch seconds.
pub fn time(text: &str) -> Result<fgac::Timestamp, Stop> {
    text.parse().map_err(|e: fgac::TimeError| {
        Stop::Usage(format!("bad time `{text}`: {}; {}", e.message, e.help))
    })
}

/// The time given, or the current time.
pub fn now_or(given: Option<&str>) -> Result<fgac::Timestamp, Stop> {
    given.map_or(Ok(fgac::Timestamp::now()), time)
}

/// The credential `name` of `authz` (read from `file`), or a usage error with did-you-mean.
pub fn credential<'a>(
    authz: &'a Authorizer,
    name: &str,
    file: &Path,
) -> Result<&'a fgac::Credential, Stop> {
    authz
        .credential(name)
        .ok_or_else(|| no_credential(authz, name, file))
}

/// The usage error for a credential `name` that `authz` (read from `file`) does not hold.
pub fn no_credential(authz: &Authorizer, name: &str, file: &Path) -> Stop {
    Stop::Usage(match authz.suggest_credential(name) {
        Some(s) => format!(
            "no credential `{name}` in `{}`; did you mean `{s}`?",
            file.display()
        ),
        None => format!("no credential `{name}` in `{}`", file.display()),
    })
}

/// A signed credential given on the command line, or read from stdin for `-` (so that it
/// stays out of the shell's history); surrounding white space dropped.
pub fn presented(arg: &str) -> Result<String, Stop> {
    if arg != "-" {
        return Ok(arg.trim().to_owned());
    }
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(std::io::stdin(), 1 << 20),
        &mut text,
    )
    .map_err(|e| Stop::Usage(format!("cannot read the credential from stdin: {e}")))?;
    Ok(text.trim().to_owned())
}
