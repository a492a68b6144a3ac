//! Reading a JSON document: which of the three forms it is in (fgac's key store, Momento's v1
//! scope, Momento's v2 rules), and the document it holds. The forms' pieces are read by
//! [`read`](super::read) (v1 and the key store) and [`v2`](super::v2).

use super::DEFAULT_CREDENTIAL_NAME;
use super::object::Object;
use super::read::{credential, networks, permission_set, span_of, syntax_error, value};
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::limits::Limits;
use crate::model::{CredentialKind, Document, Span};
use crate::ops::AccountRights;
use crate::syntax::Format;
use serde_json::value::RawValue;

const TOP_FIELDS: &[&str] = &[
    "credentials",
    "networks",
    "permissions",
    "super_user",
    "rules",
    "conditions",
];

/// Reads a JSON document (any of the three JSON formats) under `limits`: the document and the
/// format it was in.
/// Errors carry spans into `text`.
pub(crate) fn read(text: &str, limits: &Limits) -> Result<(Document, Format), Error> {
    if text.len() > limits.max_document_bytes {
        return Err(Error::one(Diagnostic::limit(
            "max_document_bytes",
            limits.max_document_bytes,
            Span::new(0, 0),
            format!("document of {} bytes is too large", text.len()),
        )));
    }
    // A byte order mark is accepted and ignored; spans still count from the start of `text`.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = body.trim_start();
    let top = Object::read(text, trimmed, "a document", TOP_FIELDS)
        .map_err(|e| syntax_error(text, trimmed).unwrap_or(e))?;
    let whole = Span::new(0, text.len());
    let field = |name| top.raw(name);
    let credentials = field("credentials")?;
    let permissions = field("permissions")?;
    let super_user = field("super_user")?;
    let networks_raw = field("networks")?;
    let rules = field("rules")?;
    let conditions = field("conditions")?;
    if rules.is_some() || conditions.is_some() {
        // Momento's v2 rules: nothing of the other forms beside them.
        if let Some(raw) = credentials.or(permissions).or(networks_raw) {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span_of(text, raw),
                    "a v2 document has `rules` (or `super_user`) and `conditions`, and nothing of v1's forms",
                )
                .with_help("write v1's `permissions` or v2's `rules`, not both; v2 restricts addresses with an `ip_filter` condition"),
            ));
        }
        let credential = super::v2::credential(text, whole, rules, super_user, conditions, limits)?;
        return Ok((
            Document {
                credentials: vec![credential],
            },
            Format::MomentoV2Json,
        ));
    }
    if let (Some(_), Some(raw)) = (credentials, networks_raw) {
        return Err(Error::one(
            Diagnostic::new(
                ErrorKind::Json,
                span_of(text, raw),
                "a key store has `credentials` and nothing else at the top",
            )
            .with_help("move `networks` into the credential it restricts"),
        ));
    }
    match (credentials, permissions, super_user) {
        (Some(credentials), None, None) => {
            let list: Vec<&RawValue> = value(text, credentials)?;
            if list.len() > limits.max_credentials {
                return Err(Error::one(Diagnostic::limit(
                    "max_credentials",
                    limits.max_credentials,
                    span_of(text, credentials),
                    format!("document holds {} credentials", list.len()),
                )));
            }
            let mut out = Vec::with_capacity(list.len());
            for raw in list {
                out.push(credential(text, raw, limits)?);
            }
            Ok((Document { credentials: out }, Format::FgacJson))
        }
        (None, permissions, super_user) => {
            let permissions = permission_set(
                text,
                whole,
                DEFAULT_CREDENTIAL_NAME,
                CredentialKind::ApiKey,
                limits,
                permissions,
                super_user,
            )?;
            let credential = crate::syntax::momento::momento_credential(
                permissions,
                AccountRights::NONE,
                networks(text, networks_raw, limits)?,
                whole,
            );
            Ok((
                Document {
                    credentials: vec![credential],
                },
                Format::MomentoJson,
            ))
        }
        (Some(credentials), _, _) => Err(Error::one(
            Diagnostic::new(
                ErrorKind::Json,
                span_of(text, credentials),
                "a key store has `credentials` and nothing else at the top",
            )
            .with_help("move `permissions` or `super_user` into a credential"),
        )),
    }
}
