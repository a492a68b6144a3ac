//! `fgac explain FILE --key NAME --op OP ...`: the decision on one request, the rules that made
//! it, and for a request no rule allows, the rules that almost did.

use crate::input::{self, located};
use crate::out::{Status, Stop, say};
use crate::schema::{self, Report};
use fgac::analysis::{self, Miss};
use fgac::model::Expiry;
use fgac::syntax::json;
use fgac::{Decision, DenyReason, Need, Operation, Resource, escape_for_terminal as shown};
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The document.
    file: PathBuf,
    /// The credential's name (also `--key`, its older name).
    #[arg(long, alias = "key")]
    credential: String,
    /// The operation (`get`, `set`, `publish`, `create_cache`, ...).
    #[arg(long)]
    op: String,
    /// The cache.
    #[arg(long, required_unless_present_any = ["account", "store"])]
    cache: Option<String>,
    /// The store (with `--item` or `--item-b64`: an item of a store).
    #[arg(long, conflicts_with_all = ["cache", "topic", "account"])]
    store: Option<String>,
    /// The item key.
    #[arg(long, conflicts_with_all = ["topic", "item_b64", "account"])]
    item: Option<String>,
    /// The item key, as base64 (for bytes that are not UTF-8).
    #[arg(long, conflicts_with_all = ["topic", "account"])]
    item_b64: Option<String>,
    /// The topic.
    #[arg(long, conflicts_with = "account")]
    topic: Option<String>,
    /// The account as a whole (control-plane operations).
    #[arg(long, conflicts_with = "cache")]
    account: bool,
    /// The time: RFC 3339 (`2027-01-31T00:00:00Z`) or epoch seconds; default now.
    #[arg(long)]
    now: Option<String>,
    /// Lines for people, or one JSON report (`text`, `json`).
    #[arg(long, value_enum, default_value_t = Report::Text)]
    format: Report,
}

pub fn run(a: &Args) -> Result<Status, Stop> {
    if a.format == Report::Junit {
        return Err(Stop::Usage(
            "`--format junit` is for `fgac test`; `explain` writes text or json".to_owned(),
        ));
    }
    let op: Operation = a.op.parse().map_err(|e| Stop::Usage(format!("{e}")))?;
    let now = input::now_or(a.now.as_deref())?;
    let doc = match input::compile_quiet(&a.file)? {
        Ok(doc) => doc,
        Err((text, e)) if a.format == Report::Json => {
            let mut report = schema::diagnostics(&e, &text);
            report["file"] = json!(input::name_of(&a.file));
            report["status"] = json!(schema::status_name(Status::Failed));
            schema::emit("explain", report)?;
            return Ok(Status::Failed);
        }
        Err((_, e)) => {
            input::print_error(&a.file, e);
            return Ok(Status::Failed);
        }
    };
    let key = a.credential.as_str();
    let authz = doc.compiled.authorizer();
    let (Some(credential), Some(valid)) =
        (authz.credential(key), doc.compiled.valid().credential(key))
    else {
        return Err(input::no_credential(authz, key, &a.file));
    };
    let key_bytes = match (&a.item, &a.item_b64) {
        (Some(k), _) => Some(k.as_bytes().to_vec()),
        (None, Some(b)) => Some(json::key_from_base64(b).ok_or_else(|| {
            Stop::Usage(format!("bad --item-b64 `{b}`: not standard padded base64"))
        })?),
        (None, None) => None,
    };
    let cache = a.cache.as_deref().unwrap_or_default();
    let resource = match (a.account, &key_bytes, &a.topic) {
        (true, _, _) => Resource::Account,
        (false, Some(k), _) if a.store.is_some() => {
            Resource::store_item(a.store.as_deref().unwrap_or_default(), k)
        }
        (false, None, _) if a.store.is_some() => {
            return Err(Stop::Usage(
                "`--store` names an item of a store: give `--item` or `--item-b64`".to_owned(),
            ));
        }
        (false, Some(k), _) => Resource::item(cache, k),
        (false, None, Some(t)) => Resource::topic(cache, t),
        (false, None, None) => Resource::cache(cache),
    };
    let decision = credential.authorize(op, resource, now);
    let e = analysis::explain(valid, op.need(), resource, now);
    // The engine decides; the explanation follows the reference, and both must agree.
    if e.decision != decision {
        return Err(Stop::Usage(format!(
            "internal error: the engine decided {decision} but the reference evaluator {}; please report this",
            e.decision
        )));
    }
    let origin = a.file.display().to_string();
    if a.format == Report::Json {
        let positions = schema::Positions::new(&doc.text);
        let rule = |rule: fgac::RuleId| {
            let span = e.grant(rule).map(|g| g.span).unwrap_or_default();
            json!({
                "rule": rule.index(),
                "range": positions.range(&doc.text, span),
                "text": doc.text.get(span.start..span.end).unwrap_or_default(),
            })
        };
        let report = json!({
            "status": schema::status_name(Status::Ok),
            "file": input::name_of(&a.file),
            "credential": key,
            "operation": op.to_string(),
            "resource": resource.to_string(),
            "at": now.to_string(),
            "decision": if decision.is_allowed() { "allow" } else { "deny" },
            "reason": match decision {
                Decision::Allow => None,
                Decision::Deny(reason) => Some(reason.as_str()),
            },
            "deciding": e.deciding.iter().map(|&r| rule(r)).collect::<Vec<_>>(),
            "near_misses": e.near_misses.iter().map(|m| {
                let mut v = rule(m.rule);
                match m.miss {
                    Miss::Rights { has, needs } => {
                        v["miss"] = json!("rights");
                        v["has"] = json!(has.to_string());
                        v["needs"] = json!(needs.to_string());
                    }
                    Miss::Target => v["miss"] = json!("target"),
                    Miss::Cache => v["miss"] = json!("cache"),
                }
                v
            }).collect::<Vec<_>>(),
        });
        schema::emit("explain", report)?;
        return Ok(Status::Ok);
    }
    let verb = if decision.is_allowed() {
        "may"
    } else {
        "may not"
    };
    say!("{decision}: `{}` {verb} {op} {resource}", shown(key))?;
    match decision {
        Decision::Allow if e.deciding.is_empty() => match (op.need(), &e.credential.permissions) {
            (Need::Account(right), fgac::model::Permissions::Explicit(_)) => {
                say!("  `{}` holds the account right `{right}`", shown(key))?
            }
            _ => say!("  `{}` is a super user", shown(key))?,
        },
        Decision::Deny(DenyReason::Expired) => match e.credential.expiry {
            Expiry::At(t) => say!("  the credential expired at {t}")?,
            Expiry::Never => say!("  the credential has expired")?,
        },
        Decision::Deny(DenyReason::SuperUserRequired) => match op.need() {
            fgac::Need::Account(right) => say!(
                "  {op} needs the account right `{right}`, which only a super-user key or a grant of it holds"
            )?,
            _ => say!("  {op} is a control-plane operation: only a super-user key may do it")?,
        },
        Decision::Deny(DenyReason::WrongResourceKind) => say!(
            "  {op} acts on {}, not on this resource",
            match op.need() {
                Need::Item(_) => "a cache item (--cache and --item)",
                Need::StoreItem(_) => "a store item (--store and --item)",
                Need::Topic(_) => "a topic (--cache and --topic)",
                Need::Account(_) | Need::ControlPlane => "a cache or the account",
            }
        )?,
        _ => {}
    }
    if !e.deciding.is_empty() {
        say!("  decided by:")?;
        for &rule in &e.deciding {
            if let Some(g) = e.grant(rule) {
                say!("    rule {rule} at {}", located(&origin, &doc.text, g.span))?;
            }
        }
    }
    if decision == Decision::Deny(DenyReason::NoMatchingGrant) {
        if e.near_misses.is_empty() {
            say!(
                "  no rule of `{}` comes near: add one for this cache and {}",
                shown(key),
                if a.topic.is_some() { "topic" } else { "item" }
            )?;
        } else {
            say!("  no rule allows it; nearest:")?;
            for m in &e.near_misses {
                let Some(g) = e.grant(m.rule) else { continue };
                say!(
                    "    rule {} at {}",
                    m.rule,
                    located(&origin, &doc.text, g.span)
                )?;
                match m.miss {
                    Miss::Rights { has, needs } => say!(
                        "      covers it, but `{}` gives {has} and {op} needs {needs}",
                        g.role
                    )?,
                    Miss::Target => say!("      covers the cache, but another item or topic")?,
                    Miss::Cache => say!("      covers the item or topic, but in other caches")?,
                }
            }
        }
    }
    Ok(Status::Ok)
}
