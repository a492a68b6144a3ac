//! `fgac revoke (--log FILE | --trust TRUST) (--id JTI | --signing-key KID | --token TOKEN | --compact)
//! [--create-log] [--now TIME]`: appends a revocation to a revocation log and returns once it is
//! on disk; or compacts the log. A server whose key ring follows the log applies it to live
//! connections.

use crate::input;
use crate::out::{Status, Stop, report, say};
use fgac::credentials::{
    Ledger, LogError, Revocation, RevocationLog, RevocationRecord, Trust, covered_by_revocation,
    inspect,
};
use fgac::model::Expiry;
use fgac::{Limits, escape_for_terminal as shown};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[cfg_attr(
    feature = "etcd",
    command(group(clap::ArgGroup::new("log_file").required(true).args(["log", "trust", "etcd"])))
)]
#[cfg_attr(
    not(feature = "etcd"),
    command(group(clap::ArgGroup::new("log_file").required(true).args(["log", "trust"])))
)]
#[command(group(clap::ArgGroup::new("what").args(["id", "signing_key", "token", "compact"])))]
pub struct Args {
    /// The revocation log.
    #[arg(long)]
    log: Option<PathBuf>,
    /// A trust file: its `revocations` log (and its `issued` ledger, to count what a revocation
    /// covers). Also `--store`, its older name.
    #[arg(long, alias = "store")]
    trust: Option<PathBuf>,
    /// Revoke the credential with this id (`jti`), its refreshed successors and everything
    /// minted from them. An id may start with `-` (ids are base64url): it is taken as given.
    #[arg(long, allow_hyphen_values = true)]
    id: Option<String>,
    /// Revoke every credential signed with this signing key id (`kid`). Also `--key`, its older
    /// name.
    #[arg(long, visible_aliases = ["key-id"], alias = "key", value_name = "KID", allow_hyphen_values = true)]
    signing_key: Option<String>,
    /// Revoke this credential (its id is read from it; `-` reads it from stdin).
    #[arg(long)]
    token: Option<String>,
    /// Drop the revocations of credentials that have all expired, atomically (and the
    /// ledger's records of them).
    #[arg(long)]
    compact: bool,
    /// Create the log if it does not exist (alone, or before revoking). Without it, a missing
    /// log is an error: it may have been moved or deleted with the revocations it held.
    #[arg(long)]
    create_log: bool,
    /// The time of the revocation: RFC 3339 or epoch seconds; default now.
    #[arg(long)]
    now: Option<String>,
    /// Revoke in a fleet's etcd instead of a log (returns once a quorum has committed it; exit
    /// 2 when it cannot): the etcd cluster's client URLs, comma-separated.
    #[cfg(feature = "etcd")]
    #[arg(long, value_name = "URLS", value_delimiter = ',', conflicts_with_all = ["log", "trust", "compact", "create_log"])]
    etcd: Vec<String>,
    /// The fleet's prefix in etcd (with --etcd).
    #[cfg(feature = "etcd")]
    #[arg(long, value_name = "P", default_value = "/fgac", requires = "etcd")]
    prefix: String,
    /// How long to keep trying while etcd does not answer, in seconds (with --etcd).
    #[cfg(feature = "etcd")]
    #[arg(long, value_name = "SECONDS", default_value_t = 10, requires = "etcd")]
    patience: u64,
}

/// A log error as the user sees it: lines that do not read are shown like every other
/// diagnostic, with the file's line and carets; the rest is one line.
fn failed(e: LogError) -> Stop {
    match e.diagnostics() {
        Some(diagnostics) => {
            report(&format!("{diagnostics}\n"));
            Stop::Usage(
                "the revocation log has lines that are not revocations: key rings apply the others and report these"
                    .to_owned(),
            )
        }
        None => Stop::Usage(e.to_string()),
    }
}

pub fn run(a: &Args) -> Result<Status, Stop> {
    let now = input::now_or(a.now.as_deref())?;
    #[cfg(feature = "etcd")]
    if !a.etcd.is_empty() {
        let (revocation, until) = what(a, None, now)?;
        return in_fleet(
            a,
            &RevocationRecord {
                revocation,
                at: now,
                until,
            },
        );
    }
    let (log, ledger) = match (&a.log, &a.trust) {
        (Some(log), _) => (log.clone(), None),
        (None, Some(trust)) => {
            let s = Trust::from_file(trust).map_err(|e| {
                report(&e.to_string());
                Stop::Usage(format!("cannot read the trust file `{}`", trust.display()))
            })?;
            let log = s.revocation_log().map(ToOwned::to_owned).ok_or_else(|| {
                Stop::Usage(format!(
                    "the trust file `{}` names no `revocations` log",
                    trust.display()
                ))
            })?;
            (log, s.issuance_ledger().map(Path::to_owned))
        }
        (None, None) => return Err(Stop::Usage("give --log or --trust".to_owned())),
    };
    let place = log.display().to_string();
    let place = shown(&place);
    if a.create_log {
        match RevocationLog::create(&log) {
            Ok(()) => say!("created the revocation log {place}")?,
            Err(LogError::Exists(_)) => {}
            Err(e) => return Err(failed(e)),
        }
    }
    if a.id.is_none() && a.signing_key.is_none() && a.token.is_none() && !a.compact {
        return if a.create_log {
            Ok(Status::Ok)
        } else {
            Err(Stop::Usage(
                "give --id, --key, --token, --compact or --create-log".to_owned(),
            ))
        };
    }
    if a.compact {
        let done = RevocationLog::compact(&log, now).map_err(failed)?;
        say!(
            "compacted {place}: {} revocation{} in force kept, {} dropped (all they cover has expired)",
            done.kept,
            if done.kept == 1 { "" } else { "s" },
            done.dropped
        )?;
        if let Some(ledger) = &ledger {
            let (kept, dropped) = Ledger::compact(ledger, now).map_err(failed)?;
            say!(
                "compacted {}: {kept} records kept, {dropped} dropped",
                shown(&ledger.display().to_string())
            )?;
        }
        return Ok(Status::Ok);
    }
    let records = ledger
        .as_deref()
        .map(Ledger::read)
        .transpose()
        .map_err(failed)?;
    let (revocation, until) = what(a, records.as_deref(), now)?;
    let record = RevocationRecord {
        revocation,
        at: now,
        until,
    };
    RevocationLog::append(&log, &record).map_err(|e| match e {
        LogError::Missing(_) => Stop::Usage(format!(
            "{e}; if it never existed, create it with --create-log"
        )),
        e => failed(e),
    })?;
    let what = &record.revocation;
    let until = match record.until {
        Expiry::Never => "for good".to_owned(),
        Expiry::At(t) => format!("until {t}"),
    };
    say!("revoked {what} (on disk in {place}), in force {until}")?;
    if let Revocation::Credential(id) = what {
        match &records {
            Some(records) => {
                let (live, _) = covered_by_revocation(records, id, now);
                say!(
                    "it covers {} live credential{} refreshed or minted from it (the issuance ledger's count)",
                    live.len(),
                    if live.len() == 1 { "" } else { "s" }
                )?;
            }
            None if a.trust.is_some() => say!(
                "it covers every credential refreshed or minted from it (not counted: the trust file names no issuance ledger)"
            )?,
            None => say!(
                "it covers every credential refreshed or minted from it (not counted: give --trust, with an issuance ledger)"
            )?,
        }
    }
    // The revocation is on disk whatever else the log holds; lines that are not revocations
    // are shown (key rings apply every other line and report these).
    match RevocationLog::read(&log) {
        Err(e @ LogError::Format { .. }) => {
            if let Stop::Usage(message) = failed(e) {
                report(&format!("error: {message}\n"));
            }
            Ok(Status::Failed)
        }
        _ => Ok(Status::Ok),
    }
}

/// What `a` revokes, and until when that matters (from the issuance ledger's `records` for an
/// id, from the credential itself for `--token`; never, when it is not known).
fn what(
    a: &Args,
    records: Option<&[fgac::credentials::Issued]>,
    now: fgac::Timestamp,
) -> Result<(Revocation, Expiry), Stop> {
    Ok(match (&a.id, &a.signing_key, &a.token) {
        (Some(id), _, _) => {
            let until = records.map_or(Expiry::Never, |r| covered_by_revocation(r, id, now).1);
            (Revocation::Credential(id.clone()), until)
        }
        (_, Some(kid), _) => (Revocation::Key(kid.clone()), Expiry::Never),
        (_, _, Some(token)) => {
            let token = input::presented(token)?;
            let found = inspect(&token, None, &Limits::default())
                .map_err(|why| Stop::Usage(format!("not an fgac credential ({why})")))?;
            let claims = found.claims.map_err(|_| {
                Stop::Usage("the credential's claims do not read: revoke it by --id".to_owned())
            })?;
            let until = claims.covered_until();
            (Revocation::Credential(claims.id), until)
        }
        _ => return Err(Stop::Usage("give --id, --key or --token".to_owned())),
    })
}

/// `fgac revoke --etcd`: `record` committed by a quorum of the fleet's etcd, or exit 2.
#[cfg(feature = "etcd")]
fn in_fleet(a: &Args, record: &RevocationRecord) -> Result<Status, Stop> {
    use fgac::Timestamp;
    use fgac::credentials::TrustBuilder;
    use fgac_etcd::Layout;
    let layout = Layout::new(&a.prefix);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Stop::Usage(format!("cannot start the runtime: {e}")))?;
    let patience = std::time::Duration::from_secs(a.patience);
    let (revision, record, covered) = rt
        .block_on(fgac_etcd::on_any(
            &a.etcd,
            std::time::Duration::from_secs(2),
            patience,
            |client| {
                let layout = &layout;
                let mut record = record.clone();
                async move {
                    // Its lease outlives what it covers by the fleet's leeway for clocks.
                    let snapshot = fgac_etcd::Snapshot::read(&client, layout).await?;
                    let leeway = match &snapshot.store {
                        Some(text) => TrustBuilder::from_shared_text(text)
                            .and_then(TrustBuilder::build)
                            .map_or(fgac::credentials::MAX_LEEWAY_SECONDS, |t| t.leeway()),
                        None => fgac::credentials::MAX_LEEWAY_SECONDS,
                    };
                    let now = Timestamp::now();
                    // A revocation by id learns until when it matters from what the fleet's
                    // servers issued.
                    let mut covered = None;
                    if let (Revocation::Credential(id), Expiry::Never) =
                        (&record.revocation, record.until)
                        && snapshot.issued.iter().any(|i| &i.id == id)
                    {
                        let (live, until) = covered_by_revocation(&snapshot.issued, id, now);
                        covered = Some(live.len());
                        record.until = until;
                    }
                    let revision = fgac_etcd::revoke(&client, layout, &record, now, leeway).await?;
                    Ok((revision, record, covered))
                }
            },
        ))
        .map_err(|e| {
            Stop::Usage(format!(
                "not revoked: {e} (nothing was acknowledged: the revocation may not be in force)"
            ))
        })?;
    let until = match record.until {
        Expiry::Never => "for good".to_owned(),
        Expiry::At(t) => format!("until {t}"),
    };
    say!(
        "revoked {} (committed by etcd at revision {revision}), in force {until}",
        record.revocation
    )?;
    if let Some(n) = covered {
        say!(
            "it covers {n} live credential{} refreshed or minted from it (what the fleet's servers recorded)",
            if n == 1 { "" } else { "s" }
        )?;
    }
    Ok(Status::Ok)
}
