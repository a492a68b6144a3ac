//! A realistic generated policy of any size, shared by the memory test and the benchmarks: one
//! API key whose grants mix exact keys, key prefixes, whole caches, cache prefixes, topics and a
//! few deny rules over `n / 20 + 1` caches. Deterministic.

use fgac::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Expiry, Grant, ItemSelector,
    Permissions, Role, TopicSelector,
};

/// The name of the generated credential.
pub const KEY: &str = "svc";

/// The cache grant `i` of a generated policy lives in.
pub fn cache_of(i: usize, n: usize) -> String {
    format!("cache-{:04}", i % (n / 20 + 1))
}

/// The policy of `n` grants.
pub fn generated(n: usize) -> Document {
    let grants = (0..n).map(|i| grant(i, n)).collect();
    Document::new(vec![CredentialDef::new(
        KEY.to_owned(),
        CredentialKind::ApiKey,
        Expiry::Never,
        Permissions::Explicit(grants),
    )])
}

/// Grant `i` of a policy of `n` grants (see the module docs).
pub fn grant(i: usize, n: usize) -> Grant {
    let cache = CacheSelector::Name(cache_of(i, n));
    let bytes = |s: String| s.into_bytes();
    match i % 20 {
        0..=9 => Grant::allow_items(
            Role::ReadWrite,
            cache,
            ItemSelector::Key(bytes(format!("user:{i:07}:profile"))),
        ),
        10..=15 => Grant::allow_items(
            Role::ReadOnly,
            cache,
            ItemSelector::Prefix(bytes(format!("t{i:05}/"))),
        ),
        16 => Grant::allow_items(
            Role::WriteOnly,
            CacheSelector::Prefix(format!("tmp-{i:07}-")),
            ItemSelector::All,
        ),
        17 => Grant::allow_topics(
            Role::PublishSubscribe,
            cache,
            TopicSelector::Prefix(format!("room-{i:07}-")),
        ),
        18 => Grant::allow_topics(
            Role::SubscribeOnly,
            cache,
            TopicSelector::Name(format!("feed-{i:07}")),
        ),
        _ => Grant::allow_items(
            Role::ReadWrite,
            CacheSelector::Name(cache_of(i - 9, n)),
            ItemSelector::Key(bytes(format!("t{:05}/secret", i - 9))),
        )
        .denied(),
    }
}

/// The bytes of every name, key and prefix the policy holds.
pub fn selector_bytes(doc: &Document) -> usize {
    use fgac::model::ResourceSelector::*;
    let mut total = 0;
    for c in &doc.credentials {
        if let Permissions::Explicit(grants) = &c.permissions {
            for g in grants {
                total += match &g.cache {
                    CacheSelector::All => 0,
                    CacheSelector::Name(s) | CacheSelector::Prefix(s) => s.len(),
                };
                total += match &g.resource {
                    Items(ItemSelector::All)
                    | StoreItems(ItemSelector::All)
                    | Topics(TopicSelector::All) => 0,
                    Items(ItemSelector::Key(b) | ItemSelector::Prefix(b))
                    | StoreItems(ItemSelector::Key(b) | ItemSelector::Prefix(b)) => b.len(),
                    Topics(TopicSelector::Name(s) | TopicSelector::Prefix(s)) => s.len(),
                };
            }
        }
    }
    total
}

/// A benchmark request: a `get` (which needs read) of `key` in `cache`.
#[derive(Clone, Debug)]
pub struct Probe {
    /// What it exercises: `exact hit`, `prefix hit`, `miss` or `denied`.
    pub kind: &'static str,
    /// The cache.
    pub cache: String,
    /// The item key.
    pub key: Vec<u8>,
}

/// The requests asked of a policy of `n` grants: a hit on an exact key, a hit under a key prefix,
/// a miss by one byte, and a key a deny rule carves out of an allowed prefix. With 20 grants or
/// more, the first two are allowed and the last two denied.
pub fn probes(n: usize) -> Vec<Probe> {
    let probe = |kind, i: usize, key: &str| Probe {
        kind,
        cache: cache_of(i, n),
        key: key.as_bytes().to_vec(),
    };
    vec![
        probe("exact hit", 0, "user:0000000:profile"),
        probe("prefix hit", 10, "t00010/order-17"),
        probe("miss", 0, "user:0000000:profilf"),
        probe("denied", 10, "t00010/secret"),
    ]
}

/// A prefix hit whose key is exactly `len` bytes long (at least 7).
pub fn prefix_hit_of_length(n: usize, len: usize) -> Probe {
    let mut key = b"t00010/".to_vec();
    key.resize(len.max(key.len()), b'x');
    Probe {
        kind: "prefix hit",
        cache: cache_of(10, n),
        key,
    }
}
