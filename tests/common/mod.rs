//! Shared by the integration tests: the corpus format and its loader, and proptest strategies.
#![allow(dead_code)]

pub mod policy;
pub mod strategies;

use fgac::{Decision, DenyReason, Need, Operation, Resource, Rights, RuleId, Timestamp};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The time a case is decided at when it names none (2023-11-14T22:13:20Z).
pub const DEFAULT_NOW: u64 = 1_700_000_000;

/// One corpus file: documents with requests and their expected decisions, and invalid documents
/// with their expected error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusFile {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub suites: Vec<Suite>,
    #[serde(default)]
    pub invalid: Vec<Invalid>,
}

/// A document and the requests decided against it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub name: String,
    pub document: serde_json::Value,
    pub cases: Vec<Case>,
}

/// An invalid document and a fragment of the error it must produce.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invalid {
    pub name: String,
    pub document: serde_json::Value,
    pub error: String,
}

/// One request and its expected decision: `allow`, a deny reason (`no_matching_grant`, ...), or
/// `denied_by_rule:N`.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Case {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub op: Option<String>,
    /// Instead of `op`: `read`, `write`, `read+write`, `publish`, `subscribe` (on the resource's
    /// kind), `none`, or `control`.
    #[serde(default)]
    pub need: Option<String>,
    #[serde(default)]
    pub cache: Option<String>,
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub item_b64: Option<String>,
    /// A batch of keys (for multi-key operations).
    #[serde(default)]
    pub items: Option<Vec<String>>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub account: bool,
    #[serde(default)]
    pub now: Option<u64>,
    pub expect: String,
}

impl Case {
    pub fn key_or<'a>(&'a self, only: &'a str) -> &'a str {
        self.key.as_deref().unwrap_or(only)
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_unix_seconds(self.now.unwrap_or(DEFAULT_NOW))
    }

    pub fn item_bytes(&self) -> Option<Vec<u8>> {
        match (&self.item, &self.item_b64) {
            (Some(s), None) => Some(s.as_bytes().to_vec()),
            (None, Some(b)) => Some(decode_b64(b)),
            _ => None,
        }
    }

    pub fn batch(&self) -> Option<Vec<Vec<u8>>> {
        self.items
            .as_ref()
            .map(|items| items.iter().map(|s| s.as_bytes().to_vec()).collect())
    }

    /// The request's resource, borrowing `key` for the item bytes.
    pub fn resource<'a>(&'a self, key: &'a [u8]) -> Resource<'a> {
        let cache = self.cache.as_deref();
        match (cache, &self.topic, self.account) {
            (_, _, true) => Resource::Account,
            (Some(c), Some(t), _) => Resource::topic(c, t),
            (Some(c), None, _) if self.item.is_some() || self.item_b64.is_some() => {
                Resource::item(c, key)
            }
            (Some(c), None, _) => Resource::cache(c),
            (None, _, _) => panic!("case names no resource: {self:?}"),
        }
    }

    /// What the case asks for: the operation's need, or the `need` field.
    pub fn need(&self) -> (Option<Operation>, Need) {
        if let Some(op) = &self.op {
            let op: Operation = op.parse().unwrap_or_else(|e| panic!("{e}"));
            return (Some(op), op.need());
        }
        let on_topic = self.topic.is_some();
        let rights = match self.need.as_deref().expect("op or need") {
            "control" => return (None, Need::ControlPlane),
            "read" => Rights::READ,
            "write" => Rights::WRITE,
            "read+write" => Rights::READ_WRITE,
            "publish" => Rights::PUBLISH,
            "subscribe" => Rights::SUBSCRIBE,
            "none" => Rights::NONE,
            other => panic!("unknown need {other}"),
        };
        (
            None,
            if on_topic {
                Need::Topic(rights)
            } else {
                Need::Item(rights)
            },
        )
    }

    pub fn expected(&self) -> Decision {
        parse_decision(&self.expect)
    }
}

pub fn parse_decision(text: &str) -> Decision {
    if text == "allow" {
        return Decision::Allow;
    }
    if let Some(id) = text.strip_prefix("denied_by_rule:") {
        return Decision::Deny(DenyReason::DeniedByRule(RuleId::new(
            id.parse().expect("rule id"),
        )));
    }
    Decision::Deny(match text {
        "expired" => DenyReason::Expired,
        "wrong_resource_kind" => DenyReason::WrongResourceKind,
        "super_user_required" => DenyReason::SuperUserRequired,
        "no_matching_grant" => DenyReason::NoMatchingGrant,
        "unknown_credential" => DenyReason::UnknownCredential,
        "empty_batch" => DenyReason::EmptyBatch,
        other => panic!("unknown expectation `{other}`"),
    })
}

fn decode_b64(text: &str) -> Vec<u8> {
    // The library's decoder is private; the corpus only needs a few short keys.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every corpus file, by name, sorted.
pub fn load_corpus() -> Vec<(String, CorpusFile)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read corpus file");
            let file: CorpusFile =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                file,
            )
        })
        .collect()
}
