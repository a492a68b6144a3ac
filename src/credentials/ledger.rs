//! The issuance ledger: a line per credential a key ring minted or refreshed, so that a
//! revocation can say what it covers.
//!
//! ```text
//! # fgac issued v1
//! issued Jq3v9x0d2Lw8YkQm4TgR7A 2026-11-26T17:00:00Z api_key 2026-12-26T17:00:00Z 2027-06-01T00:00:00Z root
//! issued Jq3v9x0d2Lw8YkQm4TgR7A~1 2026-12-20T09:00:00Z api_key 2027-01-19T09:00:00Z 2027-06-01T00:00:00Z root
//! issued h5dLq0aZ 2026-12-20T09:05:00Z token 2026-12-20T10:05:00Z - root,Jq3v9x0d2Lw8YkQm4TgR7A~1
//! ```
//!
//! `issued ID AT KIND EXPIRES REFRESH LINEAGE`: the credential's id, when it was issued, `api_key`
//! or `token`, its expiry (a time or `never`), how long it may be refreshed (`-` when it cannot be
//! refreshed, else a time or `never`), and its ancestors (`-` or ids joined by `,`). It is
//! informational: revocation never depends on it (a revocation covers by the ids in the
//! credentials themselves, see [`lineage`](super::lineage)), so lines are written without waiting
//! for the disk, and a ledger that lost lines only counts less. It is written under the same
//! lock, and read and compacted the same way, as the revocation log.

use super::claims::valid_id;
use super::lineage;
use super::revocations::{
    COMPACTION_MARGIN_SECONDS, LogError, append_existing, lock, read_existing, rewrite,
};
use crate::model::{CredentialKind, Expiry};
use crate::time::Timestamp;
use std::path::Path;

const HEADER: &str = "# fgac issued v1\n";

/// One credential a key ring issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// Its id (`jti`).
    pub id: String,
    /// When it was issued.
    pub at: Timestamp,
    /// API key or token.
    pub kind: CredentialKind,
    /// When it expires.
    pub expiry: Expiry,
    /// How long it (through its refreshed successors) may live: `None` when it cannot be
    /// refreshed.
    pub refresh_until: Option<Expiry>,
    /// Its ancestors' ids, root first.
    pub lineage: Vec<String>,
}

impl Issued {
    /// When everything a revocation of this credential covers has expired: the latest a
    /// successor may live for a key that can be refreshed, its own expiry otherwise (what is
    /// minted from it expires no later than it).
    #[must_use]
    pub fn covered_until(&self) -> Expiry {
        self.refresh_until.unwrap_or(self.expiry)
    }

    /// The ledger's line for it (with its line break): also what a fleet's shared store holds.
    #[must_use]
    pub fn line(&self) -> String {
        let time = |e: Expiry| match e {
            Expiry::Never => "never".to_owned(),
            Expiry::At(t) => t.to_string(),
        };
        format!(
            "issued {} {} {} {} {} {}\n",
            self.id,
            self.at,
            self.kind.as_str(),
            time(self.expiry),
            self.refresh_until.map_or_else(|| "-".to_owned(), time),
            if self.lineage.is_empty() {
                "-".to_owned()
            } else {
                self.lineage.join(",")
            }
        )
    }

    /// The record a ledger line holds (without its line break); `None` for a line that is not
    /// one.
    #[must_use]
    pub fn parse(line: &str) -> Option<Issued> {
        let words: Vec<&str> = line.split(' ').collect();
        let ["issued", id, at, kind, expiry, refresh, lineage] = words.as_slice() else {
            return None;
        };
        let time = |w: &str| -> Option<Expiry> {
            match w {
                "never" => Some(Expiry::Never),
                t => t.parse().ok().map(Expiry::At),
            }
        };
        let lineage: Vec<String> = match *lineage {
            "-" => Vec::new(),
            list => list.split(',').map(str::to_owned).collect(),
        };
        let valid = valid_id(id)
            && lineage.len() <= lineage::MAX_LINEAGE
            && lineage.iter().all(|a| valid_id(a));
        valid.then_some(())?;
        Some(Issued {
            id: (*id).to_owned(),
            at: at.parse().ok()?,
            kind: match *kind {
                "api_key" => CredentialKind::ApiKey,
                "token" => CredentialKind::Token,
                _ => return None,
            },
            expiry: time(expiry)?,
            refresh_until: match *refresh {
                "-" => None,
                w => Some(time(w)?),
            },
            lineage,
        })
    }
}

/// The issuance ledger at a path.
pub struct Ledger;

impl Ledger {
    /// Creates an empty ledger at `path`, or leaves the one there.
    pub fn create(path: &Path) -> Result<(), LogError> {
        match lock(path)?.create(HEADER) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(LogError::io(path, e)),
        }
    }

    /// Appends `issued` (without waiting for the disk: the ledger is informational).
    pub fn append(path: &Path, issued: &Issued) -> Result<(), LogError> {
        append_existing(path, &issued.line(), false)
    }

    /// The records of the ledger at `path`; lines that do not read are skipped (the ledger
    /// decides nothing).
    pub fn read(path: &Path) -> Result<Vec<Issued>, LogError> {
        Ok(String::from_utf8_lossy(&read_existing(path)?)
            .lines()
            .filter_map(Issued::parse)
            .collect())
    }

    /// Drops the records of credentials that have been expired, with what may be refreshed or
    /// minted from them, for more than [`COMPACTION_MARGIN_SECONDS`]; atomically, as
    /// [`RevocationLog::compact`](super::RevocationLog::compact) does. Returns how many were
    /// kept and how many dropped.
    pub fn compact(path: &Path, now: Timestamp) -> Result<(usize, usize), LogError> {
        rewrite(path, |bytes| {
            let mut text = String::from(HEADER);
            let (mut kept, mut dropped) = (0, 0);
            for record in String::from_utf8_lossy(bytes)
                .lines()
                .filter_map(Issued::parse)
            {
                let live = match record.covered_until() {
                    Expiry::Never => true,
                    Expiry::At(t) => now < t.saturating_add(COMPACTION_MARGIN_SECONDS),
                };
                if live {
                    text.push_str(&record.line());
                    kept += 1;
                } else {
                    dropped += 1;
                }
            }
            Ok((text, (kept, dropped)))
        })
    }
}

/// What a revocation of `id` covers among `records`, at `now`: the credentials other than `id`
/// itself that it revokes and that have not expired (later generations, and what was minted from
/// any of them), and when everything it covers will have expired (`Never` when the ledger does
/// not hold `id` itself, whose expiry it then cannot know).
#[must_use]
pub fn covered<'a>(records: &'a [Issued], id: &str, now: Timestamp) -> (Vec<&'a Issued>, Expiry) {
    let mut until = None;
    let mut live = Vec::new();
    for r in records {
        if !lineage::covered(id, &r.id, &r.lineage) {
            continue;
        }
        until = Some(match until {
            None => r.covered_until(),
            Some(u) => super::revocations::later(u, r.covered_until()),
        });
        if r.id != id && !r.expiry.is_expired(now) {
            live.push(r);
        }
    }
    let known = records.iter().any(|r| r.id == id);
    let until = match (known, until) {
        (true, Some(u)) => u,
        _ => Expiry::Never,
    };
    (live, until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_and_count_what_a_revocation_covers() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let key = Issued {
            id: "L".into(),
            at: t("2026-11-26T00:00:00Z"),
            kind: CredentialKind::ApiKey,
            expiry: Expiry::At(t("2026-12-26T00:00:00Z")),
            refresh_until: Some(Expiry::At(t("2027-06-01T00:00:00Z"))),
            lineage: vec!["root".into()],
        };
        let next = Issued {
            id: "L~1".into(),
            expiry: Expiry::At(t("2027-01-26T00:00:00Z")),
            ..key.clone()
        };
        let token = Issued {
            id: "tok".into(),
            kind: CredentialKind::Token,
            expiry: Expiry::At(t("2026-12-20T01:00:00Z")),
            refresh_until: None,
            lineage: vec!["root".into(), "L~1".into()],
            ..key.clone()
        };
        for r in [&key, &next, &token] {
            assert_eq!(Issued::parse(r.line().trim_end()).as_ref(), Some(r));
        }
        let all = vec![key.clone(), next.clone(), token.clone()];
        let now = t("2026-12-20T00:00:00Z");
        let (live, until) = covered(&all, "L", now);
        assert_eq!(live.len(), 2);
        assert_eq!(until, Expiry::At(t("2027-06-01T00:00:00Z")));
        let (live, _) = covered(&all, "L", t("2026-12-21T00:00:00Z"));
        assert_eq!(live.len(), 1, "the token has expired");
        let (live, until) = covered(&all, "L~1", now);
        assert_eq!(
            (live.len(), until),
            (1, Expiry::At(t("2027-06-01T00:00:00Z")))
        );
        let (live, until) = covered(&all, "unknown", now);
        assert_eq!((live.len(), until), (0, Expiry::Never));
    }
}
