//! Shared by the integration tests: the corpus format and its loader, and proptest strategies.
#![allow(dead_code)]

#[allow(unused_imports)] // not every test binary uses it
pub use fgac_test_support::policy;
#[cfg(feature = "credentials")]
pub mod signed;
pub mod strategies;

use fgac::syntax::json::key_from_base64;
use fgac::{BatchDecision, Decision, DenyReason, Need, Operation, Resource, Rights, Timestamp};
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
    /// With `item`: an item of this store.
    #[serde(default)]
    pub store: Option<String>,
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
            (None, Some(b)) => Some(key_from_base64(b).expect("standard base64")),
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
        if let Some(store) = &self.store {
            return Resource::store_item(store, key);
        }
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
}

/// The engine's decision on a request by the credential named `name`; `None` when there is none.
pub fn engine_decides(
    authz: &fgac::Authorizer,
    name: &str,
    op: Operation,
    resource: Resource<'_>,
    now: Timestamp,
) -> Option<Decision> {
    authz
        .credential(name)
        .map(|c| c.authorize(op, resource, now))
}

/// The reference evaluator's decision on the same request.
pub fn reference_decides(
    doc: fgac::model::ValidDocument<'_>,
    name: &str,
    op: Operation,
    resource: Resource<'_>,
    now: Timestamp,
) -> Option<Decision> {
    doc.credential(name)
        .map(|c| fgac::reference::decide(c, op.need(), resource, now))
}

/// What a request gets: a credential's decision on one resource or on a batch, or no credential
/// of that name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A credential's decision on one resource.
    Decision(Decision),
    /// A credential's decision on a batch of keys.
    Batch(BatchDecision),
    /// The document holds no credential of the name asked for.
    UnknownCredential,
}

/// An answer as the corpus writes expectations: `allow`, a deny reason (`no_matching_grant`,
/// `unknown_credential`, `empty_batch`, ...), or `denied_by_rule:N`.
pub fn answer_name(answer: Answer) -> String {
    let denied = |reason: DenyReason| match reason.rule() {
        Some(rule) => format!("denied_by_rule:{}", rule.index()),
        None => reason.as_str().to_owned(),
    };
    match answer {
        Answer::Decision(Decision::Allow) | Answer::Batch(BatchDecision::Allow) => "allow".into(),
        Answer::Decision(Decision::Deny(r))
        | Answer::Batch(BatchDecision::Deny { reason: r, .. }) => denied(r),
        Answer::Batch(BatchDecision::Empty) => "empty_batch".into(),
        Answer::UnknownCredential => "unknown_credential".into(),
    }
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
