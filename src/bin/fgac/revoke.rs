//! `fgac revoke (--log FILE | --store STORE) (--id JTI | --key KID | --token TOKEN) [--now
//! TIME]`: appends a revocation to a revocation log and returns once it is on disk. A server
//! whose key ring watches the log applies it to live connections.

use crate::input;
use crate::out::{Status, Stop, report, say};
use fgac::credentials::{Revocation, RevocationLog, Store, inspect};
use fgac::{Limits, escape_for_terminal as shown};
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("log_file").required(true).args(["log", "store"])))]
#[command(group(clap::ArgGroup::new("what").required(true).args(["id", "key", "token"])))]
pub struct Args {
    /// The revocation log.
    #[arg(long)]
    log: Option<PathBuf>,
    /// A key store file: its `revocations` log.
    #[arg(long)]
    store: Option<PathBuf>,
    /// Revoke the credential with this id (`jti`).
    #[arg(long)]
    id: Option<String>,
    /// Revoke every credential signed with this signing key id (`kid`).
    #[arg(long)]
    key: Option<String>,
    /// Revoke this credential (its id is read from it; `-` reads it from stdin).
    #[arg(long)]
    token: Option<String>,
    /// The time of the revocation: RFC 3339 or epoch seconds; default now.
    #[arg(long)]
    now: Option<String>,
}

pub fn run(a: &Args) -> Result<Status, Stop> {
    let now = input::now_or(a.now.as_deref())?;
    let log = match (&a.log, &a.store) {
        (Some(log), _) => log.clone(),
        (None, Some(store)) => {
            let s = Store::from_file(store).map_err(|e| {
                report(&e.to_string());
                Stop::Usage(format!("cannot read the key store `{}`", store.display()))
            })?;
            s.revocation_log().map(ToOwned::to_owned).ok_or_else(|| {
                Stop::Usage(format!(
                    "the key store `{}` names no `revocations` log",
                    store.display()
                ))
            })?
        }
        (None, None) => return Err(Stop::Usage("give --log or --store".to_owned())),
    };
    let revocation = match (&a.id, &a.key, &a.token) {
        (Some(id), _, _) => Revocation::Credential(id.clone()),
        (_, Some(kid), _) => Revocation::Key(kid.clone()),
        (_, _, Some(token)) => {
            let token = input::presented(token)?;
            let found = inspect(&token, None, &Limits::default())
                .map_err(|why| Stop::Usage(format!("not an fgac credential ({why})")))?;
            let claims = found.claims.map_err(|_| {
                Stop::Usage("the credential's claims do not read: revoke it by --id".to_owned())
            })?;
            Revocation::Credential(claims.id)
        }
        _ => return Err(Stop::Usage("give --id, --key or --token".to_owned())),
    };
    let (mut file, _) = RevocationLog::open(&log).map_err(|e| Stop::Usage(e.to_string()))?;
    file.append(&revocation, now)
        .map_err(|e| Stop::Usage(format!("cannot write `{}`: {e}", log.display())))?;
    say!(
        "revoked {revocation} (on disk in {})",
        shown(&log.display().to_string())
    )?;
    Ok(Status::Ok)
}
