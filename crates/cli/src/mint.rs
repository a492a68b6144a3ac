//! `fgac mint FILE --from PARENT --signing-key KEY (--permissions FILE | RULE...) --expires TIME
//! [--token-id ID] [--name NAME] [--api-key] [--network CIDR]... [--issuer ISS] [--id JTI]
//! [--now TIME]`: a signed credential for at most what PARENT holds, printed on stdout. Exit 0
//! with the credential; 1 when it would exceed its parent (with a counterexample request), outlive
//! it, or is not valid; 2 when the command is wrong.

use crate::input;
use crate::out::{Status, Stop, report, say};
use fgac::analysis::DeriveError;
use fgac::credentials::{MintError, MintOptions, SigningKey, mint};
use fgac::model::{CredentialDef, CredentialKind, Expiry, Grant, Network, Permissions};
use fgac::{Limits, escape_for_terminal as shown};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The document holding the parent credential.
    file: PathBuf,
    /// The parent credential: what the new one must stay within.
    #[arg(long, value_name = "NAME")]
    from: String,
    /// The private signing key (a JWK file, as `fgac keygen` writes it; mode 0600).
    #[arg(long, value_name = "JWK")]
    signing_key: PathBuf,
    /// A document whose one credential's permissions the new credential gets (any format;
    /// Momento's `{"permissions": [...]}` included).
    #[arg(long, conflicts_with = "rules", required_unless_present = "rules")]
    permissions: Option<PathBuf>,
    /// Rules in fgac's language, one per argument: 'allow readonly cache "c" items prefix "x"'.
    rules: Vec<String>,
    /// When it expires: RFC 3339 or epoch seconds (`never` for an API key only).
    #[arg(long, value_name = "TIME")]
    expires: String,
    /// Momento's token id (tokens only): identifies the publisher to subscribers.
    #[arg(long)]
    token_id: Option<String>,
    /// The credential's name (`sub`).
    #[arg(long, default_value = "token")]
    name: String,
    /// Mint an API key instead of a disposable token.
    #[arg(long)]
    api_key: bool,
    /// A network it may be used from (CIDR); repeat for several. Required when the parent has
    /// networks.
    #[arg(long = "network")]
    networks: Vec<String>,
    /// The issuer (`iss`).
    #[arg(long)]
    issuer: Option<String>,
    /// The credential's id (`jti`); default 128 random bits.
    #[arg(long)]
    id: Option<String>,
    /// The time of minting: RFC 3339 or epoch seconds; default now.
    #[arg(long)]
    now: Option<String>,
}

/// The grants of the rule arguments: each must be exactly one rule.
/// The rules given as arguments, and the account rights among them (`allow resource_write`).
fn rules(args: &[String]) -> Result<(Vec<Grant>, fgac::AccountRights), Stop> {
    let mut grants = Vec::new();
    let mut account = fgac::AccountRights::NONE;
    for (i, rule) in args.iter().enumerate() {
        let text = format!("key \"rule\" {{\n    expires never\n    {rule}\n}}\n");
        let doc = fgac::syntax::Reader::new()
            .format(fgac::syntax::Format::Dsl)
            .read_str(&text)
            .map(|loaded| loaded.document)
            .map_err(|e| {
                report(
                    &e.with_origin(format!("rule argument {}", i + 1))
                        .to_string(),
                );
                Stop::Usage(format!("rule argument {} is not a rule", i + 1))
            })?;
        match doc.credentials.as_slice() {
            [c] if c.token_id.is_none() && c.networks.is_empty() => match &c.permissions {
                Permissions::Explicit(g) if g.len() == 1 && c.account.is_empty() => {
                    grants.push(g[0].clone());
                    continue;
                }
                Permissions::Explicit(g) if g.is_empty() && c.account.name().is_some() => {
                    account = account.union(c.account);
                    continue;
                }
                _ => {}
            },
            _ => {}
        }
        return Err(Stop::Usage(format!(
            "rule argument {} is not one rule: `{}`",
            i + 1,
            shown(rule)
        )));
    }
    Ok((grants, account))
}

pub fn run(a: &Args) -> Result<Status, Stop> {
    let now = input::now_or(a.now.as_deref())?;
    let expiry = match a.expires.as_str() {
        "never" => Expiry::Never,
        t => Expiry::At(input::time(t)?),
    };
    let networks = a
        .networks
        .iter()
        .map(|n| {
            n.parse::<Network>()
                .map_err(|e| Stop::Usage(format!("--network: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let signer = SigningKey::from_file(&a.signing_key).map_err(|e| {
        report(&e.to_string());
        Stop::Usage(format!(
            "cannot use the signing key `{}`",
            a.signing_key.display()
        ))
    })?;
    let Ok(doc) = input::compile(&a.file)? else {
        return Ok(Status::Usage);
    };
    let authz = doc.compiled.authorizer();
    let parent = input::credential(authz, &a.from, &a.file)?;
    let (permissions, account) = match &a.permissions {
        Some(file) => {
            let Ok(source) = input::compile(file)? else {
                return Ok(Status::Usage);
            };
            match source.compiled.loaded().document.credentials.as_slice() {
                [one] => (one.permissions.clone(), one.account),
                _ => {
                    return Err(Stop::Usage(format!(
                        "`{}` holds several credentials; give a document of one",
                        file.display()
                    )));
                }
            }
        }
        None => {
            let (grants, account) = rules(&a.rules)?;
            (Permissions::Explicit(grants), account)
        }
    };
    let request = {
        let mut c = CredentialDef::new(
            a.name.clone(),
            if a.api_key {
                CredentialKind::ApiKey
            } else {
                CredentialKind::Token
            },
            expiry,
            permissions,
        );
        c.token_id = a.token_id.clone();
        c.account = account;
        c.networks = networks;
        c
    };
    let options = MintOptions {
        issuer: a.issuer.clone(),
        id: a.id.clone(),
        not_before: None,
    };
    match mint(parent, &request, &signer, &options, now, &Limits::default()) {
        Ok(token) => {
            say!("{token}")?;
            Ok(Status::Ok)
        }
        Err(MintError::Mint(DeriveError::Exceeds(c))) => {
            report(&format!(
                "refused: the credential would exceed `{}`:\n  {} {}: allowed to it, {} by `{}`\n  as for every {} on {}\n",
                shown(&a.from),
                c.op,
                shown(&c.resource.to_string()),
                c.outer,
                shown(&a.from),
                c.op,
                shown(&c.region.to_string())
            ));
            Ok(Status::Failed)
        }
        Err(MintError::Mint(DeriveError::Invalid(e))) => {
            report(&e.with_origin("the requested credential").to_string());
            Ok(Status::Failed)
        }
        Err(e @ (MintError::BadId(_) | MintError::Random(_))) => Err(Stop::Usage(e.to_string())),
        Err(e) => {
            report(&format!("refused: {}\n", shown(&e.to_string())));
            Ok(Status::Failed)
        }
    }
}
