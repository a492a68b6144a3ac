//! The fleet's commands (feature `etcd`): `fgac publish`, `fgac revoke --etcd`, `fgac status`.
//! Exit 0 done; 1 refused (the store does not compile, the change was not confirmed); 2 etcd
//! did not answer or another publish won.

use crate::out::{Status, Stop, report, say};
use fgac::credentials::Trust;
use fgac::{Timestamp, escape_for_terminal as shown};
use fgac_etcd::{FleetError, Layout};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

/// Where the fleet is.
#[derive(clap::Args, Clone, Debug)]
pub struct Where {
    /// The etcd cluster's client URLs, comma-separated (`http://127.0.0.1:2379,...`).
    #[arg(long, value_name = "URLS", value_delimiter = ',', required = true)]
    pub etcd: Vec<String>,
    /// The fleet's prefix in etcd.
    #[arg(long, value_name = "P", default_value = "/fgac")]
    pub prefix: String,
    /// How long to keep trying while etcd does not answer (a leader election, a member down),
    /// in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub patience: u64,
}

impl Where {
    fn patience(&self) -> Duration {
        Duration::from_secs(self.patience)
    }
}

const TIMEOUT: Duration = Duration::from_secs(2);

fn runtime() -> Result<tokio::runtime::Runtime, Stop> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Stop::Usage(format!("cannot start the runtime: {e}")))
}

/// Exit 2 with what etcd said, or what the race was.
fn not_done(e: &FleetError) -> Stop {
    Stop::Usage(e.to_string())
}

#[derive(clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    at: Where,
    /// Write only if the live store is at this revision (for scripts: what an earlier
    /// `fgac status` or publish printed).
    #[arg(long, value_name = "R")]
    if_revision: Option<i64>,
    /// Publish without asking.
    #[arg(long)]
    yes: bool,
    /// The trust file whose shared part (public keys, issuer, leeway) and document are
    /// published.
    trust: PathBuf,
}

/// `fgac publish`.
pub fn publish(a: &PublishArgs) -> Result<Status, Stop> {
    let trust = match Trust::from_file(&a.trust) {
        Ok(t) => t,
        Err(e) => {
            report(&e.to_string());
            report("error: the store does not compile: nothing was published\n");
            return Ok(Status::Failed);
        }
    };
    if trust.document().is_none() {
        report("error: the trust file names no document: nothing to publish\n");
        return Ok(Status::Failed);
    }
    let layout = Layout::new(&a.at.prefix);
    let rt = runtime()?;
    let now = Timestamp::now();
    let planned = rt.block_on(fgac_etcd::on_any(
        &a.at.etcd,
        TIMEOUT,
        a.at.patience(),
        |client| {
            let (layout, trust) = (&layout, &trust);
            async move { fgac_etcd::plan(&client, layout, trust, now).await }
        },
    ));
    let plan = match planned {
        Ok(plan) => plan,
        Err(
            e @ (FleetError::Etcd(_) | FleetError::LostRace { .. } | FleetError::Corrupt { .. }),
        ) => {
            return Err(not_done(&e));
        }
        Err(e) => {
            report(&format!("{e}\n"));
            report("error: the store cannot be published: nothing was published\n");
            return Ok(Status::Failed);
        }
    };
    say!(
        "compared with the store at revision {} under {}",
        plan.base,
        shown(layout.prefix())
    )?;
    if let Some(expected) = a.if_revision
        && expected != plan.base
    {
        return Err(not_done(&FleetError::LostRace {
            expected,
            won: plan.base,
        }));
    }
    if plan.store_changes {
        say!("the shared trust changes (keys, issuer or leeway)")?;
    }
    for c in &plan.diff.credentials {
        say!("{c}")?;
    }
    if plan.is_empty() {
        say!("nothing to publish: the live store is the same")?;
        return Ok(Status::Ok);
    }
    if !a.yes && !confirmed()? {
        report("not published: not confirmed (give --yes to publish without asking)\n");
        return Ok(Status::Failed);
    }
    let revision = rt
        .block_on(fgac_etcd::on_any(
            &a.at.etcd,
            TIMEOUT,
            a.at.patience(),
            |client| {
                let (layout, plan) = (&layout, &plan);
                async move { fgac_etcd::commit(&client, layout, plan, a.if_revision).await }
            },
        ))
        .map_err(|e| not_done(&e))?;
    say!("published: the store is at revision {revision}")?;
    Ok(Status::Ok)
}

/// Asks on the terminal; anything but yes (and no terminal to ask on) is no.
fn confirmed() -> Result<bool, Stop> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("publish? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Stop::Usage(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

#[derive(clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    at: Where,
    /// One JSON object instead of lines.
    #[arg(long)]
    json: bool,
}

/// `fgac status`.
pub fn status(a: &StatusArgs) -> Result<Status, Stop> {
    let layout = Layout::new(&a.at.prefix);
    let rt = runtime()?;
    let (store, servers) = rt
        .block_on(fgac_etcd::on_any(
            &a.at.etcd,
            TIMEOUT,
            a.at.patience(),
            |client| {
                let layout = &layout;
                async move { fgac_etcd::status(&client, layout).await }
            },
        ))
        .map_err(|e| not_done(&e))?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    if a.json {
        let servers: Vec<serde_json::Value> = servers
            .iter()
            .map(|s| serde_json::json!({ "id": s.id, "status": s.status }))
            .collect();
        say!(
            "{}",
            serde_json::json!({ "store_revision": store, "servers": servers })
        )?;
        return Ok(Status::Ok);
    }
    say!(
        "store revision {store}; {} server{}",
        servers.len(),
        if servers.len() == 1 { "" } else { "s" }
    )?;
    for s in &servers {
        let n = |k: &str| s.status.get(k).and_then(serde_json::Value::as_i64);
        let flag = |k: &str| s.status.get(k).and_then(serde_json::Value::as_bool) == Some(true);
        let applied = n("store_revision").unwrap_or(0);
        let heard = n("last_heard_unix_ms").map_or("never".to_owned(), |t| {
            format!("{:.1} s ago", (now_ms - t) as f64 / 1000.0)
        });
        say!(
            "{}: serves revision {applied} (behind by {}), last heard from etcd {heard}{}{}",
            shown(&s.id),
            (store - applied).max(0),
            if flag("stale") { ", STALE" } else { "" },
            if flag("refusing") {
                ", refusing every credential"
            } else {
                ""
            }
        )?;
    }
    Ok(Status::Ok)
}
