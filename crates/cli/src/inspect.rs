//! `fgac inspect TOKEN [--verify-with PUBKEY] [--now TIME]`: a signed credential's header, claims
//! and permissions (in fgac's language), and whether its signature verifies. TOKEN `-` reads it
//! from stdin (keeping it out of the shell's history). Exit 0 when the signature verifies (or was
//! not checked) and the claims are a valid, unexpired credential; 1 when not; 2 when TOKEN is not
//! an fgac credential at all or the command is wrong.

use crate::input;
use crate::out::{Status, Stop, report, say};
use crate::schema::{self, Report};
use fgac::credentials::{PublicKey, SignatureCheck, inspect};
use fgac::model::{Document, Expiry};
use fgac::syntax::Format;
use fgac::{Limits, escape_for_terminal as shown};
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The credential, or `-` to read it from stdin.
    token: String,
    /// A public key (JWK file) to check the signature with.
    #[arg(long)]
    verify_with: Option<PathBuf>,
    /// The time to judge expiry at: RFC 3339 or epoch seconds; default now.
    #[arg(long)]
    now: Option<String>,
    /// Lines for people, or one JSON report (`text`, `json`).
    #[arg(long, value_enum, default_value_t = Report::Text)]
    format: Report,
}

pub fn run(a: &Args) -> Result<Status, Stop> {
    let now = input::now_or(a.now.as_deref())?;
    let token = input::presented(&a.token)?;
    let key = match &a.verify_with {
        None => None,
        Some(path) => Some(PublicKey::from_file(path).map_err(|e| {
            report(&e.to_string());
            Stop::Usage(format!("cannot use the public key `{}`", path.display()))
        })?),
    };
    let found = inspect(&token, key.as_ref(), &Limits::default())
        .map_err(|why| Stop::Usage(format!("not an fgac credential ({why})")))?;
    match a.format {
        Report::Text => {}
        Report::Json => return json_report(found, key.as_ref(), now),
        Report::Junit => {
            return Err(Stop::Usage(
                "`--format junit` is for `fgac test`; `inspect` writes text or json".to_owned(),
            ));
        }
    }
    let mut ok = true;
    say!("key id: {}", shown(&found.kid))?;
    match found.signature {
        SignatureCheck::Valid => say!("signature: valid")?,
        SignatureCheck::NotChecked => say!("signature: not checked (give --verify-with PUBKEY)")?,
        SignatureCheck::OtherKey => {
            ok = false;
            say!(
                "signature: not checked: the key given is `{}`, the credential names `{}`",
                shown(key.as_ref().map_or("", PublicKey::kid)),
                shown(&found.kid)
            )?;
        }
        SignatureCheck::Invalid => {
            ok = false;
            say!("signature: INVALID: the credential was not signed by this key, or was altered")?;
        }
    }
    match found.claims {
        Err(e) => {
            ok = false;
            say!("claims: not a valid credential")?;
            report(&e.with_origin("claims").to_string());
        }
        Ok(c) => {
            say!("id: {}", shown(&c.id))?;
            if let Some(iss) = &c.issuer {
                say!("issuer: {}", shown(iss))?;
            }
            say!("issued: {}", c.issued_at)?;
            if let Some(nbf) = c.not_before {
                say!("not before: {nbf}")?;
            }
            match c.credential.expiry {
                Expiry::At(at) if at <= now => {
                    ok = false;
                    say!("expires: {at} (expired at {now})")?;
                }
                Expiry::At(at) => say!("expires: {at}")?,
                Expiry::Never => say!("expires: never")?,
            }
            let name = shown(&c.credential.name).into_owned();
            if c.self_contained {
                let doc = Document::new(vec![c.credential]);
                match fgac::validate(&doc, &Limits::default()) {
                    Ok(_) => {}
                    Err(e) => {
                        ok = false;
                        report(&e.with_origin("claims").to_string());
                    }
                }
                let text = fgac::syntax::to_string(&doc, Format::Dsl)
                    .map_err(|e| Stop::Usage(e.to_string()))?;
                crate::out::text(&text)?;
            } else {
                say!(
                    "permissions: those of the credential `{name}` of the verifier's document (an API key that refers to it)"
                )?;
            }
        }
    }
    Ok(if ok { Status::Ok } else { Status::Failed })
}

/// The same findings as one JSON object (`fgac inspect --format json`).
fn json_report(
    found: fgac::credentials::Inspection,
    key: Option<&PublicKey>,
    now: fgac::Timestamp,
) -> Result<Status, Stop> {
    let mut ok = true;
    let signature = match found.signature {
        SignatureCheck::Valid => "valid",
        SignatureCheck::NotChecked => "not_checked",
        SignatureCheck::OtherKey => {
            ok = false;
            "other_key"
        }
        SignatureCheck::Invalid => {
            ok = false;
            "invalid"
        }
    };
    let mut out = json!({
        "kid": found.kid,
        "signature": signature,
        "verified_with": key.map(PublicKey::kid),
    });
    match found.claims {
        Err(e) => {
            ok = false;
            out["claims"] = Value::Null;
            out["claims_errors"] = schema::diagnostics(&e, "");
        }
        Ok(c) => {
            let (expires, expired) = match c.credential.expiry {
                Expiry::At(at) => (json!(at.to_string()), at <= now),
                Expiry::Never => (json!("never"), false),
            };
            ok &= !expired;
            let mut claims = json!({
                "id": c.id,
                "issuer": c.issuer,
                "issued": c.issued_at.to_string(),
                "not_before": c.not_before.map(|t| t.to_string()),
                "expires": expires,
                "expired": expired,
                "credential": c.credential.name,
                "self_contained": c.self_contained,
            });
            if c.self_contained {
                let doc = Document::new(vec![c.credential]);
                if let Err(e) = fgac::validate(&doc, &Limits::default()) {
                    ok = false;
                    claims["errors"] = schema::diagnostics(&e, "");
                }
                let text = fgac::syntax::to_string(&doc, Format::Dsl)
                    .map_err(|e| Stop::Usage(e.to_string()))?;
                claims["document"] = json!(text);
            }
            out["claims"] = claims;
        }
    }
    let status = if ok { Status::Ok } else { Status::Failed };
    out["status"] = json!(schema::status_name(status));
    schema::emit("inspect", out)?;
    Ok(status)
}
