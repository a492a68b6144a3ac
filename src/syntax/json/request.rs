//! The JSON lines `fgac decide` reads and writes: one request per line in, one decision per line
//! out. `fgac diff --json` and `fgac contains --json` print requests and decisions in exactly
//! these forms, so that what they report can be fed back to `decide`.
//!
//! A request is an object with `op`, and `key` (the credential's name, which may be left out
//! when the document holds one credential), and the resource: `cache` with one of `item`,
//! `item_b64`, `items`, `items_b64` or `topic`; `cache` alone for the cache itself; `store` with
//! `item` or `item_b64` for an item of a store; nothing for the account. Unknown fields, duplicated fields and `null` are errors.

use crate::decision::{BatchDecision, Decision, DenyReason, Outcome, OwnedResource, Resource};
use crate::ops::Operation;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A request as a `decide` line holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLine {
    /// The credential's name, when given.
    pub key: Option<String>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields<'a> {
    #[serde(borrow, default, deserialize_with = "super::raw")]
    key: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    token: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    peer: Option<&'a RawValue>,
    #[serde(borrow)]
    op: &'a RawValue,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    cache: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    item: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    item_b64: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    items: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    items_b64: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    topic: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "super::raw")]
    store: Option<&'a RawValue>,
}

/// Reads one request line. The error is a message for the `{"error": ...}` answer.
///
/// ```
/// use fgac::syntax::json::{parse_request, RequestTarget};
/// let r = parse_request(r#"{"key": "svc", "op": "get", "cache": "c", "item_b64": "/w=="}"#)?;
/// assert_eq!(r.target, RequestTarget::One(fgac::OwnedResource::Item { cache: "c".into(), key: vec![0xff] }));
/// assert!(parse_request(r#"{"key": null, "op": "get"}"#).unwrap_err().contains("`key`"));
/// # Ok::<(), String>(())
/// ```
pub fn parse_request(line: &str) -> Result<RequestLine, String> {
    if !line.trim_start().starts_with('{') {
        return Err("a request is a JSON object `{...}`".to_owned());
    }
    let f: Fields<'_> = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let key: Option<String> = field("key", f.key)?;
    let token: Option<String> = field("token", f.token)?;
    if key.is_some() && token.is_some() {
        return Err("give `key` (a name) or `token` (a presented credential), not both".to_owned());
    }
    let peer =
        match field::<String>("peer", f.peer)? {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| {
                format!("`peer` holds `{text}`, which is not an IPv4 or IPv6 address")
            })?),
        };
    let op_name: String = field("op", Some(f.op))?.unwrap_or_default();
    let op: Operation = op_name.parse().map_err(|e| format!("{e}"))?;
    let cache: Option<String> = field("cache", f.cache)?;
    let b64 = |name: &str, text: String| {
        base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map_err(|_| format!("`{name}` holds `{text}`, which is not standard padded base64"))
    };
    let item = match (
        field::<String>("item", f.item)?,
        field("item_b64", f.item_b64)?,
    ) {
        (Some(_), Some(_)) => return Err("give `item` or `item_b64`, not both".to_owned()),
        (Some(text), None) => Some(text.into_bytes()),
        (None, Some(coded)) => Some(b64("item_b64", coded)?),
        (None, None) => None,
    };
    let items = match (
        field::<Vec<String>>("items", f.items)?,
        field::<Vec<String>>("items_b64", f.items_b64)?,
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
    let topic: Option<String> = field("topic", f.topic)?;
    let given =
        usize::from(item.is_some()) + usize::from(items.is_some()) + usize::from(topic.is_some());
    if given > 1 {
        return Err("give one of `item`, `item_b64`, `items`, `items_b64` and `topic`".to_owned());
    }
    let store: Option<String> = field("store", f.store)?;
    if let Some(store) = store {
        return match (cache.is_some(), item, items.is_some() || topic.is_some()) {
            (false, Some(item), false) => Ok(RequestLine {
                key,
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
        key,
        token,
        peer,
        op,
        target,
    })
}

/// A field's value: absent is `None`; `null` and a value of the wrong type are errors naming the
/// field.
fn field<'a, T: Deserialize<'a>>(
    name: &str,
    raw: Option<&'a RawValue>,
) -> Result<Option<T>, String> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.get() == "null" {
        return Err(format!(
            "`{name}` is `null`; leave it out, or give it a value"
        ));
    }
    serde_json::from_str(raw.get()).map(Some).map_err(|e| {
        format!(
            "`{name}`: {}",
            e.to_string().split(" at line ").next().unwrap_or_default()
        )
    })
}

/// A request as a `decide` line: `{"key": ..., "op": ..., "cache": ..., "item": ...}`, with
/// `item_b64` for a key that is not UTF-8.
///
/// ```
/// let line = fgac::syntax::json::request_to_json("svc", fgac::Operation::Get, fgac::Resource::item("c", b"\xff"));
/// assert_eq!(line, r#"{"key":"svc","op":"get","cache":"c","item_b64":"/w=="}"#);
/// ```
#[must_use]
pub fn request_to_json<'a>(key: &'a str, op: Operation, resource: Resource<'a>) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        key: &'a str,
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
        key,
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
    super::write::compact(&line)
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
/// ```
/// use fgac::{Decision, DenyReason, RuleId};
/// use fgac::syntax::json::{answer_to_json, Answer};
/// let d = Decision::Deny(DenyReason::DeniedByRule(RuleId::new(2)));
/// assert_eq!(answer_to_json(Answer::Decision(d)), r#"{"decision":"deny","reason":"denied_by_rule","rule":2}"#);
/// assert_eq!(answer_to_json(Answer::UnknownCredential), r#"{"decision":"deny","reason":"unknown_credential"}"#);
/// let forged = Decision::Deny(DenyReason::Unauthenticated(fgac::AuthFailure::BadSignature));
/// assert_eq!(answer_to_json(Answer::Decision(forged)), r#"{"decision":"deny","reason":"unauthenticated","failure":"bad_signature"}"#);
/// ```
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
    super::write::compact(&out)
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
            assert_eq!(back.key.as_deref(), Some("k"));
            assert_eq!(back.op, op);
            assert_eq!(back.target, RequestTarget::One(resource.into()), "{line}");
            assert!(!line.contains('\u{202e}'), "escaped: {line}");
        }
    }

    #[test]
    fn bad_requests_say_why() {
        for (line, fragment) in [
            (r#"{"op":"get","key":null}"#, "`key` is `null`"),
            (
                r#"{"op":"get","cache":"c","item":null}"#,
                "`item` is `null`",
            ),
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
