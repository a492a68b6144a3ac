//! The JSON front end: Momento's documented permission JSON, and fgac's key-store JSON.
//!
//! Two document forms are read, told apart by their top-level field:
//!
//! * **Momento scope** (one credential): `{"permissions": [...]}` or `{"super_user": true}`. It is
//!   loaded as an API key named [`DEFAULT_CREDENTIAL_NAME`] that never expires.
//! * **Key store** (many credentials): `{"credentials": [{"name": "svc", "kind": "api_key",
//!   "expires_at": 1798761600, "permissions": [...]}]}`, where `kind` is `api_key` or `token`,
//!   `expires_at` is epoch seconds or `"never"` (required: an expiry is never implied), and a
//!   credential has `permissions` or `"super_user": true`, and optionally a `token_id`.
//!
//! A permission is `{"role": ..., "cache": ..., "item": ...}` or `{"role": ..., "cache": ...,
//! "topic": ...}`, with an optional `"effect": "deny"` (fgac's extension; `allow` by default). The
//! selectors are spelt:
//!
//! | selector | all | a name / key | a prefix |
//! | --- | --- | --- | --- |
//! | `cache` | `"*"`, `{"all": true}` | `"name"`, `{"name": "..."}` | `{"namePrefix": "..."}` |
//! | `topic` | `"*"`, `{"all": true}`, omitted | `"name"`, `{"name": "..."}` | `{"namePrefix": "..."}` |
//! | `item` | `"*"`, `{"all": true}`, omitted | `{"key": "..."}`, `{"keyBase64": "..."}` | `{"keyPrefix": "..."}`, `{"keyPrefixBase64": "..."}` |
//!
//! Unknown fields, duplicated fields and numbers where strings belong are errors, each with the
//! line and column where it was found.

use super::base64;
use super::error::{Diagnostic, Error, ErrorKind, floor_char_boundary};
use super::suggest::did_you_mean;
use crate::limits::Limits;
use crate::model::{
    CacheSelector, Credential, CredentialKind, Document, Effect, Expiry, Grant, ItemSelector,
    Permissions, ResourceSelector, Role, Span, Timestamp, TopicSelector,
};
use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// The name given to the one credential of a Momento scope document.
pub const DEFAULT_CREDENTIAL_NAME: &str = "default";

/// Separates a message from its help line inside a serde error message.
const HELP_MARK: &str = "\nhelp: ";

/// Parses a JSON document (either form) with the default [`Limits`].
///
/// ```
/// let doc = fgac::json::parse(r#"{"permissions": [
///     {"role": "readonly", "cache": "data", "item": {"key": "foo"}}
/// ]}"#)?;
/// assert_eq!(doc.credentials[0].name, "default");
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn parse(text: &str) -> Result<Document, Error> {
    parse_with(text, &Limits::default())
}

/// Parses a JSON document (either form) under `limits`. Errors carry line and column.
pub fn parse_with(text: &str, limits: &Limits) -> Result<Document, Error> {
    parse_inner(text, limits).map_err(|e| e.with_source(text))
}

fn parse_inner(text: &str, limits: &Limits) -> Result<Document, Error> {
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
    expect_object(text, body.trim_start(), "a document")?;
    let top: TopJson<'_> = from_raw(text, body)?;
    let whole = Span::new(0, text.len());
    match (top.credentials, top.permissions, top.super_user) {
        (Some(credentials), None, None) => {
            if credentials.len() > limits.max_credentials {
                return Err(Error::one(Diagnostic::limit(
                    "max_credentials",
                    limits.max_credentials,
                    whole,
                    format!("document holds {} credentials", credentials.len()),
                )));
            }
            let mut out = Vec::with_capacity(credentials.len());
            for raw in credentials {
                out.push(credential(text, raw, limits)?);
            }
            Ok(Document { credentials: out })
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
            Ok(Document {
                credentials: vec![Credential {
                    name: DEFAULT_CREDENTIAL_NAME.to_owned(),
                    kind: CredentialKind::ApiKey,
                    expiry: Expiry::Never,
                    token_id: None,
                    permissions,
                    span: whole,
                }],
            })
        }
        (Some(_), _, _) => Err(Error::one(
            Diagnostic::new(
                ErrorKind::Json,
                whole,
                "a key store has `credentials` and nothing else at the top",
            )
            .with_help("move `permissions` or `super_user` into a credential"),
        )),
    }
}

/// serde's derived deserializers also read a JSON array as a struct, field by field in order, so
/// `["k", "api_key", "never", null, null, true]` would be a super-user key. fgac reads objects
/// only: anything else where an object belongs is an error.
fn expect_object(text: &str, raw: &str, what: &str) -> Result<(), Error> {
    if raw.starts_with('{') {
        return Ok(());
    }
    let start = offset_of(text, raw);
    let (found, _) = raw.split_at(floor_char_boundary(raw, raw.len().min(1)));
    Err(Error::one(Diagnostic::new(
        ErrorKind::Json,
        Span::new(start, start + found.len()),
        format!(
            "expected {what} as a JSON object `{{...}}`, found {}",
            match found.chars().next() {
                None => "the end of the input".to_owned(),
                Some(c) if c.is_control() => format!("`{}`", c.escape_debug()),
                Some(c) => format!("`{c}`"),
            }
        ),
    )))
}

/// The byte offset of `raw` (a slice of `text`) inside `text`.
fn offset_of(text: &str, raw: &str) -> usize {
    (raw.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len())
}

fn span_of(text: &str, raw: &RawValue) -> Span {
    let start = offset_of(text, raw.get());
    Span::new(start, start + raw.get().len())
}

/// Deserializes `raw`, a slice of `text`, reporting errors at their place in `text`.
fn from_raw<'a, T: Deserialize<'a>>(text: &str, raw: &'a str) -> Result<T, Error> {
    serde_json::from_str(raw).map_err(|e| Error::one(json_diagnostic(text, raw, &e)))
}

fn json_diagnostic(text: &str, raw: &str, err: &serde_json::Error) -> Diagnostic {
    let (line, column) = (err.line(), err.column());
    let mut message = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    if let Some(stripped) = message.strip_suffix(&suffix) {
        message.truncate(stripped.len());
    }
    // serde_json counts lines from 1 and columns in bytes from 1, and points at the last byte it
    // read: `column` bytes into the line is just past it. Line 0 means no position.
    let at = match line.checked_sub(2) {
        None => column * usize::from(line == 1),
        Some(newlines) => raw
            .match_indices('\n')
            .nth(newlines)
            .map_or(raw.len(), |(i, _)| i + 1 + column),
    }
    .min(raw.len());
    let at = floor_char_boundary(text, (offset_of(text, raw) + at).min(text.len()));
    let (start, end) = token_before(text, at);
    let (message, help) = match message.split_once(HELP_MARK) {
        Some((m, h)) => (m.to_owned(), Some(h.to_owned())),
        None => (message, None),
    };
    let d = Diagnostic::new(ErrorKind::Json, Span::new(start, end), message);
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

/// serde_json reports a position just past the token it rejects: widen it back over that token
/// (a string with its quotes, or a bare number or word) so the carets underline all of it.
fn token_before(text: &str, at: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    if at > 0 && bytes[at - 1] == b'"' {
        let mut i = at - 1;
        while i > 0 {
            i -= 1;
            if bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
                return (i, at);
            }
        }
    }
    let word = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.');
    let start = at - bytes[..at].iter().rev().take_while(|b| word(b)).count();
    if start < at {
        return (start, at);
    }
    // A punctuation character, or the end of the input: underline just that character.
    let before = floor_char_boundary(text, at.saturating_sub(1));
    if before < at {
        (before, at)
    } else {
        (
            at,
            floor_char_boundary(text, (at + 1).min(text.len())).max(at),
        )
    }
}

fn credential(text: &str, raw: &RawValue, limits: &Limits) -> Result<Credential, Error> {
    let span = span_of(text, raw);
    expect_object(text, raw.get(), "a credential")?;
    let c: CredentialJson<'_> = from_raw(text, raw.get())?;
    let kind = match c.kind {
        KindJson::ApiKey => CredentialKind::ApiKey,
        KindJson::Token => CredentialKind::Token,
    };
    let permissions = permission_set(
        text,
        span,
        &c.name,
        kind,
        limits,
        c.permissions,
        c.super_user,
    )?;
    Ok(Credential {
        name: c.name,
        kind,
        expiry: c.expires_at.0,
        token_id: c.token_id,
        permissions,
        span,
    })
}

/// The permissions of a credential of `kind`; a list longer than its limit is refused before any
/// grant is built.
fn permission_set(
    text: &str,
    span: Span,
    name: &str,
    kind: CredentialKind,
    limits: &Limits,
    permissions: Option<Vec<&RawValue>>,
    super_user: Option<bool>,
) -> Result<Permissions, Error> {
    match (permissions, super_user) {
        (Some(list), None) => {
            let (max, field) = match kind {
                CredentialKind::ApiKey => (limits.max_grants_per_key, "max_grants_per_key"),
                CredentialKind::Token => (limits.max_grants_per_token, "max_grants_per_token"),
            };
            if list.len() > max {
                return Err(Error::one(Diagnostic::limit(
                    field,
                    max,
                    span,
                    format!("credential `{name}` has {} grants", list.len()),
                )));
            }
            let mut grants = Vec::with_capacity(list.len());
            for raw in list {
                grants.push(grant(text, raw)?);
            }
            Ok(Permissions::Explicit(grants))
        }
        (None, Some(true)) => Ok(Permissions::SuperUser { span }),
        (None, Some(false)) => Err(Error::one(
            Diagnostic::new(ErrorKind::Json, span, "`super_user` can only be `true`")
                .with_help("omit `super_user` and list the `permissions` instead"),
        )),
        (Some(_), Some(_)) => Err(Error::one(
            Diagnostic::new(
                ErrorKind::Json,
                span,
                "`super_user` and `permissions` cannot both be given",
            )
            .with_help("a super user has every permission; drop one of the two"),
        )),
        (None, None) => Err(Error::one(Diagnostic::new(
            ErrorKind::Json,
            span,
            "expected `permissions` or `\"super_user\": true`",
        ))),
    }
}

fn grant(text: &str, raw: &RawValue) -> Result<Grant, Error> {
    let span = span_of(text, raw);
    expect_object(text, raw.get(), "a permission")?;
    let p: PermissionJson = from_raw(text, raw.get())?;
    let role = p.role.0;
    let resource = match (p.item, p.topic) {
        (Some(item), None) => ResourceSelector::Items(item.0),
        (None, Some(topic)) => ResourceSelector::Topics(topic.0),
        (None, None) if role.is_topic_role() => ResourceSelector::Topics(TopicSelector::All),
        (None, None) => ResourceSelector::Items(ItemSelector::All),
        (Some(_), Some(_)) => {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span,
                    "a permission selects an `item` or a `topic`, not both",
                )
                .with_help("split it into two permissions"),
            ));
        }
    };
    Ok(Grant {
        effect: p.effect.map_or(Effect::Allow, |e| e.0),
        role,
        cache: p.cache.0,
        resource,
        span,
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TopJson<'a> {
    #[serde(borrow, default)]
    credentials: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    permissions: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    super_user: Option<bool>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialJson<'a> {
    name: String,
    kind: KindJson,
    expires_at: ExpiryJson,
    #[serde(default)]
    token_id: Option<String>,
    #[serde(borrow, default)]
    permissions: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    super_user: Option<bool>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindJson {
    ApiKey,
    Token,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionJson {
    #[serde(default)]
    effect: Option<EffectJson>,
    role: RoleJson,
    cache: CacheJson,
    #[serde(default)]
    item: Option<ItemJson>,
    #[serde(default)]
    topic: Option<TopicJson>,
}

/// `"allow"` or `"deny"` (a private wrapper: the model's types carry no serde impls).
struct EffectJson(Effect);

impl<'de> Deserialize<'de> for EffectJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EffectJson, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        match name.as_ref() {
            "allow" => Ok(EffectJson(Effect::Allow)),
            "deny" => Ok(EffectJson(Effect::Deny)),
            other => Err(de::Error::unknown_variant(other, &["allow", "deny"])),
        }
    }
}

struct RoleJson(Role);

impl<'de> Deserialize<'de> for RoleJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RoleJson, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        match Role::from_name(&name) {
            Some(role) => Ok(RoleJson(role)),
            None => {
                let mut message = format!("unknown role `{name}`");
                match did_you_mean(&name, Role::ALL.iter().map(|r| r.as_str())) {
                    Some(s) => message += &format!("{HELP_MARK}did you mean `{s}`?"),
                    None => {
                        message += &format!(
                            "{HELP_MARK}roles are {}",
                            Role::ALL.map(|r| format!("`{}`", r.as_str())).join(", ")
                        )
                    }
                }
                Err(de::Error::custom(message))
            }
        }
    }
}

struct ExpiryJson(Expiry);

impl<'de> Deserialize<'de> for ExpiryJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ExpiryJson, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExpiryJson;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("epoch seconds (a non-negative integer) or \"never\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExpiryJson, E> {
                Ok(ExpiryJson(Expiry::At(Timestamp(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ExpiryJson, E> {
                if v == "never" {
                    Ok(ExpiryJson(Expiry::Never))
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Which selector a value is read as; each allows its own spellings.
#[derive(Clone, Copy)]
enum SelectorKind {
    Cache,
    Topic,
    Item,
}

impl SelectorKind {
    fn fields(self) -> &'static [&'static str] {
        match self {
            SelectorKind::Cache | SelectorKind::Topic => &["all", "name", "namePrefix"],
            SelectorKind::Item => &["all", "key", "keyPrefix", "keyBase64", "keyPrefixBase64"],
        }
    }
}

/// A selector as read, before it is checked against its kind.
enum Selector {
    All,
    Name(String),
    Prefix(String),
    Key(Vec<u8>),
    KeyPrefix(Vec<u8>),
}

struct SelectorVisitor(SelectorKind);

impl<'de> Visitor<'de> for SelectorVisitor {
    type Value = Selector;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SelectorKind::Cache => f.write_str(
                "a cache selector: a cache name, \"*\", or an object with `name`, `namePrefix` or `all`",
            ),
            SelectorKind::Topic => f.write_str(
                "a topic selector: a topic name, \"*\", or an object with `name`, `namePrefix` or `all`",
            ),
            SelectorKind::Item => f.write_str(
                "an item selector: \"*\", or an object with `key`, `keyPrefix`, `keyBase64`, `keyPrefixBase64` or `all`",
            ),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Selector, E> {
        match (v, self.0) {
            ("*", _) => Ok(Selector::All),
            (_, SelectorKind::Cache | SelectorKind::Topic) => Ok(Selector::Name(v.to_owned())),
            (_, SelectorKind::Item) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Selector, A::Error> {
        let Some(field) = map.next_key::<std::borrow::Cow<'de, str>>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        let fields = self.0.fields();
        let selector = match field.as_ref() {
            "all" => {
                if !map.next_value::<bool>()? {
                    return Err(de::Error::custom(format!(
                        "`all` can only be `true`{HELP_MARK}to select nothing, leave the permission out"
                    )));
                }
                Selector::All
            }
            "name" if fields.contains(&"name") => Selector::Name(map.next_value()?),
            "namePrefix" if fields.contains(&"namePrefix") => Selector::Prefix(map.next_value()?),
            "key" if fields.contains(&"key") => {
                Selector::Key(map.next_value::<String>()?.into_bytes())
            }
            "keyPrefix" if fields.contains(&"keyPrefix") => {
                Selector::KeyPrefix(map.next_value::<String>()?.into_bytes())
            }
            "keyBase64" if fields.contains(&"keyBase64") => {
                Selector::Key(decode_base64::<A::Error>(&map.next_value::<String>()?)?)
            }
            "keyPrefixBase64" if fields.contains(&"keyPrefixBase64") => {
                Selector::KeyPrefix(decode_base64::<A::Error>(&map.next_value::<String>()?)?)
            }
            other => return Err(de::Error::unknown_field(other, fields)),
        };
        if let Some(extra) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            return Err(de::Error::custom(format!(
                "a selector has exactly one field, found `{field}` and `{extra}`"
            )));
        }
        Ok(selector)
    }
}

fn decode_base64<E: de::Error>(text: &str) -> Result<Vec<u8>, E> {
    base64::decode(text).ok_or_else(|| {
        E::custom(format!(
            "`{text}` is not standard padded base64{HELP_MARK}write bytes as base64 with `+`, `/` and `=` padding"
        ))
    })
}

struct CacheJson(CacheSelector);
struct TopicJson(TopicSelector);
struct ItemJson(ItemSelector);

impl<'de> Deserialize<'de> for CacheJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CacheJson, D::Error> {
        Ok(CacheJson(
            match d.deserialize_any(SelectorVisitor(SelectorKind::Cache))? {
                Selector::All => CacheSelector::All,
                Selector::Name(n) => CacheSelector::Name(n),
                Selector::Prefix(p) => CacheSelector::Prefix(p),
                Selector::Key(_) | Selector::KeyPrefix(_) => unreachable_selector()?,
            },
        ))
    }
}

impl<'de> Deserialize<'de> for TopicJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TopicJson, D::Error> {
        Ok(TopicJson(
            match d.deserialize_any(SelectorVisitor(SelectorKind::Topic))? {
                Selector::All => TopicSelector::All,
                Selector::Name(n) => TopicSelector::Name(n),
                Selector::Prefix(p) => TopicSelector::Prefix(p),
                Selector::Key(_) | Selector::KeyPrefix(_) => unreachable_selector()?,
            },
        ))
    }
}

impl<'de> Deserialize<'de> for ItemJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ItemJson, D::Error> {
        Ok(ItemJson(
            match d.deserialize_any(SelectorVisitor(SelectorKind::Item))? {
                Selector::All => ItemSelector::All,
                Selector::Key(k) => ItemSelector::Key(k),
                Selector::KeyPrefix(p) => ItemSelector::Prefix(p),
                Selector::Name(_) | Selector::Prefix(_) => unreachable_selector()?,
            },
        ))
    }
}

/// The visitor only yields the spellings its kind allows; should that ever change, fail closed
/// with an error rather than a panic.
fn unreachable_selector<T, E: de::Error>() -> Result<T, E> {
    Err(E::custom("selector spelling not allowed here"))
}

// ---------------------------------------------------------------------------------------------
// Printing.

/// Prints `doc` in fgac's key-store form: one field per line, one permission per line, `"*"` for
/// all. Every model prints, and [`parse`] gives the same model back.
///
/// ```
/// let doc = fgac::json::parse(r#"{"super_user": true}"#)?;
/// let text = fgac::json::to_string(&doc);
/// assert_eq!(fgac::json::parse(&text)?, doc);
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn to_string(doc: &Document) -> String {
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
                    Expiry::At(t) => one_line(&t.0),
                },
            ),
        ];
        if let Some(id) = &c.token_id {
            fields.push(("token_id", one_line(id)));
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

/// Serializes `value` on one line, with a space after each `:` and `,`.
fn one_line<T: Serialize + ?Sized>(value: &T) -> String {
    struct Spaced;
    impl serde_json::ser::Formatter for Spaced {
        fn begin_object_key<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            if first { Ok(()) } else { w.write_all(b", ") }
        }
        fn begin_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
        ) -> std::io::Result<()> {
            w.write_all(b": ")
        }
        fn begin_array_value<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            if first { Ok(()) } else { w.write_all(b", ") }
        }
    }
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, Spaced);
    // Serializing these types cannot fail: every map key is a string, and a Vec never errs.
    let _ = value.serialize(&mut ser);
    String::from_utf8(buf).unwrap_or_default()
}

/// Prints one credential's permissions in Momento's scope form (`{"permissions": [...]}` or
/// `{"super_user": true}`). Fails, naming the grant, on what Momento's JSON cannot express: deny
/// rules and cache-name prefixes.
pub fn to_momento_scope(credential: &Credential) -> Result<String, Error> {
    let grants = match &credential.permissions {
        Permissions::SuperUser { .. } => {
            return Ok("{\"super_user\": true}".to_owned());
        }
        Permissions::Explicit(grants) => grants,
    };
    let mut problems = Vec::new();
    for (index, g) in grants.iter().enumerate() {
        if g.effect == Effect::Deny {
            problems.push(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    g.span,
                    format!("grant #{index} of `{}` is a deny rule, which Momento's JSON cannot express", credential.name),
                )
                .with_help("print fgac's key-store JSON instead"),
            );
        }
        if let CacheSelector::Prefix(p) = &g.cache {
            problems.push(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    g.span,
                    format!("grant #{index} of `{}` selects caches by the prefix `{p}`, which Momento's JSON cannot express", credential.name),
                )
                .with_help("name each cache, or print fgac's key-store JSON instead"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(Error::new(problems));
    }
    Ok(format!(
        "{{\"permissions\": {}}}",
        permission_lines(grants, false, "")
    ))
}

#[derive(Serialize)]
struct PermissionOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    effect: Option<&'static str>,
    role: &'static str,
    cache: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<serde_json::Value>,
}

fn permission_out(g: &Grant, with_effect: bool) -> PermissionOut {
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
        Err(_) => json!({ format!("{field}Base64"): base64::encode(bytes) }),
    };
    let cache = match &g.cache {
        CacheSelector::All => Value::from("*"),
        CacheSelector::Name(n) => name_or_object(n),
        CacheSelector::Prefix(p) => json!({ "namePrefix": p }),
    };
    let (item, topic) = match &g.resource {
        ResourceSelector::Items(ItemSelector::All) => (Some(Value::from("*")), None),
        ResourceSelector::Items(ItemSelector::Key(k)) => (Some(bytes("key", k)), None),
        ResourceSelector::Items(ItemSelector::Prefix(p)) => (Some(bytes("keyPrefix", p)), None),
        ResourceSelector::Topics(TopicSelector::All) => (None, Some(Value::from("*"))),
        ResourceSelector::Topics(TopicSelector::Name(n)) => (None, Some(name_or_object(n))),
        ResourceSelector::Topics(TopicSelector::Prefix(p)) => {
            (None, Some(json!({ "namePrefix": p })))
        }
    };
    PermissionOut {
        effect: (with_effect && g.effect == Effect::Deny).then_some("deny"),
        role: g.role.as_str(),
        cache,
        item,
        topic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_momentos_documented_example() {
        let doc = parse(
            r#"{"permissions": [
              {"role": "readonly", "cache": "data", "item": {"key": "foo"}},
              {"role": "readwrite", "cache": "data", "item": {"keyPrefix": "user:"}},
              {"role": "subscribeonly", "cache": "data", "topic": "bar"}
            ]}"#,
        )
        .unwrap();
        let Permissions::Explicit(grants) = &doc.credentials[0].permissions else {
            panic!("explicit")
        };
        assert_eq!(grants.len(), 3);
        assert_eq!(
            grants[1].resource,
            ResourceSelector::Items(ItemSelector::Prefix(b"user:".to_vec()))
        );
        assert_eq!(
            grants[2].resource,
            ResourceSelector::Topics(TopicSelector::Name("bar".into()))
        );
    }

    #[test]
    fn every_spelling_of_all_and_names_means_the_same() {
        let a = parse(r#"{"permissions":[{"role":"readwrite","cache":"*","item":"*"},{"role":"publishonly","cache":"x","topic":"t"}]}"#).unwrap();
        let b = parse(r#"{"permissions":[{"role":"readwrite","cache":{"all":true}},{"role":"publishonly","cache":{"name":"x"},"topic":{"name":"t"}}]}"#).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn spans_point_at_the_permission() {
        let text = r#"{"permissions": [ {"role":"readonly","cache":"c"} ]}"#;
        let doc = parse(text).unwrap();
        let Permissions::Explicit(grants) = &doc.credentials[0].permissions else {
            panic!()
        };
        let span = grants[0].span;
        assert_eq!(
            &text[span.start..span.end],
            r#"{"role":"readonly","cache":"c"}"#
        );
    }

    #[test]
    fn duplicate_fields_are_rejected_not_resolved() {
        let e = err(r#"{"permissions":[{"role":"readonly","role":"readwrite","cache":"c"}]}"#);
        assert!(e.contains("duplicate field `role`"), "{e}");
    }

    #[test]
    fn errors_have_line_column_and_help() {
        let e = err("{\"permissions\": [\n  {\"role\": \"readwrit\", \"cache\": \"c\"}\n]}");
        assert!(
            e.starts_with("error: unknown role `readwrit`\n --> <input>:2:"),
            "{e}"
        );
        assert!(e.contains("= help: did you mean `readwrite`?"), "{e}");
    }

    #[test]
    fn rejects_unknown_fields_numbers_and_odd_spellings() {
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":"c","itme":"*"}]}"#)
                .contains("unknown field `itme`")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":5}]}"#)
                .contains("invalid type: integer `5`")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":"c","item":"k"}]}"#)
                .contains("invalid value: string \"k\"")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":{"all":false}}]}"#)
                .contains("`all` can only be `true`")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":{"name":"a","namePrefix":"b"}}]}"#)
                .contains("exactly one field")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":"c","item":{"keyBase64":"!!"}}]}"#)
                .contains("not standard padded base64")
        );
        assert!(err(r#"{"super_user": false}"#).contains("can only be `true`"));
        assert!(
            err(
                r#"{"credentials":[{"name":"a","kind":"token","expires_at":-1,"super_user":true}]}"#
            )
            .contains("epoch seconds")
        );
        assert!(
            err(r#"{"credentials":[{"name":"a","kind":"token","super_user":true}]}"#)
                .contains("missing field `expires_at`")
        );
        assert!(err(r#"{}"#).contains("expected `permissions`"));
    }

    #[test]
    fn key_store_round_trips_with_binary_keys() {
        let text = r#"{"credentials":[
            {"name":"svc","kind":"api_key","expires_at":"never","permissions":[
                {"effect":"deny","role":"readwrite","cache":{"namePrefix":"tmp-"},"item":{"keyPrefixBase64":"/w=="}},
                {"role":"readonly","cache":{"name":"*"},"item":{"key":"k"}}]},
            {"name":"t","kind":"token","expires_at":1700000000,"token_id":"u1","permissions":[
                {"role":"publishonly","cache":"chat","topic":{"namePrefix":"room-"}}]},
            {"name":"root","kind":"api_key","expires_at":1800000000,"super_user":true}]}"#;
        let doc = parse(text).unwrap();
        assert_eq!(parse(&to_string(&doc)).unwrap(), doc);
        assert!(
            to_momento_scope(&doc.credentials[0])
                .unwrap_err()
                .to_string()
                .contains("deny rule")
        );
        let scope = to_momento_scope(&doc.credentials[1]).unwrap();
        assert_eq!(
            parse(&scope).unwrap().credentials[0].permissions,
            doc.credentials[1].permissions
        );
    }
}
