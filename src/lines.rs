//! The JSON lines of requests and decisions: `fgac decide` reads one request per line and writes
//! one answer per line; `fgac diff --json` and `fgac contains --json` (and the Python module's
//! `diff` and `contains`) print requests and decisions in exactly these forms, so that what they
//! report can be fed back to `decide`.
//!
//! A request is an object with `op`, and `key` (the credential's name, which may be left out
//! when the document holds one credential) or `token` (a presented credential, with `peer`), and
//! the resource: `cache` with one of `item`, `item_b64`, `items`, `items_b64` or `topic`; `cache`
//! alone for the cache itself; `store` with `item` or `item_b64` for an item of a store; nothing
//! for the account. Read by fgac's strict object reader: unknown and duplicated fields and `null`
//! are errors.

use crate::analysis::{Change, Counterexample, CredentialDiff};
use crate::decision::{BatchDecision, Decision, DenyReason, Outcome, OwnedResource, Resource};
use crate::model::{Expiry, Network};
use crate::ops::Operation;
use crate::syntax::json::{Object, to_line};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A request as a `decide` line holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLine {
    /// The credential's name, when given (`credential`, or `key`, its older name).
    pub credential: Option<String>,
    /// A presented credential (a signed API key or token), when given instead of a name.
    pub token: Option<String>,
    /// The client's address, when given.
    pub peer: Option<std::net::IpAddr>,
    /// The operation.
    pub op: Operation,
    /// What it acts on.
    pub target: RequestTarget,
}

/// What a request acts on: one resource, or the keys of a multi-key operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestTarget {
    /// One item, topic, cache, or the account.
    One(OwnedResource),
    /// Several items of one cache (`items`): allowed only when every key is.
    Batch {
        /// The cache.
        cache: String,
        /// The keys.
        keys: Vec<Vec<u8>>,
    },
}

const REQUEST_FIELDS: &[&str] = &[
    "credential",
    "key",
    "token",
    "peer",
    "op",
    "cache",
    "item",
    "item_b64",
    "items",
    "items_b64",
    "topic",
    "store",
];

/// The message of an error of fgac's reader, with its help, for the `{"error": ...}` answer.
fn message(e: &crate::Error) -> String {
    match e.diagnostics().first() {
        None => e.to_string(),
        Some(d) => match &d.help {
            Some(help) => format!("{}; {help}", d.message),
            None => d.message.clone(),
        },
    }
}

/// Reads one request line. The error is a message for the `{"error": ...}` answer.
pub fn parse_request(line: &str) -> Result<RequestLine, String> {
    if !line.trim_start().starts_with('{') {
        return Err("a request is a JSON object `{...}`".to_owned());
    }
    let f = Object::read(line, line, "a request", REQUEST_FIELDS).map_err(|e| message(&e))?;
    let credential: Option<String> = match (field(&f, "credential")?, field(&f, "key")?) {
        (Some(_), Some(_)) => {
            return Err("give `credential` or `key` (its older name), not both".to_owned());
        }
        (named, older) => named.or(older),
    };
    let token: Option<String> = field(&f, "token")?;
    if credential.is_some() && token.is_some() {
        return Err(
            "give `credential` (a name) or `token` (a presented credential), not both".to_owned(),
        );
    }
    let peer =
        match field::<String>(&f, "peer")? {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| {
                format!("`peer` holds `{text}`, which is not an IPv4 or IPv6 address")
            })?),
        };
    let op_name: String = f.required("op").map_err(|e| message(&e))?;
    let op: Operation = op_name.parse().map_err(|e| format!("{e}"))?;
    let cache: Option<String> = field(&f, "cache")?;
    let b64 = |name: &str, text: String| {
        base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map_err(|_| format!("`{name}` holds `{text}`, which is not standard padded base64"))
    };
    let item = match (field::<String>(&f, "item")?, field(&f, "item_b64")?) {
        (Some(_), Some(_)) => return Err("give `item` or `item_b64`, not both".to_owned()),
        (Some(text), None) => Some(text.into_bytes()),
        (None, Some(coded)) => Some(b64("item_b64", coded)?),
        (None, None) => None,
    };
    let items = match (
        field::<Vec<String>>(&f, "items")?,
        field::<Vec<String>>(&f, "items_b64")?,
    ) {
        (Some(_), Some(_)) => return Err("give `items` or `items_b64`, not both".to_owned()),
        (Some(keys), None) => Some(keys.into_iter().map(String::into_bytes).collect()),
        (None, Some(coded)) => Some(
            coded
                .into_iter()
                .map(|c| b64("items_b64", c))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        (None, None) => None,
    };
    let topic: Option<String> = field(&f, "topic")?;
    let given =
        usize::from(item.is_some()) + usize::from(items.is_some()) + usize::from(topic.is_some());
    if given > 1 {
        return Err("give one of `item`, `item_b64`, `items`, `items_b64` and `topic`".to_owned());
    }
    let store: Option<String> = field(&f, "store")?;
    if let Some(store) = store {
        return match (cache.is_some(), item, items.is_some() || topic.is_some()) {
            (false, Some(item), false) => Ok(RequestLine {
                credential,
                token,
                peer,
                op,
                target: RequestTarget::One(OwnedResource::StoreItem { store, key: item }),
            }),
            _ => Err(
                "`store` takes `item` or `item_b64`, and no `cache`, `items` or `topic`".to_owned(),
            ),
        };
    }
    let target = match (cache, item, items, topic) {
        (None, None, None, None) => RequestTarget::One(OwnedResource::Account),
        (None, _, _, _) => {
            return Err("`cache` is required with an item, items or a topic".to_owned());
        }
        (Some(cache), Some(key), _, _) => RequestTarget::One(OwnedResource::Item { cache, key }),
        (Some(cache), _, Some(keys), _) => RequestTarget::Batch { cache, keys },
        (Some(cache), _, _, Some(topic)) => {
            RequestTarget::One(OwnedResource::Topic { cache, topic })
        }
        (Some(cache), None, None, None) => RequestTarget::One(OwnedResource::Cache { cache }),
    };
    Ok(RequestLine {
        credential,
        token,
        peer,
        op,
        target,
    })
}

/// A field's value: absent is `None`; `null` and a value of the wrong type are errors naming the
/// field.
fn field<'a, T: Deserialize<'a>>(f: &Object<'a>, name: &str) -> Result<Option<T>, String> {
    f.optional(name)
        .map_err(|e| format!("`{name}`: {}", message(&e)))
}

/// A request as a `decide` line: `{"credential": ..., "op": ..., "cache": ..., "item": ...}`, with
/// `item_b64` for a key that is not UTF-8.
#[must_use]
pub fn request_to_json<'a>(credential: &'a str, op: Operation, resource: Resource<'a>) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        credential: &'a str,
        op: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        store: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        item: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        item_b64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        topic: Option<&'a str>,
    }
    let mut line = Line {
        credential,
        op: op.name(),
        cache: None,
        item: None,
        item_b64: None,
        topic: None,
        store: None,
    };
    let item = |key: &'a [u8]| match std::str::from_utf8(key) {
        Ok(text) => (Some(text), None),
        Err(_) => (
            None,
            Some(base64::engine::general_purpose::STANDARD.encode(key)),
        ),
    };
    match resource {
        Resource::Item { cache, key } => {
            line.cache = Some(cache);
            (line.item, line.item_b64) = item(key);
        }
        Resource::StoreItem { store, key } => {
            line.store = Some(store);
            (line.item, line.item_b64) = item(key);
        }
        Resource::Topic { cache, topic } => {
            line.cache = Some(cache);
            line.topic = Some(topic);
        }
        Resource::Cache { cache } => line.cache = Some(cache),
        Resource::Account => {}
    }
    to_line(&line)
}

/// What `decide` answers a request with: a credential's decision on one resource or on a batch,
/// or no credential of that name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A credential's decision on one resource.
    Decision(Decision),
    /// A credential's decision on a batch of keys.
    Batch(BatchDecision),
    /// The document holds no credential of the name asked for.
    UnknownCredential,
}

impl From<Outcome> for Answer {
    fn from(o: Outcome) -> Answer {
        match o {
            Outcome::Decided(d) => Answer::Decision(d),
            Outcome::UnknownCredential => Answer::UnknownCredential,
        }
    }
}

/// An answer as `decide` prints it: `{"decision":"allow"}`, or `{"decision":"deny",
/// "reason":REASON}` with `"rule":N` for `denied_by_rule` and `"failure":WHY` for
/// `unauthenticated` (an [`AuthFailure`](crate::AuthFailure)'s name). Reasons beyond a [`DenyReason`]'s are
/// `unknown_credential` and `empty_batch`.
///
#[must_use]
pub fn answer_to_json(answer: Answer) -> String {
    let deny = |reason: &str| format!(r#"{{"decision":"deny","reason":"{reason}"}}"#);
    let denied = |reason: DenyReason| match reason {
        DenyReason::DeniedByRule(rule) => format!(
            r#"{{"decision":"deny","reason":"{}","rule":{}}}"#,
            reason.as_str(),
            rule.index()
        ),
        DenyReason::Unauthenticated(why) => format!(
            r#"{{"decision":"deny","reason":"{}","failure":"{why}"}}"#,
            reason.as_str()
        ),
        _ => deny(reason.as_str()),
    };
    match answer {
        Answer::Decision(Decision::Allow) | Answer::Batch(BatchDecision::Allow) => {
            r#"{"decision":"allow"}"#.to_owned()
        }
        Answer::Decision(Decision::Deny(reason))
        | Answer::Batch(BatchDecision::Deny { reason, .. }) => denied(reason),
        Answer::Batch(BatchDecision::Empty) => deny("empty_batch"),
        Answer::UnknownCredential => deny("unknown_credential"),
    }
}

/// The answer to a line that is not a valid request: `{"error": MESSAGE}`.
#[must_use]
pub fn error_to_json(message: &str) -> String {
    let mut out = serde_json::Map::new();
    out.insert("error".into(), message.into());
    to_line(&out)
}

/// The result of a containment check as one JSON line, as `fgac contains --json` prints it:
/// `{"contained": true|false, "expiry_ok": true|false}`, and when not contained, `"request"` (a
/// `fgac decide` request line naming `inner_name`) and `"inner"` and `"outer"`, what `decide`
/// answers for it on each side.
#[must_use]
pub fn containment_json(
    inner_name: &str,
    result: &Result<(), Box<Counterexample>>,
    expiry_ok: bool,
) -> String {
    #[derive(serde::Serialize)]
    struct Line {
        contained: bool,
        expiry_ok: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        request: Option<Box<RawValue>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        inner: Option<Box<RawValue>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        outer: Option<Box<RawValue>>,
    }
    let raw = |text: String| RawValue::from_string(text).ok();
    let line = match result {
        Ok(()) => Line {
            contained: true,
            expiry_ok,
            request: None,
            inner: None,
            outer: None,
        },
        Err(c) => Line {
            contained: false,
            expiry_ok,
            request: raw(request_to_json(inner_name, c.op, c.resource.as_resource())),
            inner: raw(answer_to_json(Answer::Decision(c.inner))),
            outer: raw(answer_to_json(Answer::Decision(c.outer))),
        },
    };
    to_line(&line)
}

/// Each change of `diff` as one JSON line: `{"credential": NAME, "change": KIND, "request": REQUEST,
/// "old": DECISION, "new": DECISION}`, where KIND is `now_allowed`, `now_denied`, `reason`,
/// `added`, `removed`, `expiry`, `kind` or `super_user`; REQUEST is exactly a `fgac decide`
/// request line and DECISION exactly what `decide` answers on that side. A change of the
/// credential itself has no request; its `old` and `new` are its values (kind names, expiry as
/// epoch seconds or `"never"`, booleans), and `added` and `removed` have neither.
#[must_use]
pub fn diff_lines(diff: &CredentialDiff) -> Vec<String> {
    diff.changes
        .iter()
        .map(|change| change_line(&diff.name, change))
        .collect()
}

/// One JSON line of [`diff_lines`].
fn change_line(name: &str, change: &Change) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        credential: &'a str,
        change: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        request: Option<Box<RawValue>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old: Option<Box<RawValue>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        new: Option<Box<RawValue>>,
    }
    let raw = |text: String| RawValue::from_string(text).ok();
    let expiry = |e: Expiry| match e {
        Expiry::Never => "\"never\"".to_owned(),
        Expiry::At(t) => t.unix_seconds().to_string(),
    };
    let (kind, request, old, new) = match change {
        Change::Added => ("added", None, None, None),
        Change::Removed => ("removed", None, None, None),
        Change::Kind { old, new } => (
            "kind",
            None,
            raw(format!("\"{}\"", old.as_str())),
            raw(format!("\"{}\"", new.as_str())),
        ),
        Change::Expiry { old, new } => ("expiry", None, raw(expiry(*old)), raw(expiry(*new))),
        Change::SuperUser { old, new } => (
            "super_user",
            None,
            raw(old.to_string()),
            raw(new.to_string()),
        ),
        Change::Networks { old, new } => {
            let list = |n: &[Network]| {
                let names: Vec<String> = n.iter().map(ToString::to_string).collect();
                raw(to_line(&names))
            };
            ("networks", None, list(old), list(new))
        }
        Change::Decision(d) => (
            d.kind.as_str(),
            raw(request_to_json(name, d.op, d.resource.as_resource())),
            raw(answer_to_json(d.old.into())),
            raw(answer_to_json(d.new.into())),
        ),
    };
    to_line(&Line {
        credential: name,
        change: kind,
        request,
        old,
        new,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_their_line() {
        for (op, resource) in [
            (Operation::Get, Resource::item("c", b"k")),
            (Operation::Get, Resource::item("c", b"\xff\x00")),
            (Operation::Publish, Resource::topic("c", "t\u{202e}")),
            (Operation::FlushCache, Resource::cache("c")),
            (Operation::ListCaches, Resource::Account),
        ] {
            let line = request_to_json("k", op, resource);
            let back = parse_request(&line).unwrap();
            assert_eq!(back.credential.as_deref(), Some("k"));
            assert_eq!(back.op, op);
            assert_eq!(back.target, RequestTarget::One(resource.into()), "{line}");
            assert!(!line.contains('\u{202e}'), "escaped: {line}");
        }
    }

    #[test]
    fn answers_are_one_line_each() {
        use crate::{AuthFailure, RuleId};
        let d = Decision::Deny(DenyReason::DeniedByRule(RuleId::new(2)));
        assert_eq!(
            answer_to_json(Answer::Decision(d)),
            r#"{"decision":"deny","reason":"denied_by_rule","rule":2}"#
        );
        assert_eq!(
            answer_to_json(Answer::UnknownCredential),
            r#"{"decision":"deny","reason":"unknown_credential"}"#
        );
        let forged = Decision::Deny(DenyReason::Unauthenticated(AuthFailure::BadSignature));
        assert_eq!(
            answer_to_json(Answer::Decision(forged)),
            r#"{"decision":"deny","reason":"unauthenticated","failure":"bad_signature"}"#
        );
        assert_eq!(
            request_to_json("svc", Operation::Get, Resource::item("c", b"\xff")),
            r#"{"credential":"svc","op":"get","cache":"c","item_b64":"/w=="}"#
        );
    }

    #[test]
    fn bad_requests_say_why() {
        for (line, fragment) in [
            (
                r#"{"op":"get","key":null}"#,
                "`key`: `null` is not a value here",
            ),
            (
                r#"{"op":"get","credential":"a","key":"a"}"#,
                "give `credential` or `key` (its older name), not both",
            ),
            (r#"{"op":"get","cache":"c","item":null}"#, "`item`: `null`"),
            (r#"{"op":"get","op":"set"}"#, "duplicate field `op`"),
            (r#"{"op":"get","cach":"c"}"#, "unknown field `cach`"),
            (r#"{"op":"gett"}"#, "did you mean `get`?"),
            (r#"{"op":"get","item":"k"}"#, "`cache` is required"),
            (
                r#"{"op":"get","cache":"c","item":"k","topic":"t"}"#,
                "give one of",
            ),
            (
                r#"{"op":"get","cache":"c","items_b64":["!"]}"#,
                "not standard padded base64",
            ),
            (
                r#"{"op":"get","cache":5}"#,
                "`cache`: invalid type: integer `5`",
            ),
            (r#"["get"]"#, "a JSON object"),
        ] {
            let e = parse_request(line).unwrap_err();
            assert!(e.contains(fragment), "{line}: {e}");
        }
        let batch =
            parse_request(r#"{"op":"get_batch","cache":"c","items_b64":["/w==","YQ=="]}"#).unwrap();
        assert_eq!(
            batch.target,
            RequestTarget::Batch {
                cache: "c".into(),
                keys: vec![vec![0xff], b"a".to_vec()]
            }
        );
    }
}
