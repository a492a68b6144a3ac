//! A realistic generated policy of any size, shared by the memory test and the benchmarks: one
//! API key whose grants mix exact keys, key prefixes, whole caches, cache prefixes, topics and a
//! few deny rules over `n / 20 + 1` caches. Deterministic.

use fgac::model::{
    CacheSelector, Credential, CredentialKind, Document, Expiry, Grant, ItemSelector, Permissions,
    Role, Span, TopicSelector,
};

/// The name of the generated credential.
pub const KEY: &str = "svc";

/// The cache grant `i` of a generated policy lives in.
pub fn cache_of(i: usize, n: usize) -> String {
    format!("cache-{:04}", i % (n / 20 + 1))
}

/// The policy of `n` grants.
pub fn generated(n: usize) -> Document {
    let grants = (0..n)
        .map(|i| {
            let cache = CacheSelector::Name(cache_of(i, n));
            match i % 20 {
                0..=9 => Grant::allow_items(
                    Role::ReadWrite,
                    cache,
                    ItemSelector::Key(format!("user:{i:07}:profile").into_bytes()),
                ),
                10..=15 => Grant::allow_items(
                    Role::ReadOnly,
                    cache,
                    ItemSelector::Prefix(format!("tenant-{i:07}/").into_bytes()),
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
                    cache,
                    ItemSelector::Key(format!("user:{:07}:profile", i - 9).into_bytes()),
                )
                .denied(),
            }
        })
        .collect();
    Document {
        credentials: vec![Credential {
            name: KEY.to_owned(),
            kind: CredentialKind::ApiKey,
            expiry: Expiry::Never,
            token_id: None,
            permissions: Permissions::Explicit(grants),
            span: Span::default(),
        }],
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
                    Items(ItemSelector::All) | Topics(TopicSelector::All) => 0,
                    Items(ItemSelector::Key(b) | ItemSelector::Prefix(b)) => b.len(),
                    Topics(TopicSelector::Name(s) | TopicSelector::Prefix(s)) => s.len(),
                };
            }
        }
    }
    total
}
