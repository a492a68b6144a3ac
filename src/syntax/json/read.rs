//! Reading the two JSON forms into the model.
//!
//! Every field's value is first taken as a raw slice of the input ([`RawValue`]), so its span is
//! known exactly, and then decoded from that slice on its own. That gives three guarantees:
//!
//! * `null` is never read as "absent": a field given as `null` is an error at the `null`
//!   (serde's `Option` would read it as a missing field, turning `"item": null` into every item);
//! * every error inside a value underlines that value, not the end of the object around it (serde
//!   positions an error raised while reading an object after the object's closing brace);
//! * objects are required where objects belong: serde's derived deserializers also read an array
//!   as a struct, field by field, which would make `["k","api_key","never",null,null,true]` a
//!   super-user key.

use super::HELP_MARK;
use super::object::{Object, not_null};
use crate::error::{Diagnostic, Error, ErrorKind, floor_char_boundary};
use crate::limits::Limits;
use crate::model::{
    CacheSelector, CredentialDef, CredentialKind, Effect, Expiry, Grant, ItemSelector, Network,
    Permissions, ResourceSelector, Role, Span, TopicSelector,
};
use crate::ops::AccountRights;
use crate::suggest::did_you_mean;
use crate::time::Timestamp;
use base64::Engine as _;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// What the JSON value starting `raw` is, for messages: "`null`", "a number", ...
fn describe(raw: &str) -> String {
    match raw.bytes().next() {
        None => "the end of the input".to_owned(),
        Some(b'n') if raw.starts_with("null") => "`null`".to_owned(),
        Some(b't' | b'f') => "a boolean".to_owned(),
        Some(b'"') => "a string".to_owned(),
        Some(b'[') => "an array".to_owned(),
        Some(b'-' | b'0'..=b'9') => "a number".to_owned(),
        Some(_) => {
            let (found, _) = raw.split_at(floor_char_boundary(raw, raw.len().min(1)));
            format!("`{}`", found.escape_debug())
        }
    }
}

/// Requires `raw` (a slice of `text`) to be a JSON object.
pub(crate) fn expect_object(text: &str, raw: &str, what: &str) -> Result<(), Error> {
    if raw.starts_with('{') {
        return Ok(());
    }
    let start = offset_of(text, raw);
    let len = raw
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'+'))
        .count()
        .max(floor_char_boundary(raw, raw.len().min(1)).max(usize::from(!raw.is_empty())));
    let end = floor_char_boundary(text, (start + len).min(text.len()));
    Err(Error::one(Diagnostic::new(
        ErrorKind::Json,
        Span::new(start, end.max(start)),
        format!(
            "expected {what} as a JSON object `{{...}}`, found {}",
            describe(raw)
        ),
    )))
}

/// The byte offset of `raw` (a slice of `text`) inside `text`.
fn offset_of(text: &str, raw: &str) -> usize {
    (raw.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len())
}

pub(crate) fn span_of(text: &str, raw: &RawValue) -> Span {
    let start = offset_of(text, raw.get());
    Span::new(start, start + raw.get().len())
}

/// Decodes `raw`, a slice of `text` holding one JSON value, reporting errors at their place in
/// `text`.
pub(crate) fn decode<'a, T: Deserialize<'a>>(text: &str, raw: &'a str) -> Result<T, Error> {
    serde_json::from_str(raw).map_err(|e| Error::one(json_diagnostic(text, raw, &e)))
}

/// serde_json reads the raw values above without looking into them, and describes a syntax error
/// inside one only vaguely (`expected value` for a trailing comma). On an error, this reads the
/// document again through every array and object, for serde_json's precise message.
pub(super) fn syntax_error(text: &str, raw: &str) -> Option<Error> {
    struct Walk;
    impl<'de> Deserialize<'de> for Walk {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Walk, D::Error> {
            d.deserialize_any(Walk)
        }
    }
    impl<'de> Visitor<'de> for Walk {
        type Value = Walk;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Walk, E> {
            Ok(Walk)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Walk, E> {
            Ok(Walk)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Walk, E> {
            Ok(Walk)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Walk, E> {
            Ok(Walk)
        }
        fn visit_str<E>(self, _: &str) -> Result<Walk, E> {
            Ok(Walk)
        }
        fn visit_unit<E>(self) -> Result<Walk, E> {
            Ok(Walk)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Walk, A::Error> {
            while seq.next_element::<Walk>()?.is_some() {}
            Ok(Walk)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Walk, A::Error> {
            while map.next_entry::<de::IgnoredAny, Walk>()?.is_some() {}
            Ok(Walk)
        }
    }
    match serde_json::from_str::<Walk>(raw) {
        Err(e) if !e.is_data() => Some(Error::one(json_diagnostic(text, raw, &e))),
        _ => None,
    }
}

/// Decodes a field's value: anything but `null`.
pub(crate) fn value<'a, T: Deserialize<'a>>(text: &str, raw: &'a RawValue) -> Result<T, Error> {
    not_null(text, raw)?;
    decode(text, raw.get())
}

/// Decodes an optional field's value: absent is `None`, `null` an error.
pub(crate) fn optional<'a, T: Deserialize<'a>>(
    text: &str,
    raw: Option<&'a RawValue>,
) -> Result<Option<T>, Error> {
    raw.map(|raw| value(text, raw)).transpose()
}

pub(crate) fn json_diagnostic(text: &str, raw: &str, err: &serde_json::Error) -> Diagnostic {
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
    let base = offset_of(text, raw);
    let (start, end) = if line == 0 || (at >= raw.trim_end().len() && err.is_data()) {
        // An error raised once the whole value was read (an unknown role, a missing field, a
        // selector with two fields) has no position, or one after the value: the value is what is
        // wrong.
        (base, base + raw.trim_end().len())
    } else {
        token_before(text, floor_char_boundary(text, (base + at).min(text.len())))
    };
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

pub(super) fn credential(
    text: &str,
    raw: &RawValue,
    limits: &Limits,
) -> Result<CredentialDef, Error> {
    let c = Object::read_value(text, raw, "a credential", CREDENTIAL_FIELDS)?;
    let span = c.span();
    let name: String = c.required("name")?;
    let kind = match c.required("kind")? {
        KindJson::ApiKey => CredentialKind::ApiKey,
        KindJson::Token => CredentialKind::Token,
    };
    let expiry = c.required::<ExpiryJson>("expires_at")?.0;
    let token_id = c.optional("token_id")?;
    let permissions = permission_set(
        text,
        span,
        &name,
        kind,
        limits,
        c.raw("permissions")?,
        c.raw("super_user")?,
    )?;
    let networks = networks(text, c.raw("networks")?, limits)?;
    let account = account_rights(text, c.raw("account_rights")?)?;
    Ok(CredentialDef {
        name,
        kind,
        expiry,
        token_id,
        permissions,
        account,
        networks,
        span,
    })
}

/// `"networks": ["10.0.0.0/8", ...]`: absent is every address; an empty list is refused rather
/// than read as "no address" or "every address".
/// A credential's `account_rights`: a non-empty list of right names, each once; left out, none.
pub(crate) fn account_rights(text: &str, raw: Option<&RawValue>) -> Result<AccountRights, Error> {
    let Some(raw) = raw else {
        return Ok(AccountRights::NONE);
    };
    let list: Vec<&RawValue> = value(text, raw)?;
    if list.is_empty() {
        return Err(Error::one(
            Diagnostic::new(
                ErrorKind::Json,
                span_of(text, raw),
                "`account_rights` is empty",
            )
            .with_help("leave `account_rights` out for none, or list the rights"),
        ));
    }
    let mut rights = AccountRights::NONE;
    for raw in list {
        let name: String = value(text, raw)?;
        let Some(right) = AccountRights::from_name(&name) else {
            let names = AccountRights::NAMED.iter().map(|(_, n)| *n);
            let help = match did_you_mean(&name, names) {
                Some(near) => format!("did you mean `{near}`?"),
                None => "the rights are account_read, account_write, account_list, auth_read, auth_write, auth_list, resource_read, resource_write, resource_list, cache_list, topic_list, store_list".to_owned(),
            };
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span_of(text, raw),
                    format!("unknown account right `{name}`"),
                )
                .with_help(help),
            ));
        };
        if rights.contains(right) {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span_of(text, raw),
                    format!("the account right `{name}` is listed twice"),
                )
                .with_help("list each right once"),
            ));
        }
        rights = rights.union(right);
    }
    Ok(rights)
}

pub(crate) fn networks(
    text: &str,
    raw: Option<&RawValue>,
    limits: &Limits,
) -> Result<Vec<Network>, Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let list: Vec<&RawValue> = value(text, raw)?;
    if list.is_empty() {
        return Err(Error::one(
            Diagnostic::new(
                ErrorKind::Json,
                span_of(text, raw),
                "`networks` is empty, which would allow no address",
            )
            .with_help("leave `networks` out to allow every address, or list the networks"),
        ));
    }
    if list.len() > limits.max_networks_per_credential {
        return Err(Error::one(Diagnostic::limit(
            "max_networks_per_credential",
            limits.max_networks_per_credential,
            span_of(text, raw),
            format!("`networks` lists {} networks", list.len()),
        )));
    }
    list.into_iter()
        .map(|raw| {
            let cidr: String = value(text, raw)?;
            cidr.parse::<Network>().map_err(|e| {
                let (message, help) = e.parts();
                let d = Diagnostic::new(ErrorKind::Json, span_of(text, raw), message.to_owned());
                Error::one(match help {
                    Some(h) => d.with_help(h.to_owned()),
                    None => d,
                })
            })
        })
        .collect()
}

/// The permissions of a credential of `kind`; a list longer than its limit is refused before any
/// grant is built.
pub(crate) fn permission_set(
    text: &str,
    span: Span,
    name: &str,
    kind: CredentialKind,
    limits: &Limits,
    permissions: Option<&RawValue>,
    super_user: Option<&RawValue>,
) -> Result<Permissions, Error> {
    let list: Option<Vec<&RawValue>> = optional(text, permissions)?;
    let super_user_span = super_user.map(|raw| span_of(text, raw));
    match (list, optional::<bool>(text, super_user)?) {
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
            Diagnostic::new(
                ErrorKind::Json,
                super_user_span.unwrap_or(span),
                "`super_user` can only be `true`",
            )
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
    let p = Object::read_value(text, raw, "a permission", PERMISSION_FIELDS)?;
    let span = p.span();
    let effect = p
        .optional::<EffectJson>("effect")?
        .map_or(Effect::Allow, |e| e.0);
    let role = p.required::<RoleJson>("role")?.0;
    let (cache_raw, store_raw) = (p.raw("cache")?, p.raw("store")?);
    let (selector, store) = match (cache_raw, store_raw) {
        (Some(raw), None) => (raw, false),
        (None, Some(raw)) => (raw, true),
        (Some(_), Some(raw)) => {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span_of(text, raw),
                    "a permission selects a `cache` or a `store`, not both",
                )
                .with_help("split it into two permissions"),
            ));
        }
        (None, None) => {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span,
                    "a permission needs a `cache` (or a `store`)",
                )
                .with_help("add `\"cache\": \"*\"` for every cache"),
            ));
        }
    };
    // Stores are named as caches are.
    let cache = decode::<Sel<CacheSelector>>(text, selector.get())?.0;
    let item = p.optional::<Sel<ItemSelector>>("item")?;
    let topic = p.optional::<Sel<TopicSelector>>("topic")?;
    if store {
        if let Some(raw) = p.raw("topic")? {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span_of(text, raw),
                    "a store holds items, not topics",
                )
                .with_help(
                    "select the store's items with `item`, or a cache's topics with `cache`",
                ),
            ));
        }
        return Ok(Grant {
            effect,
            role,
            cache,
            resource: ResourceSelector::StoreItems(item.map_or(ItemSelector::All, |i| i.0)),
            span,
        });
    }
    let resource = match (item, topic) {
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
        effect,
        role,
        cache,
        resource,
        span,
    })
}

// Each shape names its fields; their values are decoded one by one from their raw text.

const CREDENTIAL_FIELDS: &[&str] = &[
    "name",
    "kind",
    "expires_at",
    "token_id",
    "permissions",
    "super_user",
    "networks",
    "account_rights",
];

const PERMISSION_FIELDS: &[&str] = &["effect", "role", "cache", "store", "item", "topic"];

#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindJson {
    ApiKey,
    Token,
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
                Ok(ExpiryJson(Expiry::At(Timestamp::from_unix_seconds(v))))
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
        // `String` and `bool` refuse `null` themselves: only `Option` reads it as "absent".
        let selector = match field.as_ref() {
            "all" => {
                if !map.next_value::<bool>()? {
                    return Err(de::Error::custom(format!(
                        "`all` can only be `true`{HELP_MARK}to select nothing, leave the permission out"
                    )));
                }
                Selector::All
            }
            "name" if fields.contains(&"name") => Selector::Name(map.next_value::<String>()?),
            "namePrefix" if fields.contains(&"namePrefix") => {
                Selector::Prefix(map.next_value::<String>()?)
            }
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
    // The standard alphabet with canonical padding and no stray bits: one spelling per key.
    base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| {
        E::custom(format!(
            "`{text}` is not standard padded base64{HELP_MARK}write bytes as base64 with `+`, `/` and `=` padding"
        ))
    })
}

/// A selector of type `T`, read in the spellings its kind allows.
struct Sel<T>(T);

/// A selector type, made from what the visitor read.
trait FromSelector: Sized {
    const KIND: SelectorKind;
    /// `None` for a spelling of another kind (which the visitor never yields for `KIND`).
    fn from_selector(s: Selector) -> Option<Self>;
}

impl FromSelector for CacheSelector {
    const KIND: SelectorKind = SelectorKind::Cache;
    fn from_selector(s: Selector) -> Option<CacheSelector> {
        match s {
            Selector::All => Some(CacheSelector::All),
            Selector::Name(n) => Some(CacheSelector::Name(n)),
            Selector::Prefix(p) => Some(CacheSelector::Prefix(p)),
            Selector::Key(_) | Selector::KeyPrefix(_) => None,
        }
    }
}

impl FromSelector for TopicSelector {
    const KIND: SelectorKind = SelectorKind::Topic;
    fn from_selector(s: Selector) -> Option<TopicSelector> {
        match s {
            Selector::All => Some(TopicSelector::All),
            Selector::Name(n) => Some(TopicSelector::Name(n)),
            Selector::Prefix(p) => Some(TopicSelector::Prefix(p)),
            Selector::Key(_) | Selector::KeyPrefix(_) => None,
        }
    }
}

impl FromSelector for ItemSelector {
    const KIND: SelectorKind = SelectorKind::Item;
    fn from_selector(s: Selector) -> Option<ItemSelector> {
        match s {
            Selector::All => Some(ItemSelector::All),
            Selector::Key(k) => Some(ItemSelector::Key(k)),
            Selector::KeyPrefix(p) => Some(ItemSelector::Prefix(p)),
            Selector::Name(_) | Selector::Prefix(_) => None,
        }
    }
}

impl<'de, T: FromSelector> Deserialize<'de> for Sel<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sel<T>, D::Error> {
        match T::from_selector(d.deserialize_any(SelectorVisitor(T::KIND))?) {
            Some(t) => Ok(Sel(t)),
            None => unreachable_selector(),
        }
    }
}

/// The visitor only yields the spellings its kind allows; should that ever change, fail closed
/// with an error rather than a panic.
fn unreachable_selector<T, E: de::Error>() -> Result<T, E> {
    Err(E::custom("selector spelling not allowed here"))
}
