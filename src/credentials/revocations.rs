//! The revocation log: an append-only text file, one revocation per line, each synced to disk
//! before it is acknowledged.
//!
//! ```text
//! # fgac revocations v1
//! id Jq3v9x0d2Lw8YkQm4TgR7A 2026-11-26T17:00:00Z
//! key ed25519-Vd3m1XbC0a9q 2026-11-26T17:05:00Z
//! ```
//!
//! `id ID TIME` revokes the signed credential whose `jti` is `ID`; `key KID TIME` revokes every
//! credential signed by the signing key `KID`. `TIME` is when it was revoked (RFC 3339, UTC).
//! Lines starting with `#` and blank lines are ignored; ids hold only `A-Z a-z 0-9 . _ ~ -`, so
//! a line needs no escaping and reads as it is. A revocation is appended with one `write` (atomic
//! for appends to a local file, so several processes may append to one log) and then
//! `fdatasync`; the file is created with its directory synced. A last line without its line
//! break is a write that was cut short by a crash before it was acknowledged: it is ignored, and
//! cut off before the next append.

use crate::error::{Diagnostic, Diagnostics, Error, ErrorKind};
use crate::model::Span;
use crate::syntax::json::valid_id;
use crate::time::Timestamp;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What is revoked.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Revocation {
    /// The signed credential with this id (`jti`).
    Credential(String),
    /// Every credential signed by the signing key with this key id (`kid`).
    Key(String),
}

impl Revocation {
    /// The id it names.
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Revocation::Credential(id) | Revocation::Key(id) => id,
        }
    }

    fn word(&self) -> &'static str {
        match self {
            Revocation::Credential(_) => "id",
            Revocation::Key(_) => "key",
        }
    }
}

impl std::fmt::Display for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Revocation::Credential(id) => write!(f, "credential `{id}`"),
            Revocation::Key(kid) => write!(f, "signing key `{kid}`"),
        }
    }
}

const HEADER: &str = "# fgac revocations v1\n";

/// The revocations in a log's text, with the length of the text they come from (the complete
/// lines: a final line without its line break is not counted). Errors carry line and column; as
/// for documents, the first 50 are kept and the rest counted.
pub fn parse_log(text: &str) -> Result<(Vec<Revocation>, usize), Error> {
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    let mut out = Vec::new();
    let mut errors = Diagnostics::default();
    let mut offset = 0;
    for line in text[..complete].split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if body.trim().is_empty() || body.starts_with('#') {
            continue;
        }
        let span = Span::new(start, start + body.len());
        let words: Vec<&str> = body.split(' ').collect();
        let parsed = match words.as_slice() {
            [kind, id, at] if valid_id(id) && at.parse::<Timestamp>().is_ok() => match *kind {
                "id" => Some(Revocation::Credential((*id).to_owned())),
                "key" => Some(Revocation::Key((*id).to_owned())),
                _ => None,
            },
            _ => None,
        };
        match parsed {
            Some(r) => out.push(r),
            None => errors.push(
                Diagnostic::new(ErrorKind::Syntax, span, "not a revocation line").with_help(
                    "a line is `id JTI TIME` or `key KID TIME`, with TIME like 2026-11-26T17:00:00Z",
                ),
            ),
        }
    }
    errors.into_result().map_err(|e| e.with_source(text))?;
    Ok((out, complete))
}

/// An open revocation log, to append to.
#[derive(Debug)]
pub struct RevocationLog {
    path: PathBuf,
    file: File,
}

impl RevocationLog {
    /// Opens the log at `path`, creating it (and syncing its directory) when it does not exist,
    /// and cutting off a last line a crash left without its line break. Returns the log and the
    /// revocations it holds.
    pub fn open(path: &Path) -> Result<(RevocationLog, Vec<Revocation>), LogError> {
        let created = !path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| LogError::io(path, e))?;
        if created {
            file.write_all(HEADER.as_bytes())
                .and_then(|()| file.sync_all())
                .and_then(|()| sync_dir(path))
                .map_err(|e| LogError::io(path, e))?;
        }
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| LogError::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            LogError::io(
                path,
                io::Error::new(io::ErrorKind::InvalidData, "the log is not UTF-8 text"),
            )
        })?;
        let (revocations, complete) = parse_log(&text).map_err(|e| LogError::Format {
            path: path.to_owned(),
            error: e.with_origin(path.display().to_string()),
        })?;
        if complete < text.len() {
            // A torn last line: never acknowledged, so never in force. Cut it off, so that the
            // next line starts on a line of its own.
            file.set_len(complete as u64)
                .and_then(|()| file.sync_all())
                .map_err(|e| LogError::io(path, e))?;
        }
        Ok((
            RevocationLog {
                path: path.to_owned(),
                file,
            },
            revocations,
        ))
    }

    /// Appends `revocation`, made at `at`, and returns once it is on disk. Refuses an id that
    /// is not 1 to 128 of `A-Z a-z 0-9 . _ ~ -` (no credential or key has one, and the line
    /// would not read back).
    pub fn append(&mut self, revocation: &Revocation, at: Timestamp) -> io::Result<()> {
        if !valid_id(revocation.id()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "`{}` is not an id: ids are 1 to 128 of `A-Z a-z 0-9 . _ ~ -`",
                    revocation.id().escape_debug()
                ),
            ));
        }
        let line = format!("{} {} {at}\n", revocation.word(), revocation.id());
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()
    }

    /// The log's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Syncs the directory holding `path`, so that a newly created file's name is on disk.
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Why a revocation log could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Reading, creating or writing it failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The log.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// A line is not a revocation.
    #[error("{error}")]
    Format {
        /// The log.
        path: PathBuf,
        /// The lines at fault.
        error: Error,
    },
}

impl LogError {
    fn io(path: &Path, source: io::Error) -> LogError {
        LogError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_ignores_a_torn_tail() {
        let text = "# fgac revocations v1\nid a1 2026-11-26T17:00:00Z\n\nkey k-2 2026-11-26T17:05:00Z\nid tor";
        let (list, complete) = parse_log(text).unwrap();
        assert_eq!(
            list,
            vec![
                Revocation::Credential("a1".into()),
                Revocation::Key("k-2".into())
            ]
        );
        assert_eq!(&text[complete..], "id tor");
        let err = parse_log("id a1 yesterday\nid b/c 2026-11-26T17:00:00Z\n").unwrap_err();
        assert_eq!(err.diagnostics().len(), 2);
        assert!(err.to_string().contains("not a revocation line"));
    }

    #[test]
    fn appends_survive_reopening_and_a_torn_line_is_cut() {
        let dir = std::env::temp_dir().join(format!("fgac-revlog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("revoked.log");
        let (mut log, list) = RevocationLog::open(&path).unwrap();
        assert!(list.is_empty());
        let at = Timestamp::from_unix_seconds(1_795_651_200);
        log.append(&Revocation::Credential("a1".into()), at)
            .unwrap();
        drop(log);
        // A crash in the middle of the next append.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"key k").unwrap();
        drop(f);
        let (mut log, list) = RevocationLog::open(&path).unwrap();
        assert_eq!(list, vec![Revocation::Credential("a1".into())]);
        log.append(&Revocation::Key("k2".into()), at).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "# fgac revocations v1\nid a1 2026-11-26T00:00:00Z\nkey k2 2026-11-26T00:00:00Z\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
