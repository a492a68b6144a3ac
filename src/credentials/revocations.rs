//! The revocation log: an append-only text file, one revocation per line, each synced to disk
//! before it is acknowledged.
//!
//! ```text
//! # fgac revocations v2
//! id Jq3v9x0d2Lw8YkQm4TgR7A 2026-11-26T17:00:00Z 2026-12-26T17:00:00Z
//! key ed25519-Vd3m1XbC0a9q 2026-11-26T17:05:00Z never
//! ```
//!
//! `id ID AT UNTIL` revokes the signed credential whose `jti` is `ID`, with its later generations
//! and everything minted from them ([`lineage`](super::lineage)); `key KID AT UNTIL` revokes every
//! credential signed by the signing key `KID`. `AT` is when it was revoked; `UNTIL` is when
//! everything it covers has expired (RFC 3339, or `never` when that is not known), after which
//! the line may be compacted away. A line of the first version of the log, `id ID AT`, is read as
//! `UNTIL` never. Lines starting with `#` and blank lines are ignored; ids hold only
//! `A-Z a-z 0-9 . _ ~ -`, so a line needs no escaping.
//!
//! The contract (what acknowledges a revocation, what happens to a moved, truncated, torn or
//! locked log, and compaction) is in the guide's "The revocation log: its contract"
//! (`docs/src/signed-credentials.md`); the file handling is [`linefile`](super::linefile)'s.

use super::claims::valid_id;
use super::lineage;
use super::linefile::{self, Identity};
use crate::error::{Diagnostic, Diagnostics, Error, ErrorKind};
use crate::model::{Expiry, Span};
use crate::time::Timestamp;
use smallvec::SmallVec;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

/// What is revoked.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Revocation {
    /// The signed credential with this id (`jti`), its later generations (refreshed successors)
    /// and everything minted from them.
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

/// One line of the log: what was revoked, when, and until when it matters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RevocationRecord {
    /// What is revoked.
    pub revocation: Revocation,
    /// When it was revoked.
    pub at: Timestamp,
    /// When everything it covers has expired: from then on it decides nothing and may be
    /// compacted away. [`Expiry::Never`] when that is not known.
    pub until: Expiry,
}

impl RevocationRecord {
    /// A revocation made at `at` that stays in force for good (what is revoked may never
    /// expire, or its expiry is not known).
    #[must_use]
    pub fn forever(revocation: Revocation, at: Timestamp) -> RevocationRecord {
        RevocationRecord {
            revocation,
            at,
            until: Expiry::Never,
        }
    }

    /// The line for the log (with its line break), as [`parse_log`] reads it back: also what a
    /// fleet's shared store holds for each revocation. Refuses an id that is not 1 to 128 of
    /// `A-Z a-z 0-9 . _ ~ -` (no credential or key has one, and the line would not read back).
    pub fn line(&self) -> Result<String, LogError> {
        let id = self.revocation.id();
        if !valid_id(id) {
            return Err(LogError::BadId(id.to_owned()));
        }
        Ok(format!(
            "{} {id} {} {}\n",
            self.revocation.word(),
            self.at,
            until_word(self.until)
        ))
    }

    /// Whether it still decides anything at `now`, given `margin` seconds for clocks that
    /// disagree: false once everything it covers has been expired for `margin` seconds.
    #[must_use]
    pub fn in_force(&self, now: Timestamp, margin: u64) -> bool {
        match self.until {
            Expiry::Never => true,
            Expiry::At(t) => now < t.saturating_add(margin),
        }
    }
}

fn until_word(until: Expiry) -> String {
    match until {
        Expiry::Never => "never".to_owned(),
        Expiry::At(t) => t.to_string(),
    }
}

/// The header of a log written by this version.
pub(crate) const HEADER: &str = "# fgac revocations v2\n";

/// How long after everything a revocation covers has expired it is kept, for clocks that
/// disagree ([`MAX_LEEWAY_SECONDS`](super::MAX_LEEWAY_SECONDS)): a compaction on a machine
/// whose clock is ahead never drops what a machine whose clock is behind still needs.
pub const COMPACTION_MARGIN_SECONDS: u64 = super::trust::MAX_LEEWAY_SECONDS;

/// The revocations in a log's text, and the length of the text they come from (its complete
/// lines: a final line without its line break was never acknowledged and is not counted).
/// Errors carry line and column; as for documents, the first 50 are kept and the rest counted.
pub fn parse_log(text: &str) -> Result<(Vec<RevocationRecord>, usize), Error> {
    let (records, complete, errors) = parse_lines(text);
    errors.into_result().map_err(|e| e.with_source(text))?;
    Ok((records, complete))
}

/// Every revocation of `text`'s complete lines, with the diagnostics of the lines that are not
/// revocations.
fn parse_lines(text: &str) -> (Vec<RevocationRecord>, usize, Diagnostics) {
    let complete = linefile::complete_len(text.as_bytes());
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
        match parse_line(body) {
            Some(r) => out.push(r),
            None => errors.push(
                Diagnostic::new(
                    ErrorKind::Syntax,
                    Span::new(start, start + body.len()),
                    "not a revocation line",
                )
                .with_help(
                    "a line is `id JTI AT UNTIL` or `key KID AT UNTIL`, with AT like 2026-11-26T17:00:00Z and UNTIL such a time or `never`",
                ),
            ),
        }
    }
    (out, complete, errors)
}

fn parse_line(body: &str) -> Option<RevocationRecord> {
    let words: Vec<&str> = body.split(' ').collect();
    let (kind, id, at, until) = match words.as_slice() {
        [kind, id, at] => (*kind, *id, *at, "never"),
        [kind, id, at, until] => (*kind, *id, *at, *until),
        _ => return None,
    };
    if !valid_id(id) {
        return None;
    }
    let at: Timestamp = at.parse().ok()?;
    let until = match until {
        "never" => Expiry::Never,
        t => Expiry::At(t.parse().ok()?),
    };
    let revocation = match kind {
        "id" => Revocation::Credential(id.to_owned()),
        "key" => Revocation::Key(id.to_owned()),
        _ => return None,
    };
    Some(RevocationRecord {
        revocation,
        at,
        until,
    })
}

/// The writers' lock of the line file at `path` (the revocation log, the issuance ledger).
pub(crate) fn lock(path: &Path) -> Result<linefile::Locked, LogError> {
    linefile::lock(path).map_err(|e| LogError::io(path, e))
}

/// The complete lines of the line file at `path`: [`LogError::Missing`] when there is none.
pub(crate) fn read_existing(path: &Path) -> Result<Vec<u8>, LogError> {
    linefile::read_complete(path)
        .map_err(|e| LogError::io(path, e))?
        .map(|(bytes, _)| bytes)
        .ok_or_else(|| LogError::Missing(path.to_owned()))
}

/// Appends `lines` to the existing line file at `path` under its lock (a torn last line cut
/// off first); with `sync`, returns once they are on disk. [`LogError::Missing`] when there is
/// no file: a missing file is never created by an append.
pub(crate) fn append_existing(path: &Path, lines: &str, sync: bool) -> Result<(), LogError> {
    let locked = lock(path)?;
    if Identity::of(path)
        .map_err(|e| LogError::io(path, e))?
        .is_none()
    {
        return Err(LogError::Missing(path.to_owned()));
    }
    locked
        .append(lines, sync)
        .map_err(|e| LogError::io(path, e))?;
    Ok(())
}

/// Rewrites the existing line file at `path`, under its lock, as `rewrite` makes it from its
/// complete lines: written beside it, synced and renamed over it.
pub(crate) fn rewrite<R>(
    path: &Path,
    rewrite: impl FnOnce(&[u8]) -> Result<(String, R), LogError>,
) -> Result<R, LogError> {
    let locked = lock(path)?;
    let bytes = read_existing(path)?;
    let (text, out) = rewrite(&bytes)?;
    locked.replace(&text).map_err(|e| LogError::io(path, e))?;
    Ok(out)
}

/// The revocation log at a path: creating it, reading it, appending to it and compacting it,
/// each safe against other processes doing the same (see the module docs and the guide).
pub struct RevocationLog;

impl RevocationLog {
    /// Creates an empty log at `path`; refuses when something is there already (a log is never
    /// replaced by an empty one). This is the only way a log comes into being: a key ring or
    /// `fgac revoke` refuses to start on a log that is missing, which may have lost revocations.
    pub fn create(path: &Path) -> Result<(), LogError> {
        lock(path)?.create(HEADER).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                LogError::Exists(path.to_owned())
            } else {
                LogError::io(path, e)
            }
        })?;
        Ok(())
    }

    /// The revocations in the log at `path` (its complete lines). A missing log is an error
    /// ([`LogError::Missing`]), never "no revocations".
    pub fn read(path: &Path) -> Result<Vec<RevocationRecord>, LogError> {
        parse_strict(path, &read_existing(path)?)
    }

    /// Appends `record` to the log at `path` and returns once it is on disk, under the writers'
    /// lock: a torn last line left by a writer that was killed is cut off first. Refuses a
    /// missing log ([`LogError::Missing`]).
    pub fn append(path: &Path, record: &RevocationRecord) -> Result<(), LogError> {
        append_existing(path, &record.line()?, true)
    }

    /// Drops the revocations that no longer decide anything (everything they cover expired more
    /// than [`COMPACTION_MARGIN_SECONDS`] before `now`), keeping every other line and the order,
    /// by writing the new log beside the old one and renaming it over it: a crash at any moment
    /// leaves the old log or the new one. Key rings that follow the log see a replaced log that
    /// lacks only expired revocations, which they accept.
    pub fn compact(path: &Path, now: Timestamp) -> Result<Compaction, LogError> {
        rewrite(path, |bytes| {
            let records = parse_strict(path, bytes)?;
            let mut text = String::from(HEADER);
            let mut done = Compaction {
                kept: 0,
                dropped: 0,
            };
            let mut seen = std::collections::HashSet::new();
            for r in &records {
                // Expired, or the same revocation written twice (two processes revoking one
                // credential): dropped.
                if r.in_force(now, COMPACTION_MARGIN_SECONDS)
                    && seen.insert((r.revocation.clone(), r.until))
                {
                    text.push_str(&r.line()?);
                    done.kept += 1;
                } else {
                    done.dropped += 1;
                }
            }
            Ok((text, done))
        })
    }
}

/// What a compaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compaction {
    /// Revocations kept (still in force).
    pub kept: usize,
    /// Revocations dropped (everything they cover has expired), and repeated lines.
    pub dropped: usize,
}

/// Parses the complete lines of a log file's `bytes`: every revocation it holds, and the error
/// of the lines that are not revocations, if any (a key ring that follows a log applies what
/// reads and reports the rest).
pub(crate) fn parse_bytes(path: &Path, bytes: &[u8]) -> (Vec<RevocationRecord>, Option<LogError>) {
    // Lines are ASCII; a line that is not UTF-8 is not a revocation, and does not hide the others.
    let text = String::from_utf8_lossy(bytes);
    let (records, _, errors) = parse_lines(&text);
    let error = errors.into_result().err().map(|error| LogError::Format {
        path: path.to_owned(),
        error: error
            .with_source(&text)
            .with_origin(path.display().to_string()),
    });
    (records, error)
}

/// Parses the complete lines of a log file's `bytes`, all of which must be revocations.
pub(crate) fn parse_strict(path: &Path, bytes: &[u8]) -> Result<Vec<RevocationRecord>, LogError> {
    match parse_bytes(path, bytes) {
        (records, None) => Ok(records),
        (_, Some(e)) => Err(e),
    }
}

/// The revocations a process holds: a set that only grows, until what a revocation covers has
/// expired. Indexed for the questions a key ring asks: does anything revoke this credential, and
/// what is in force that a file lacks. Compact, since a fleet's servers hold every revocation
/// in force: a credential's id is kept once, as its line of generations (`ID` or `ID~N`, see
/// [`lineage`]), with the generations revoked of it, when, and until when.
#[derive(Debug, Default)]
pub(crate) struct RevocationSet {
    /// Revoked credentials, by line: each generation revoked, when, and until when (one, almost
    /// always).
    lines: HashMap<Box<str>, SmallVec<[(u64, Times); 1]>>,
    /// Revoked signing keys.
    kids: HashMap<Box<str>, Times>,
    len: usize,
}

/// When a revocation was made, and until when it matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Times {
    at: Timestamp,
    until: Expiry,
}

impl RevocationSet {
    /// Adds `r`; returns whether it revokes anything not revoked before. A revocation given
    /// twice keeps the later `until` (the one that stays longest).
    pub(crate) fn insert(&mut self, r: &RevocationRecord) -> bool {
        let times = Times {
            at: r.at,
            until: r.until,
        };
        let held = match &r.revocation {
            Revocation::Credential(id) => {
                let p = lineage::Position::of(id);
                let generations = self.lines.entry(p.line.into()).or_default();
                match generations.iter_mut().find(|(g, _)| *g == p.generation) {
                    Some((_, old)) => Some(old),
                    None => {
                        generations.push((p.generation, times));
                        None
                    }
                }
            }
            Revocation::Key(kid) => match self.kids.get_mut(kid.as_str()) {
                Some(old) => Some(old),
                None => {
                    self.kids.insert(kid.as_str().into(), times);
                    None
                }
            },
        };
        match held {
            Some(old) => {
                old.until = later(old.until, r.until);
                false
            }
            None => {
                self.len += 1;
                true
            }
        }
    }

    /// Whether a credential with this id, ancestors and signing key is revoked.
    pub(crate) fn revokes(&self, id: &str, lineage: &[Box<str>], kid: &str) -> bool {
        let covered = |id: &str| {
            let p = lineage::Position::of(id);
            self.lines
                .get(p.line)
                .is_some_and(|gs| gs.iter().any(|(g, _)| p.generation >= *g))
        };
        self.kids.contains_key(kid) || covered(id) || lineage.iter().any(|a| covered(a))
    }

    /// How many revocations it holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Every revocation held, as records.
    fn records(&self) -> impl Iterator<Item = RevocationRecord> + '_ {
        let credentials = self.lines.iter().flat_map(|(line, generations)| {
            generations.iter().map(move |(g, t)| RevocationRecord {
                revocation: Revocation::Credential(if *g == 0 {
                    line.to_string()
                } else {
                    format!("{line}~{g}")
                }),
                at: t.at,
                until: t.until,
            })
        });
        let keys = self.kids.iter().map(|(kid, t)| RevocationRecord {
            revocation: Revocation::Key(kid.to_string()),
            at: t.at,
            until: t.until,
        });
        credentials.chain(keys)
    }

    /// The revocations still in force at `now`, oldest first (for writing a log back).
    pub(crate) fn in_force(&self, now: Timestamp) -> Vec<RevocationRecord> {
        let mut out: Vec<RevocationRecord> = self
            .records()
            .filter(|r| r.in_force(now, COMPACTION_MARGIN_SECONDS))
            .collect();
        out.sort_by(|a, b| (a.at, &a.revocation).cmp(&(b.at, &b.revocation)));
        out
    }

    /// How many revocations in force at `now` `file` lacks.
    pub(crate) fn missing_from(&self, file: &[RevocationRecord], now: Timestamp) -> usize {
        let there: std::collections::HashSet<&Revocation> =
            file.iter().map(|r| &r.revocation).collect();
        self.in_force(now)
            .into_iter()
            .filter(|r| !there.contains(&r.revocation))
            .count()
    }

    /// Forgets the revocations that decide nothing any more (see [`RevocationRecord::in_force`]).
    pub(crate) fn prune(&mut self, now: Timestamp) {
        let keep = |t: &Times| match t.until {
            Expiry::Never => true,
            Expiry::At(u) => now < u.saturating_add(COMPACTION_MARGIN_SECONDS),
        };
        let mut len = 0;
        self.lines.retain(|_, generations| {
            generations.retain(|(_, t)| keep(t));
            len += generations.len();
            !generations.is_empty()
        });
        self.kids.retain(|_, t| keep(t));
        self.len = len + self.kids.len();
    }
}

/// The later of two expiries (never is the latest).
pub(crate) fn later(a: Expiry, b: Expiry) -> Expiry {
    match (a, b) {
        (Expiry::Never, _) | (_, Expiry::Never) => Expiry::Never,
        (Expiry::At(x), Expiry::At(y)) => Expiry::At(x.max(y)),
    }
}

/// Why a revocation log could not be created, read, appended to or compacted, or why the one a
/// key ring follows does not agree with what it applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// Reading, creating or writing it failed.
    #[error("the revocation log `{}`: {source}", path.display())]
    Io {
        /// The log.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// Lines that are not revocations, each with its line and column (rendered like every other
    /// diagnostic).
    #[error("{error}")]
    Format {
        /// The log.
        path: PathBuf,
        /// The lines at fault.
        error: Error,
    },
    /// There is no log where one is configured: it may have been moved or deleted, with the
    /// revocations it held.
    #[error(
        "the revocation log `{}` does not exist: it may have been moved or deleted with the revocations it held",
        .0.display()
    )]
    Missing(PathBuf),
    /// [`RevocationLog::create`] found something there already.
    #[error("the revocation log `{}` exists already; a log is never replaced by an empty one", .0.display())]
    Exists(PathBuf),
    /// The log was replaced, cut short or rewritten by a file that lacks revocations a key ring
    /// applied and that are still in force; they stay in force.
    #[error(
        "the revocation log `{}` was replaced or cut short and lacks {lost} revocation{} still in force; {} in force, and the next revocation writes {} back",
        path.display(),
        if *lost == 1 { "" } else { "s" },
        if *lost == 1 { "it stays" } else { "they stay" },
        if *lost == 1 { "it" } else { "them" }
    )]
    Diverged {
        /// The log.
        path: PathBuf,
        /// How many revocations in force it lacks.
        lost: usize,
    },
    /// An id that is not 1 to 128 of `A-Z a-z 0-9 . _ ~ -`.
    #[error("`{}` is not an id: ids are 1 to 128 of `A-Z a-z 0-9 . _ ~ -`", crate::escape_for_terminal(.0))]
    BadId(String),
}

impl LogError {
    pub(crate) fn io(path: &Path, source: io::Error) -> LogError {
        LogError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// The diagnostics of a log whose lines do not read, for rendering them with the file's
    /// lines (`None` for the other errors, which are one line each).
    #[must_use]
    pub fn diagnostics(&self) -> Option<&Error> {
        match self {
            LogError::Format { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// What a key ring knows of the log it follows.
#[derive(Debug, Default)]
pub(crate) struct LogView {
    /// The file read last and how far: its identity when read and the length of its complete
    /// lines applied.
    pub(crate) identity: Option<Identity>,
    pub(crate) applied: u64,
    /// The last complete line applied, to notice a file rewritten in place.
    pub(crate) last_line: Vec<u8>,
}

impl LogView {
    /// Records that `bytes` (complete lines) of a file with `identity` were applied from
    /// `offset`.
    pub(crate) fn advance(&mut self, identity: Identity, offset: u64, bytes: &[u8]) {
        self.identity = Some(identity);
        self.applied = offset + bytes.len() as u64;
        if let Some(last) = last_line(bytes) {
            self.last_line = last.to_vec();
        } else if offset == 0 {
            self.last_line.clear();
        }
    }
}

/// The last complete line of `bytes` (with its line break).
pub(crate) fn last_line(bytes: &[u8]) -> Option<&[u8]> {
    let end = linefile::complete_len(bytes);
    if end == 0 {
        return None;
    }
    let start = bytes[..end - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    Some(&bytes[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn parses_both_versions_and_ignores_a_torn_tail() {
        let text = "# fgac revocations v1\nid a1 2026-11-26T17:00:00Z\n\nkey k-2 2026-11-26T17:05:00Z never\nid b 2026-11-26T17:00:00Z 2026-12-01T00:00:00Z\nid tor";
        let (list, complete) = parse_log(text).unwrap();
        assert_eq!(
            list,
            vec![
                RevocationRecord::forever(
                    Revocation::Credential("a1".into()),
                    at("2026-11-26T17:00:00Z")
                ),
                RevocationRecord::forever(
                    Revocation::Key("k-2".into()),
                    at("2026-11-26T17:05:00Z")
                ),
                RevocationRecord {
                    revocation: Revocation::Credential("b".into()),
                    at: at("2026-11-26T17:00:00Z"),
                    until: Expiry::At(at("2026-12-01T00:00:00Z")),
                },
            ]
        );
        assert_eq!(&text[complete..], "id tor");
        let err = parse_log(
            "id a1 yesterday\nid b/c 2026-11-26T17:00:00Z\nid c 2026-11-26T17:00:00Z soon\n",
        )
        .unwrap_err();
        assert_eq!(err.diagnostics().len(), 3);
        assert!(err.to_string().contains("not a revocation line"));
    }

    #[test]
    fn a_set_covers_generations_lineage_and_keys_and_forgets_only_the_expired() {
        let mut set = RevocationSet::default();
        let now = at("2026-11-26T00:00:00Z");
        let r = |rev: Revocation, until: Expiry| RevocationRecord {
            revocation: rev,
            at: now,
            until,
        };
        assert!(set.insert(&r(Revocation::Credential("L~2".into()), Expiry::Never)));
        assert!(!set.insert(&r(Revocation::Credential("L~2".into()), Expiry::Never)));
        let soon = Expiry::At(now.saturating_add(60));
        assert!(set.insert(&r(Revocation::Key("k9".into()), soon)));
        let none: [Box<str>; 0] = [];
        assert!(set.revokes("L~2", &none, "k1"));
        assert!(set.revokes("L~7", &none, "k1"));
        assert!(!set.revokes("L~1", &none, "k1"));
        assert!(set.revokes("t", &["root".into(), "L~3".into()], "k1"));
        assert!(set.revokes("x", &none, "k9"));
        // The key's revocation covers what expires within a minute: kept for the margin after.
        set.prune(now.saturating_add(60 + COMPACTION_MARGIN_SECONDS - 1));
        assert!(set.revokes("x", &none, "k9"));
        set.prune(now.saturating_add(60 + COMPACTION_MARGIN_SECONDS));
        assert!(!set.revokes("x", &none, "k9"));
        assert!(set.revokes("L~7", &none, "k1"), "never is never forgotten");
        assert_eq!(set.len(), 1);
        assert_eq!(set.missing_from(&[], now), 1);
        // Held compactly by line, every revocation reads back as it was given.
        for id in ["L~5", "plain", "weird~0", "x~01"] {
            assert!(set.insert(&r(Revocation::Credential(id.into()), Expiry::Never)));
        }
        assert_eq!(set.len(), 5);
        let mut ids: Vec<String> = set
            .in_force(now)
            .into_iter()
            .map(|r| r.revocation.id().to_owned())
            .collect();
        ids.sort();
        assert_eq!(ids, ["L~2", "L~5", "plain", "weird~0", "x~01"]);
        assert!(!set.revokes("L~1", &none, "k1") && set.revokes("x~01", &none, "k1"));
    }

    #[test]
    fn last_lines() {
        assert_eq!(last_line(b"a\nbc\n"), Some(&b"bc\n"[..]));
        assert_eq!(last_line(b"a\n"), Some(&b"a\n"[..]));
        assert_eq!(last_line(b"a\nb"), Some(&b"a\n"[..]));
        assert_eq!(last_line(b""), None);
    }
}
