//! The claims of a signed credential (the payload of an fgac JWT): the standard claims and the
//! credential in the fgac JSON's shape.
//!
//! ```text
//! {"iss": "auth.example", "sub": "checkout", "jti": "Jq3v9x0d2Lw8YkQm4TgR7A", "iat": 1795651200,
//!  "nbf": 1795651200, "exp": 1795654800, "kind": "token", "token_id": "user-42",
//!  "networks": ["10.0.0.0/8"], "permissions": [{"role": "readonly", "cache": "c"}]}
//! ```
//!
//! A credential a key ring minted or refreshed also carries where it comes from: `lineage`, its
//! ancestors' ids (root first, at most 16), and for an API key that may be refreshed,
//! `refresh_sha256` (the unpadded base64url SHA-256 of its refresh secret, which is random and
//! handed out once, so that holding the key is not enough to refresh it) and `refresh_until` (the
//! latest any refreshed successor may expire: its parent's expiry; absent when unbounded).
//!
//! `jti`, `sub`, `iat` and `kind` are required; `exp` is required for tokens (validation refuses a
//! token that never expires) and means "never" when an API key leaves it out; `iss` and `nbf` are
//! optional. With `permissions` or `"super_user": true` the credential is self-contained; with
//! neither, it is an API key that refers by `sub` to a credential of the verifier's document.
//! Everything is read as strictly as a fgac JSON document: unknown and duplicated claims and
//! `null` are errors, numbers are whole seconds.

use crate::error::{Diagnostic, Error, ErrorKind};
use crate::limits::Limits;
use crate::model::{CredentialKind, Expiry, Network, Permissions, Span};
use crate::ops::AccountRights;
use crate::syntax::json::fields::{
    Object, PermissionOut, account_rights, compact, networks, permission_out, permission_set,
    span_of, value,
};
use crate::time::Timestamp;
use serde_json::value::RawValue;

/// The longest credential id (`jti`) or signing-key id (`kid`), in bytes.
pub(crate) const MAX_ID_BYTES: usize = 128;

/// Whether `id` is a valid credential or key id: 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`
/// (what needs no escaping in a URL, a file name or a revocation log line).
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
}

/// The claims as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClaimsRead {
    /// `jti`.
    pub(crate) id: String,
    /// `iss`.
    pub(crate) issuer: Option<String>,
    /// `iat`.
    pub(crate) issued_at: Timestamp,
    /// `nbf`.
    pub(crate) not_before: Option<Timestamp>,
    /// `sub`: the credential's name.
    pub(crate) subject: String,
    /// `kind`.
    pub(crate) kind: CredentialKind,
    /// `exp`, or never.
    pub(crate) expiry: Expiry,
    /// Momento's token id (`token_id`).
    pub(crate) token_id: Option<String>,
    /// `networks`.
    pub(crate) networks: Vec<Network>,
    /// `account_rights`.
    pub(crate) account: AccountRights,
    /// `permissions` or `super_user`; `None` for a key that refers to the verifier's document.
    pub(crate) permissions: Option<Permissions>,
    /// `lineage`: the ancestors' ids, root first.
    pub(crate) lineage: Vec<String>,
    /// `refresh_sha256` and `refresh_until`: how an API key may be refreshed.
    pub(crate) refresh: Option<RefreshClaims>,
}

/// How an API key may be refreshed: the SHA-256 of its refresh secret and the latest any
/// successor may expire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RefreshClaims {
    /// SHA-256 of the refresh secret.
    pub(crate) secret_sha256: [u8; 32],
    /// The latest a successor may expire (its parent's expiry).
    pub(crate) until: Expiry,
}

use super::lineage::MAX_LINEAGE;

const CLAIM_FIELDS: &[&str] = &[
    "iss",
    "sub",
    "jti",
    "iat",
    "nbf",
    "exp",
    "kind",
    "token_id",
    "networks",
    "permissions",
    "super_user",
    "account_rights",
    "lineage",
    "refresh_sha256",
    "refresh_until",
];

fn problem(span: Span, message: impl Into<String>, help: &str) -> Error {
    Error::one(Diagnostic::new(ErrorKind::Json, span, message).with_help(help.to_owned()))
}

/// Reads the claims in `text` under `limits` (the grant and network limits apply before any
/// grant is built). Errors carry spans into `text`.
pub(crate) fn read_claims(text: &str, limits: &Limits) -> Result<ClaimsRead, Error> {
    let read = || -> Result<ClaimsRead, Error> {
        let c = Object::read(text, text, "the claims", CLAIM_FIELDS)?;
        let whole = Span::new(0, text.len());
        let jti = c.required_raw("jti")?;
        let id: String = value(text, jti)?;
        if !valid_id(&id) {
            return Err(problem(
                span_of(text, jti),
                format!("`{id}` is not a credential id"),
                "a `jti` is 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`",
            ));
        }
        let subject: String = c.required("sub")?;
        let seconds = |raw: &RawValue| value::<u64>(text, raw).map(Timestamp::from_unix_seconds);
        let issued_at = seconds(c.required_raw("iat")?)?;
        let not_before = c.raw("nbf")?.map(seconds).transpose()?;
        let expiry = c
            .raw("exp")?
            .map(seconds)
            .transpose()?
            .map_or(Expiry::Never, Expiry::At);
        let kind_raw = c.required_raw("kind")?;
        let kind = match value::<String>(text, kind_raw)?.as_str() {
            "api_key" => CredentialKind::ApiKey,
            "token" => CredentialKind::Token,
            other => {
                return Err(problem(
                    span_of(text, kind_raw),
                    format!("unknown kind `{other}`"),
                    "a credential's `kind` is `api_key` or `token`",
                ));
            }
        };
        let token_id: Option<String> = c.optional("token_id")?;
        let networks = networks(text, c.raw("networks")?, limits)?;
        let account = account_rights(text, c.raw("account_rights")?)?;
        let (permissions_raw, super_user) = (c.raw("permissions")?, c.raw("super_user")?);
        let permissions = if permissions_raw.is_none() && super_user.is_none() {
            if kind == CredentialKind::Token {
                return Err(problem(
                    whole,
                    "a token carries its permissions",
                    "add `permissions`; only an API key may refer to the verifier's document by `sub`",
                ));
            }
            if token_id.is_some() || !networks.is_empty() || !account.is_empty() {
                return Err(problem(
                    whole,
                    "a key that refers to the verifier's document takes its networks and account rights from there and has no token id",
                    "drop `networks`, `account_rights` and `token_id`, or give the key its `permissions`",
                ));
            }
            None
        } else {
            Some(permission_set(
                text,
                whole,
                &subject,
                kind,
                limits,
                permissions_raw,
                super_user,
            )?)
        };
        let lineage_raw = c.raw("lineage")?;
        let lineage: Vec<String> = c.optional("lineage")?.unwrap_or_default();
        if let Some(raw) = lineage_raw {
            if lineage.is_empty() || lineage.len() > MAX_LINEAGE {
                return Err(problem(
                    span_of(text, raw),
                    format!(
                        "a lineage names 1 to {MAX_LINEAGE} ancestors, not {}",
                        lineage.len()
                    ),
                    "leave `lineage` out for a credential minted from no signed credential",
                ));
            }
            if let Some(bad) = lineage.iter().find(|a| !valid_id(a)) {
                return Err(problem(
                    span_of(text, raw),
                    format!("`{bad}` is not a credential id"),
                    "a lineage lists `jti`s: 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`",
                ));
            }
        }
        let refresh = match (c.raw("refresh_sha256")?, c.raw("refresh_until")?) {
            (None, None) => None,
            (None, Some(raw)) => {
                return Err(problem(
                    span_of(text, raw),
                    "`refresh_until` without `refresh_sha256`",
                    "a key that cannot be refreshed has no refresh horizon",
                ));
            }
            (Some(raw), until) => {
                let hash: String = value(text, raw)?;
                let secret_sha256 = decode_sha256(&hash).ok_or_else(|| {
                    problem(
                        span_of(text, raw),
                        "`refresh_sha256` is not a SHA-256 in unpadded base64url",
                        "it is 43 characters from `A-Z a-z 0-9 - _`",
                    )
                })?;
                if kind != CredentialKind::ApiKey {
                    return Err(problem(
                        span_of(text, raw),
                        "only an API key is refreshed",
                        "a token carries no refresh secret",
                    ));
                }
                let until = until
                    .map(seconds)
                    .transpose()?
                    .map_or(Expiry::Never, Expiry::At);
                if !expiry.is_within(until) {
                    return Err(problem(
                        whole,
                        "the key expires after `refresh_until`, the latest its line may live",
                        "a key minted with a refresh horizon expires no later than it",
                    ));
                }
                Some(RefreshClaims {
                    secret_sha256,
                    until,
                })
            }
        };
        Ok(ClaimsRead {
            id,
            lineage,
            refresh,
            issuer: c.optional("iss")?,
            issued_at,
            not_before,
            subject,
            kind,
            expiry,
            token_id,
            networks,
            account,
            permissions,
        })
    };
    read().map_err(|e| e.with_source(text))
}

/// The 32 bytes of a SHA-256 in canonical unpadded base64url.
fn decode_sha256(text: &str) -> Option<[u8; 32]> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?
        .try_into()
        .ok()
}

/// The claims as compact JSON, in the order the module docs show.
pub(crate) fn write_claims(c: &ClaimsRead) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        iss: Option<&'a str>,
        sub: &'a str,
        jti: &'a str,
        iat: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        nbf: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        exp: Option<u64>,
        kind: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        token_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        networks: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        account_rights: Vec<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        permissions: Option<Vec<PermissionOut>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        super_user: Option<bool>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        lineage: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        refresh_sha256: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        refresh_until: Option<u64>,
    }
    let (permissions, super_user) = match &c.permissions {
        None => (None, None),
        Some(Permissions::SuperUser { .. }) => (None, Some(true)),
        Some(Permissions::Explicit(grants)) => (
            Some(grants.iter().map(|g| permission_out(g, true)).collect()),
            None,
        ),
    };
    compact(&Out {
        iss: c.issuer.as_deref(),
        sub: &c.subject,
        jti: &c.id,
        iat: c.issued_at.unix_seconds(),
        nbf: c.not_before.map(Timestamp::unix_seconds),
        exp: match c.expiry {
            Expiry::Never => None,
            Expiry::At(t) => Some(t.unix_seconds()),
        },
        kind: c.kind.as_str(),
        token_id: c.token_id.as_deref(),
        networks: c.networks.iter().map(ToString::to_string).collect(),
        account_rights: c.account.each().filter_map(AccountRights::name).collect(),
        permissions,
        super_user,
        lineage: &c.lineage,
        refresh_sha256: c.refresh.map(|r| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r.secret_sha256)
        }),
        refresh_until: c.refresh.and_then(|r| match r.until {
            Expiry::Never => None,
            Expiry::At(t) => Some(t.unix_seconds()),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<ClaimsRead, String> {
        read_claims(text, &Limits::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn claims_round_trip() {
        let text = r#"{"iss":"auth","sub":"checkout","jti":"a-1","iat":10,"nbf":10,"exp":20,"kind":"token","token_id":"user-42","networks":["10.0.0.0/8"],"permissions":[{"role":"readonly","cache":"c","item":"*"},{"effect":"deny","role":"readonly","cache":{"namePrefix":"s"},"item":{"keyPrefix":"x"}}]}"#;
        let c = read(text).unwrap();
        assert_eq!(write_claims(&c), text);
        let reference = r#"{"sub":"svc","jti":"b","iat":10,"kind":"api_key"}"#;
        let c = read(reference).unwrap();
        assert_eq!((c.permissions.as_ref(), c.expiry), (None, Expiry::Never));
        assert_eq!(write_claims(&c), reference);
    }

    #[test]
    fn refuses_what_is_not_exactly_claims() {
        for (text, wanted) in [
            (
                r#"{"sub":"s","jti":"a","iat":1,"kind":"api_key","sub":"t"}"#,
                "duplicate field `sub`",
            ),
            (
                r#"{"sub":"s","jti":"a","iat":1,"kind":"api_key","admin":true}"#,
                "unknown field `admin`",
            ),
            (
                r#"{"sub":"s","jti":"a","iat":1,"exp":null,"kind":"api_key"}"#,
                "`null` is not a value here",
            ),
            (
                r#"{"sub":"s","jti":"a","iat":1.5,"kind":"api_key"}"#,
                "invalid type",
            ),
            (
                r#"{"sub":"s","jti":"a b","iat":1,"kind":"api_key"}"#,
                "is not a credential id",
            ),
            (
                r#"{"sub":"s","jti":"a","iat":1,"kind":"token","exp":5}"#,
                "a token carries its permissions",
            ),
            (
                r#"{"sub":"s","jti":"a","iat":1,"kind":"api_key","networks":["10.0.0.0/8"]}"#,
                "takes its networks and account rights from there",
            ),
            (
                r#"{"sub":"s","jti":"a","iat":1,"kind":"api_key","account_rights":["auth_write"]}"#,
                "takes its networks and account rights from there",
            ),
            (
                r#"["s","a",1,"api_key"]"#,
                "expected the claims as a JSON object",
            ),
        ] {
            let err = read(text).unwrap_err();
            assert!(err.contains(wanted), "{text}: {err}");
        }
        let many: Vec<String> = (0..21)
            .map(|i| format!(r#"{{"role":"readonly","cache":"c{i}"}}"#))
            .collect();
        let text = format!(
            r#"{{"sub":"s","jti":"a","iat":1,"exp":9,"kind":"token","permissions":[{}]}}"#,
            many.join(",")
        );
        assert!(read(&text).unwrap_err().contains("max_grants_per_token"));
    }
}
