//! Momento's "Version 2" permission rules as JSON: the reader of `{"rules": [...]}` documents
//! and [`to_momento_v2`], whose docs give the spelling.

use super::object::{Object, not_null};
use super::read::{optional, span_of, value};
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::limits::Limits;
use crate::model::{
    CacheSelector, CredentialDef, ItemSelector, Network, Permissions, ResourceSelector, Span,
    TopicSelector,
};
use crate::ops::AccountRights;
use crate::syntax::momento::{Perms, RuleError, RuleKind, RuleSet, momento_credential, rules_of};
use serde_json::value::RawValue;

fn problem(span: Span, message: impl Into<String>, help: impl Into<String>) -> Error {
    Error::one(Diagnostic::new(ErrorKind::Json, span, message).with_help(help))
}

const RULE_FIELDS: &[&str] = &["type", "permissions", "caches", "items", "topics", "stores"];

/// A selector object's fields: exactly one of them, by selector kind.
const SELECTOR_FIELDS: &[&str] = &[
    "name",
    "prefix",
    "key",
    "key_prefix",
    "key_base64",
    "key_prefix_base64",
];

/// `"*"`, or a selector object's one field: its name and its value.
enum Selector<'a> {
    All,
    Field(&'static str, &'a RawValue),
}

/// Reads the selector `raw` (the field `field` of a rule), whose object may hold one of `allowed`.
fn selector<'a>(
    text: &'a str,
    raw: &'a RawValue,
    field: &str,
    allowed: &[&'static str],
) -> Result<Selector<'a>, Error> {
    not_null(text, raw)?;
    let spelled = allowed
        .iter()
        .map(|f| format!("{{\"{f}\": ...}}"))
        .collect::<Vec<_>>()
        .join(", ");
    if raw.get().starts_with('"') {
        let s: String = value(text, raw)?;
        if s == "*" {
            return Ok(Selector::All);
        }
        return Err(problem(
            span_of(text, raw),
            format!("`{field}` is the string `{s}`, which v2 rules do not read as a name"),
            format!("write `\"*\"` for all, or {spelled}"),
        ));
    }
    let s = Object::read_value(text, raw, &format!("`{field}`"), SELECTOR_FIELDS)?;
    let mut given: Vec<(&'static str, &RawValue)> = Vec::new();
    for name in SELECTOR_FIELDS {
        if let Some(v) = s.raw(name)? {
            given.push((name, v));
        }
    }
    match given.as_slice() {
        [(name, v)] if allowed.contains(name) => Ok(Selector::Field(name, v)),
        [(name, v)] => Err(problem(
            span_of(text, v),
            format!("`{field}` does not select by `{name}`"),
            format!("write `\"*\"` for all, or {spelled}"),
        )),
        _ => Err(problem(
            span_of(text, raw),
            format!("`{field}` must hold exactly one of {spelled}"),
            "a selector selects one way",
        )),
    }
}

fn string(text: &str, raw: &RawValue) -> Result<String, Error> {
    value(text, raw)
}

fn key_bytes(text: &str, name: &str, raw: &RawValue) -> Result<Vec<u8>, Error> {
    let s = string(text, raw)?;
    if name.ends_with("_base64") {
        super::key_from_base64(&s).ok_or_else(|| {
            problem(
                span_of(text, raw),
                format!("`{s}` is not standard padded base64"),
                "write the key bytes as base64 with `+`, `/` and `=` padding",
            )
        })
    } else {
        Ok(s.into_bytes())
    }
}

fn perms(text: &str, raw: &RawValue) -> Result<Perms, Error> {
    let list: Vec<&RawValue> = value(text, raw)?;
    if list.is_empty() {
        return Err(problem(
            span_of(text, raw),
            "`permissions` is empty",
            "list `read`, `write` or `list`; a rule that permits nothing is not written",
        ));
    }
    let mut out = Perms::default();
    for raw in list {
        let name = string(text, raw)?;
        let slot = match name.as_str() {
            "read" => &mut out.read,
            "write" => &mut out.write,
            "list" => &mut out.list,
            _ => {
                return Err(problem(
                    span_of(text, raw),
                    format!("unknown permission `{name}`"),
                    match crate::suggest::did_you_mean(&name, ["read", "write", "list"]) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "the permissions are `read`, `write` and `list`".to_owned(),
                    },
                ));
            }
        };
        if *slot {
            return Err(problem(
                span_of(text, raw),
                format!("the permission `{name}` is listed twice"),
                "list each permission once",
            ));
        }
        *slot = true;
    }
    Ok(out)
}

/// The selector field `field` of `rule`, which v2 rules always write.
fn required<'a>(rule: &Object<'a>, field: &str) -> Result<&'a RawValue, Error> {
    rule.raw(field)?.ok_or_else(|| {
        problem(
            rule.span(),
            format!("the rule has no `{field}`"),
            format!("write `\"{field}\": \"*\"` for all: v2 rules imply no selector"),
        )
    })
}

/// Refuses the fields a rule of `kind` does not have.
fn refuse_fields(rule: &Object<'_>, fields: &[&str], kind: &str) -> Result<(), Error> {
    for name in fields {
        if let Some(at) = rule.span_of(name) {
            return Err(problem(
                at,
                format!("a `{kind}` rule has no `{name}`"),
                format!("remove `{name}`"),
            ));
        }
    }
    Ok(())
}

fn rule(text: &str, raw: &RawValue, out: &mut RuleSet) -> Result<(), Error> {
    let r = Object::read_value(text, raw, "a rule", RULE_FIELDS)?;
    let span = r.span();
    let kind_raw = r.required_raw("type")?;
    let permissions = r.required_raw("permissions")?;
    let name = string(text, kind_raw)?;
    let kind = match name.as_str() {
        "cache" => RuleKind::Cache,
        "topic" => RuleKind::Topic,
        "store" => RuleKind::Store,
        "account_management" => RuleKind::AccountManagement,
        "auth_management" => RuleKind::AuthManagement,
        "resource_management" => RuleKind::ResourceManagement,
        "function" | "database" => {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    span_of(text, kind_raw),
                    format!("`{name}` rules are not supported: fgac authorizes caches, topics, stores and account management"),
                )
                .with_help("remove the rule"),
            ));
        }
        other => {
            return Err(problem(
                span_of(text, kind_raw),
                format!("unknown rule type `{other}`"),
                "the types are `cache`, `topic`, `store`, `account_management`, `auth_management` and `resource_management`",
            ));
        }
    };
    let p = perms(text, permissions)?;
    let selectors = if kind.is_management() {
        refuse_fields(&r, &["caches", "items", "topics", "stores"], kind.name())?;
        None
    } else {
        Some(selectors(&r, kind)?)
    };
    out.add(kind, p, selectors, span).map_err(|e| {
        let at = match e {
            RuleError::ListWithSelector => span,
            RuleError::RightTwice(_) => span_of(text, permissions),
        };
        let (message, help) = e.parts();
        problem(at, message, help)
    })
}

/// The selectors of a cache, topic or store rule: every one required, none of another kind.
fn selectors(r: &Object<'_>, kind: RuleKind) -> Result<(CacheSelector, ResourceSelector), Error> {
    let text = r.text();
    const ITEMS: &[&str] = &["key", "key_prefix", "key_base64", "key_prefix_base64"];
    let item_of = |raw: &RawValue| -> Result<ItemSelector, Error> {
        Ok(match selector(text, raw, "items", ITEMS)? {
            Selector::All => ItemSelector::All,
            Selector::Field(name, v) if name.starts_with("key_prefix") => {
                ItemSelector::Prefix(key_bytes(text, name, v)?)
            }
            Selector::Field(name, v) => ItemSelector::Key(key_bytes(text, name, v)?),
        })
    };
    let name_of = |raw: &RawValue, field: &str| -> Result<CacheSelector, Error> {
        Ok(match selector(text, raw, field, &["name"])? {
            Selector::All => CacheSelector::All,
            Selector::Field(_, v) => CacheSelector::Name(string(text, v)?),
        })
    };
    let (cache, resource) = match kind {
        RuleKind::Store => {
            refuse_fields(r, &["caches", "topics"], "store")?;
            let store = name_of(required(r, "stores")?, "stores")?;
            let item = item_of(required(r, "items")?)?;
            (store, ResourceSelector::StoreItems(item))
        }
        RuleKind::Topic => {
            refuse_fields(r, &["items", "stores"], "topic")?;
            let cache = name_of(required(r, "caches")?, "caches")?;
            let t = required(r, "topics")?;
            let topic = match selector(text, t, "topics", &["name", "prefix"])? {
                Selector::All => TopicSelector::All,
                Selector::Field("name", v) => TopicSelector::Name(string(text, v)?),
                Selector::Field(_, v) => TopicSelector::Prefix(string(text, v)?),
            };
            (cache, ResourceSelector::Topics(topic))
        }
        _ => {
            refuse_fields(r, &["topics", "stores"], "cache")?;
            let cache = name_of(required(r, "caches")?, "caches")?;
            let item = item_of(required(r, "items")?)?;
            (cache, ResourceSelector::Items(item))
        }
    };
    Ok((cache, resource))
}

/// Reads the `conditions` of a v2 document: the networks of its one `ip_filter`.
fn conditions(text: &str, raw: &RawValue, limits: &Limits) -> Result<Vec<Network>, Error> {
    let list: Vec<&RawValue> = value(text, raw)?;
    match list.as_slice() {
        [] => Err(problem(
            span_of(text, raw),
            "`conditions` is empty",
            "leave `conditions` out for none",
        )),
        [one] => {
            let c = Object::read_value(text, one, "a condition", &["ip_filter"])?;
            let f = Object::read_value(
                text,
                c.required_raw("ip_filter")?,
                "an `ip_filter`",
                &["allowed_cidr_ranges"],
            )?;
            let allowed = f.required_raw("allowed_cidr_ranges")?;
            let ranges: Vec<&RawValue> = value(text, allowed)?;
            if ranges.is_empty() {
                return Err(problem(
                    span_of(text, allowed),
                    "`allowed_cidr_ranges` is empty, which would allow no address",
                    "leave the condition out to allow every address, or list the ranges",
                ));
            }
            super::read::networks(text, Some(allowed), limits)
        }
        [_, second, ..] => Err(problem(
            span_of(text, second),
            "more than one condition",
            "fgac reads one `ip_filter`; list every range in its `allowed_cidr_ranges`",
        )),
    }
}

/// Reads a v2 document's credential from its top-level `rules` / `super_user` and `conditions`.
pub(super) fn credential(
    text: &str,
    whole: Span,
    rules: Option<&RawValue>,
    super_user: Option<&RawValue>,
    conditions_raw: Option<&RawValue>,
    limits: &Limits,
) -> Result<CredentialDef, Error> {
    let networks = match conditions_raw {
        Some(raw) => conditions(text, raw, limits)?,
        None => Vec::new(),
    };
    let (permissions, account) = match (rules, optional::<bool>(text, super_user)?) {
        (Some(raw), None) => {
            let list: Vec<&RawValue> = value(text, raw)?;
            if list.len() > limits.max_grants_per_key {
                return Err(Error::one(Diagnostic::limit(
                    "max_grants_per_key",
                    limits.max_grants_per_key,
                    span_of(text, raw),
                    format!("the document holds {} rules", list.len()),
                )));
            }
            let mut rules = RuleSet::default();
            for r in list {
                rule(text, r, &mut rules)?;
            }
            (Permissions::Explicit(rules.grants), rules.account)
        }
        (None, Some(true)) => (Permissions::SuperUser { span: whole }, AccountRights::NONE),
        (Some(_), Some(_)) => {
            return Err(problem(
                whole,
                "`super_user` and `rules` cannot both be given",
                "a super user has every permission; drop one of the two",
            ));
        }
        _ => {
            return Err(problem(
                whole,
                "expected `rules` or `\"super_user\": true`",
                "a v2 document is `{\"rules\": [...]}`",
            ));
        }
    };
    Ok(momento_credential(permissions, account, networks, whole))
}

/// Momento's "Version 2" permission rules as JSON (fgac's spelling of `permissionrules.proto`,
/// following MOMENTO.md's sketch): one credential, read as an API key named `default` that never
/// expires, as Momento's v1 scope JSON is.
///
/// ```text
/// {"rules": [
///   {"type": "cache", "permissions": ["read", "write"], "caches": {"name": "prod"}, "items": {"key_prefix": "public/"}},
///   {"type": "topic", "permissions": ["read"], "caches": "*", "topics": {"prefix": "news-"}},
///   {"type": "cache", "permissions": ["list"], "caches": "*", "items": "*"},
///   {"type": "resource_management", "permissions": ["write", "list"]}
/// ], "conditions": [{"ip_filter": {"allowed_cidr_ranges": ["10.0.0.0/8"]}}]}
/// ```
///
/// * `type`: `cache`, `topic`, `store`, `account_management`, `auth_management`,
///   `resource_management` (`function` and `database` rules are refused by name: fgac does not
///   authorize them);
/// * `permissions`: a non-empty list of `read`, `write`, `list`, each once. On caches and stores,
///   `read` and `write` are the v1 roles' rights (both: `readwrite`); on topics, `read` is subscribe and
///   `write` publish. `list` is "always total" (Momento): it is written only with `"*"` for every
///   selector of its rule, since a selector beside it would not restrict it, and is held as an
///   account right (`cache_list`, `topic_list`, `store_list`);
/// * `caches`: `"*"` or `{"name": "..."}`; `items`: `"*"`, `{"key": "..."}`, `{"key_prefix": "..."}`
///   (or `key_base64`, `key_prefix_base64` for bytes that are not UTF-8); `topics`: `"*"`,
///   `{"name": "..."}`, `{"prefix": "..."}`; `stores`: `"*"` or `{"name": "..."}`. Every selector of a rule is required: none is implied;
/// * management rules have `permissions` only (Momento's management rules select everything);
/// * `conditions`: at most one `ip_filter`, whose `allowed_cidr_ranges` become the credential's
///   networks.
///
/// A super user is `{"super_user": true}`, the same text as in v1 (and read as v1, which means the
/// same).
///
/// Prints one credential as a v2 document, refusing (one diagnostic each) what v2 cannot say: a
/// credential that is not an API key named `default` that never expires, deny rules, and cache
/// prefixes. Networks become an `ip_filter` condition; account rights, management rules and
/// `list` permissions.
///
/// ```
/// use fgac::syntax::{self, Format};
/// let doc = syntax::parse(r#"key "default" {
///     expires never
///     allow resource_write
///     allow readwrite cache "c" items prefix "user:"
/// }"#)?;
/// let v2 = syntax::to_string(&doc, Format::MomentoV2Json)?;
/// assert_eq!(v2, concat!(
///     "{\"rules\": [\n",
///     "  {\"type\": \"cache\", \"permissions\": [\"read\", \"write\"], \"caches\": {\"name\": \"c\"}, \"items\": {\"key_prefix\": \"user:\"}},\n",
///     "  {\"type\": \"resource_management\", \"permissions\": [\"write\"]}\n",
///     "]}\n"));
/// assert_eq!(syntax::parse(&v2)?, doc);
/// # Ok::<(), fgac::Error>(())
/// ```
pub(crate) fn to_momento_v2(credential: &CredentialDef) -> Result<String, Error> {
    use serde_json::{Value, json};
    /// A rule, its fields in the documented order.
    #[derive(serde::Serialize)]
    struct RuleOut {
        #[serde(rename = "type")]
        kind: &'static str,
        permissions: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        caches: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        stores: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        items: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        topics: Option<Value>,
    }

    let problems = crate::syntax::momento::refusals(
        credential,
        "Momento's v2 JSON",
        crate::syntax::momento::Model::V2,
        "print fgac's key-store JSON instead",
    );
    if !problems.is_empty() {
        return Err(Error::new(problems));
    }
    let conditions = (!credential.networks.is_empty()).then(|| {
        let ranges: Vec<String> = credential
            .networks
            .iter()
            .map(ToString::to_string)
            .collect();
        super::write::one_line(&json!([{ "ip_filter": { "allowed_cidr_ranges": ranges } }]))
    });
    if let Permissions::SuperUser { .. } = credential.permissions {
        return Ok(match conditions {
            Some(c) => format!("{{\"super_user\": true, \"conditions\": {c}}}"),
            None => "{\"super_user\": true}".to_owned(),
        });
    }
    let bytes = |field: &str, b: &[u8]| match std::str::from_utf8(b) {
        Ok(s) => json!({ field: s }),
        Err(_) => {
            use base64::Engine as _;
            json!({ format!("{field}_base64"): base64::engine::general_purpose::STANDARD.encode(b) })
        }
    };
    let all = || Some(Value::from("*"));
    let mut rules: Vec<RuleOut> = Vec::new();
    for r in rules_of(credential) {
        let p = r.perms;
        let permissions = [(p.read, "read"), (p.write, "write"), (p.list, "list")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| Value::from(*n))
            .collect();
        let mut out = RuleOut {
            kind: r.kind.name(),
            permissions,
            caches: None,
            stores: None,
            items: None,
            topics: None,
        };
        match (r.kind, r.grant) {
            (RuleKind::Cache | RuleKind::Topic | RuleKind::Store, Some(g)) => {
                let selected = Some(match &g.cache {
                    CacheSelector::Name(n) => json!({ "name": n }),
                    _ => Value::from("*"),
                });
                if g.resource.is_store() {
                    out.stores = selected;
                } else {
                    out.caches = selected;
                }
                match &g.resource {
                    ResourceSelector::Items(item) | ResourceSelector::StoreItems(item) => {
                        out.items = Some(match item {
                            ItemSelector::All => Value::from("*"),
                            ItemSelector::Key(k) => bytes("key", k),
                            ItemSelector::Prefix(p) => bytes("key_prefix", p),
                        })
                    }
                    ResourceSelector::Topics(topic) => {
                        out.topics = Some(match topic {
                            TopicSelector::All => Value::from("*"),
                            TopicSelector::Name(n) => json!({ "name": n }),
                            TopicSelector::Prefix(p) => json!({ "prefix": p }),
                        })
                    }
                }
            }
            (RuleKind::Cache, None) => (out.caches, out.items) = (all(), all()),
            (RuleKind::Topic, None) => (out.caches, out.topics) = (all(), all()),
            (RuleKind::Store, None) => (out.stores, out.items) = (all(), all()),
            _ => {}
        }
        rules.push(out);
    }
    let lines: Vec<String> = rules
        .iter()
        .map(|r| format!("  {}", super::write::one_line(r)))
        .collect();
    let rules = if lines.is_empty() {
        "[]".to_owned()
    } else {
        format!("[\n{}\n]", lines.join(",\n"))
    };
    Ok(match conditions {
        Some(c) => format!("{{\"rules\": {rules}, \"conditions\": {c}}}"),
        None => format!("{{\"rules\": {rules}}}"),
    })
}
