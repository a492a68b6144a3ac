//! `fgac contains FILE --key INNER --within OUTER [--within-file FILE2] [--now TIME] [--json]`:
//! whether every request INNER is allowed, OUTER is allowed too. Exit 0 when it is, 1 when not
//! (with a counterexample request), 2 when the command is wrong.

use crate::input;
use crate::out::{Status, Stop, say};
use fgac::analysis::{contains, expires_no_later};
use fgac::escape_for_terminal as shown;
use fgac::lines::containment_json;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The document holding the inner credential (and the outer one, without `--within-file`).
    file: PathBuf,
    /// The inner credential (also `--key`, its older name).
    #[arg(long, alias = "key")]
    credential: String,
    /// The outer credential.
    #[arg(long)]
    within: String,
    /// The document holding the outer credential, when it is another one.
    #[arg(long)]
    within_file: Option<PathBuf>,
    /// The time: RFC 3339 or epoch seconds; default now.
    #[arg(long)]
    now: Option<String>,
    /// Print one JSON object instead of words.
    #[arg(long)]
    json: bool,
}

pub fn run(a: &Args) -> Result<Status, Stop> {
    let now = input::now_or(a.now.as_deref())?;
    let Ok(inner_doc) = input::compile(&a.file)? else {
        return Ok(Status::Usage);
    };
    let outer_file = a.within_file.as_deref().unwrap_or(&a.file);
    let outer_doc = match &a.within_file {
        None => None,
        Some(file) => match input::compile(file)? {
            Ok(doc) => Some(doc),
            Err(_) => return Ok(Status::Usage),
        },
    };
    let inner = input::credential(inner_doc.compiled.authorizer(), &a.credential, &a.file)?;
    let outer_authz = outer_doc
        .as_ref()
        .unwrap_or(&inner_doc)
        .compiled
        .authorizer();
    let outer = input::credential(outer_authz, &a.within, outer_file)?;
    let result = contains(inner, outer, now);
    let expiry_ok = expires_no_later(inner, outer);
    if a.json {
        say!("{}", containment_json(&a.credential, &result, expiry_ok))?;
    } else {
        let (k, w) = (shown(&a.credential), shown(&a.within));
        match &result {
            Ok(()) => say!("`{k}` is within `{w}`: everything it may do, `{w}` may do")?,
            Err(c) => {
                say!("`{k}` is not within `{w}`:")?;
                say!(
                    "  {} {}: `{k}` {}, `{w}` {}",
                    c.op,
                    shown(&c.resource.to_string()),
                    c.inner,
                    c.outer
                )?;
                say!(
                    "  as for every {} on {}",
                    c.op,
                    shown(&c.region.to_string())
                )?;
            }
        }
        if expiry_ok {
            say!("`{k}` expires no later than `{w}`")?;
        } else {
            say!("`{k}` expires after `{w}`: it could not be minted from it")?;
        }
    }
    Ok(if result.is_ok() {
        Status::Ok
    } else {
        Status::Failed
    })
}
