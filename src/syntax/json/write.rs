//! Printing the model as JSON: fgac's JSON (lossless) and Momento's scope JSON (refused,
//! naming each thing it cannot express).
//!
//! Strings escape every character that does not show as itself (controls, bidirectional
//! overrides, zero-width characters) as `\uXXXX`, so a reviewer reading the JSON reads what the
//! engine matches.

use crate::error::Error;
use crate::escape::plainly_visible;
use crate::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Effect, Expiry, Grant, ItemSelector,
    Permissions, ResourceSelector, TopicSelector,
};
use crate::ops::AccountRights;
use base64::Engine as _;
use serde::Serialize;
use std::io;

/// Prints `doc` in fgac's JSON: one field per line, one permission per line, `"*"` for all.
/// Every model prints, and reading it gives the same model back.
///
/// ```
/// use fgac::syntax::{self, Format};
/// let doc = syntax::parse(r#"{"super_user": true}"#)?;
/// let text = syntax::to_string(&doc, Format::FgacJson)?;
/// assert_eq!(syntax::parse(&text)?, doc);
/// # Ok::<(), fgac::Error>(())
/// ```
#[must_use]
pub(crate) fn to_string(doc: &Document) -> String {
    let mut out = String::from("{\n  \"credentials\": [");
    for (i, c) in doc.credentials.iter().enumerate() {
        out += if i == 0 { "\n    {\n" } else { ",\n    {\n" };
        let mut fields = vec![
            ("name", one_line(&c.name)),
            ("kind", one_line(&c.kind.as_str())),
            (
                "expires_at",
                match c.expiry {
                    Expiry::Never => one_line(&"never"),
                    Expiry::At(t) => one_line(&t.unix_seconds()),
                },
            ),
        ];
        if let Some(id) = &c.token_id {
            fields.push(("token_id", one_line(id)));
        }
        if !c.networks.is_empty() {
            let list: Vec<String> = c.networks.iter().map(ToString::to_string).collect();
            fields.push(("networks", one_line(&list)));
        }
        if !c.account.is_empty() {
            let list: Vec<&str> = c.account.each().filter_map(AccountRights::name).collect();
            fields.push(("account_rights", one_line(&list)));
        }
        match &c.permissions {
            Permissions::SuperUser { .. } => fields.push(("super_user", one_line(&true))),
            Permissions::Explicit(grants) => {
                fields.push(("permissions", permission_lines(grants, true, "      ")))
            }
        }
        let lines: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("      \"{k}\": {v}"))
            .collect();
        out += &lines.join(",\n");
        out += "\n    }";
    }
    out += if doc.credentials.is_empty() {
        "]\n}"
    } else {
        "\n  ]\n}"
    };
    out
}

/// `[`, one permission per line at `indent` + 2, `]`.
fn permission_lines(grants: &[Grant], with_effect: bool, indent: &str) -> String {
    if grants.is_empty() {
        return "[]".to_owned();
    }
    let lines: Vec<String> = grants
        .iter()
        .map(|g| format!("{indent}  {}", one_line(&permission_out(g, with_effect))))
        .collect();
    format!("[\n{}\n{indent}]", lines.join(",\n"))
}

/// serde_json's compact output with a space after each `:` and `,`, and every character that does
/// not show as itself escaped.
struct Readable;

impl serde_json::ser::Formatter for Readable {
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        separator(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        separator(w, first)
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        escaped_fragment(w, fragment)
    }
}

/// `, ` before every element but the first.
fn separator<W: ?Sized + io::Write>(w: &mut W, first: bool) -> io::Result<()> {
    if first { Ok(()) } else { w.write_all(b", ") }
}

/// serde_json's compact output, with every character that does not show as itself escaped.
struct Compact;

impl serde_json::ser::Formatter for Compact {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        escaped_fragment(w, fragment)
    }
}

/// Writes a run of string characters, escaping those that do not show as themselves as
/// `\uXXXX` (serde_json escapes quotes, backslashes and C0 controls itself).
fn escaped_fragment<W: ?Sized + io::Write>(w: &mut W, fragment: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in fragment.char_indices() {
        if !plainly_visible(c) {
            w.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
    }
    w.write_all(&fragment.as_bytes()[start..])
}

/// Serializes `value` with `formatter`.
fn serialize<T: Serialize + ?Sized>(
    value: &T,
    formatter: impl serde_json::ser::Formatter,
) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    // Serializing these types cannot fail: every map key is a string, and a Vec never errs.
    let _ = value.serialize(&mut ser);
    String::from_utf8(buf).unwrap_or_default()
}

/// Serializes `value` compactly (see [`Compact`]).
pub(crate) fn compact<T: Serialize + ?Sized>(value: &T) -> String {
    serialize(value, Compact)
}

/// `value` as one line of compact JSON in which every character that does not show as itself
/// (controls, bidirectional overrides, zero-width characters) is escaped as `\uXXXX`: what a
/// JSON line printed from policy text holds, so that it reads as what it means.
///
/// ```
/// assert_eq!(fgac::syntax::json::to_line(&["a\u{202e}b"]), r#"["a\u202eb"]"#);
/// ```
#[must_use]
pub fn to_line<T: Serialize + ?Sized>(value: &T) -> String {
    compact(value)
}

/// Serializes `value` on one line (see [`Readable`]).
pub(super) fn one_line<T: Serialize + ?Sized>(value: &T) -> String {
    serialize(value, Readable)
}

/// Prints one credential in Momento's scope JSON (`{"permissions": [...]}` or
/// `{"super_user": true}`), which is read back as an API key named `default` that never
/// expires.
///
/// Refuses, naming each, what that format cannot say: deny rules, cache-name prefixes, and a
/// credential that is not an API key named `default` that never expires and may be used from
/// anywhere (a disposable token, an expiry, a token id, networks, another name). Printing those anyway would give a document that decides
/// differently.
///
/// ```
/// use fgac::syntax::{self, Format};
/// let doc = syntax::parse(r#"token "t" { expires 2027-01-01T00:00:00Z  allow readonly cache "c" }"#)?;
/// let err = syntax::to_string(&doc, Format::MomentoJson).unwrap_err();
/// assert_eq!(
///     err.diagnostics()[0].message,
///     "Momento's JSON cannot express the name `t`, the kind (a disposable token), the expiry (2027-01-01T00:00:00Z) of `t`"
/// );
/// # Ok::<(), fgac::Error>(())
/// ```
pub(crate) fn to_momento_scope(credential: &CredentialDef) -> Result<String, Error> {
    let problems = crate::syntax::momento::refusals(
        credential,
        "Momento's JSON",
        crate::syntax::momento::Model::V1,
        "print fgac's key-store JSON instead",
    );
    if !problems.is_empty() {
        return Err(Error::new(problems));
    }
    Ok(match &credential.permissions {
        Permissions::SuperUser { .. } => "{\"super_user\": true}".to_owned(),
        Permissions::Explicit(grants) => format!(
            "{{\"permissions\": {}}}",
            permission_lines(grants, false, "")
        ),
    })
}

/// `credential`, read from Momento's JSON, written back in that form for `fgac fmt`: with the
/// extensions fgac reads there (deny rules, cache prefixes, stores, a top-level `networks`)
/// kept, since reformatting must keep every decision. Converting to Momento's JSON
/// ([`to_momento_scope`]) refuses them instead, since Momento cannot read them. What reading
/// Momento's JSON never gives (another name, a token, an expiry, a token id, account rights) is
/// refused as there.
pub(crate) fn to_momento_scope_as_read(credential: &CredentialDef) -> Result<String, Error> {
    let as_read = credential.name == super::DEFAULT_CREDENTIAL_NAME
        && credential.kind == CredentialKind::ApiKey
        && credential.expiry == Expiry::Never
        && credential.token_id.is_none()
        && credential.account.is_empty();
    if !as_read {
        return to_momento_scope(credential);
    }
    let permissions = match &credential.permissions {
        Permissions::SuperUser { .. } => "\"super_user\": true".to_owned(),
        Permissions::Explicit(grants) => {
            format!("\"permissions\": {}", permission_lines(grants, true, ""))
        }
    };
    if credential.networks.is_empty() {
        return Ok(format!("{{{permissions}}}"));
    }
    let list: Vec<String> = credential
        .networks
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(format!(
        "{{{permissions},\n\"networks\": {}}}",
        one_line(&list)
    ))
}

#[derive(Serialize)]
pub(crate) struct PermissionOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    effect: Option<&'static str>,
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<serde_json::Value>,
}

pub(crate) fn permission_out(g: &Grant, with_effect: bool) -> PermissionOut {
    use serde_json::{Value, json};
    let name_or_object = |name: &str| {
        if name == "*" {
            json!({ "name": name })
        } else {
            Value::from(name)
        }
    };
    let bytes = |field: &str, bytes: &[u8]| match std::str::from_utf8(bytes) {
        Ok(s) => json!({ field: s }),
        Err(_) => {
            json!({ format!("{field}Base64"): base64::engine::general_purpose::STANDARD.encode(bytes) })
        }
    };
    let cache = match &g.cache {
        CacheSelector::All => Value::from("*"),
        CacheSelector::Name(n) => name_or_object(n),
        CacheSelector::Prefix(p) => json!({ "namePrefix": p }),
    };
    let (item, topic) = match &g.resource {
        ResourceSelector::Items(ItemSelector::All)
        | ResourceSelector::StoreItems(ItemSelector::All) => (Some(Value::from("*")), None),
        ResourceSelector::Items(ItemSelector::Key(k))
        | ResourceSelector::StoreItems(ItemSelector::Key(k)) => (Some(bytes("key", k)), None),
        ResourceSelector::Items(ItemSelector::Prefix(p))
        | ResourceSelector::StoreItems(ItemSelector::Prefix(p)) => {
            (Some(bytes("keyPrefix", p)), None)
        }
        ResourceSelector::Topics(TopicSelector::All) => (None, Some(Value::from("*"))),
        ResourceSelector::Topics(TopicSelector::Name(n)) => (None, Some(name_or_object(n))),
        ResourceSelector::Topics(TopicSelector::Prefix(p)) => {
            (None, Some(json!({ "namePrefix": p })))
        }
    };
    PermissionOut {
        effect: (with_effect && g.effect == Effect::Deny).then_some("deny"),
        role: g.role.as_str(),
        cache: (!g.resource.is_store()).then(|| cache.clone()),
        store: g.resource.is_store().then_some(cache),
        item,
        topic,
    }
}
