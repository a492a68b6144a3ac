//! proptest strategies for documents and requests.
//!
//! Names and keys come from a tiny alphabet so that random selectors and requests collide often:
//! exact hits, prefixes of one another, keys equal to prefixes, and misses by one byte.

use fgac::Timestamp;
use fgac::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Effect, Expiry, Grant, ItemSelector,
    Permissions, ResourceSelector, Role, TopicSelector,
};
use fgac::{Operation, Resource};
use proptest::prelude::*;
use std::collections::HashSet;

/// A short name over {a, b}, possibly empty when `allow_empty`.
pub fn small_name(allow_empty: bool) -> impl Strategy<Value = String> {
    let min = usize::from(!allow_empty);
    proptest::collection::vec(prop_oneof![Just('a'), Just('b')], min..=3)
        .prop_map(|chars| chars.into_iter().collect())
}

/// A short key over {a, b, 0xff}.
pub fn small_key(min: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0xffu8)], min..=3)
}

pub fn role() -> impl Strategy<Value = Role> {
    proptest::sample::select(Role::ALL.to_vec())
}

pub fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![3 => Just(Effect::Allow), 1 => Just(Effect::Deny)]
}

pub fn cache_selector() -> impl Strategy<Value = CacheSelector> {
    prop_oneof![
        1 => Just(CacheSelector::All),
        3 => small_name(false).prop_map(CacheSelector::Name),
        2 => small_name(false).prop_map(CacheSelector::Prefix),
    ]
}

/// A valid grant: its selector's kind follows its role's.
pub fn grant() -> impl Strategy<Value = Grant> {
    (
        effect(),
        role(),
        cache_selector(),
        any::<u8>(),
        small_key(0),
        small_name(false),
    )
        .prop_map(|(effect, role, cache, pick, key, name)| {
            let resource = if role.is_topic_role() {
                ResourceSelector::Topics(match pick % 3 {
                    0 => TopicSelector::All,
                    1 => TopicSelector::Name(name),
                    _ => TopicSelector::Prefix(name),
                })
            } else {
                let item = match pick % 3 {
                    0 => ItemSelector::All,
                    1 => ItemSelector::Key(key),
                    _ if key.is_empty() => ItemSelector::All,
                    _ => ItemSelector::Prefix(key),
                };
                // One in four item grants is on stores, whose names share the alphabet.
                if (pick / 3) % 4 == 0 {
                    ResourceSelector::StoreItems(item)
                } else {
                    ResourceSelector::Items(item)
                }
            };
            Grant::new(effect, role, cache, resource)
        })
}

/// A valid credential named `name`: duplicate selectors dropped, token rules respected.
/// A set of account rights: none most often, else a random few.
pub fn account_rights() -> impl Strategy<Value = fgac::AccountRights> {
    prop_oneof![
        2 => Just(fgac::AccountRights::NONE),
        1 => any::<u16>().prop_map(|bits| {
            fgac::AccountRights::NAMED
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .fold(fgac::AccountRights::NONE, |all, (_, (r, _))| all.union(*r))
        }),
    ]
}

pub fn credential(name: String) -> impl Strategy<Value = CredentialDef> {
    (
        any::<bool>(),
        prop_oneof![1 => Just(None), 3 => (900u64..1100).prop_map(Some)],
        prop_oneof![1 => Just(true), 12 => Just(false)],
        proptest::collection::vec(grant(), 1..10),
        prop_oneof![3 => Just(Vec::new()), 1 => proptest::collection::vec(network(), 1..3)],
        account_rights(),
    )
        .prop_map(
            move |(is_token, expiry, super_user, grants, networks, account)| {
                let kind = if is_token {
                    CredentialKind::Token
                } else {
                    CredentialKind::ApiKey
                };
                let expiry = match (expiry, is_token) {
                    (Some(t), _) => Expiry::At(Timestamp::from_unix_seconds(t)),
                    (None, true) => Expiry::At(Timestamp::from_unix_seconds(1000)),
                    (None, false) => Expiry::Never,
                };
                let mut seen = HashSet::new();
                let grants: Vec<Grant> = grants
                    .into_iter()
                    .filter(|g| seen.insert((g.effect, g.cache.clone(), g.resource.clone())))
                    .collect();
                {
                    let mut c = CredentialDef::new(
                        name.clone(),
                        kind,
                        expiry,
                        if super_user && !is_token {
                            Permissions::super_user()
                        } else {
                            Permissions::Explicit(grants)
                        },
                    );
                    c.token_id = is_token.then(|| "tok".to_owned());
                    c.account = match (is_token, super_user) {
                        (_, true) if !is_token => fgac::AccountRights::NONE,
                        (true, _) => account.difference(fgac::AccountRights::MANAGEMENT),
                        (false, _) => account,
                    };
                    c.networks = networks
                        .into_iter()
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    c
                }
            },
        )
}

/// A valid document of one to three credentials named `k0`, `k1`, ...
pub fn document() -> impl Strategy<Value = Document> {
    (1usize..=3)
        .prop_flat_map(|n| {
            (0..n)
                .map(|i| credential(format!("k{i}")))
                .collect::<Vec<_>>()
        })
        .prop_map(Document::new)
}

/// A request, owned; [`OwnedRequest::resource`] borrows it.
#[derive(Clone, Debug)]
pub struct OwnedRequest {
    pub key: String,
    pub op: Operation,
    pub kind: u8,
    pub cache: String,
    pub target: Vec<u8>,
    pub now: Timestamp,
}

impl OwnedRequest {
    pub fn resource(&self) -> Resource<'_> {
        match self.kind % 8 {
            0 => Resource::Account,
            1 => Resource::cache(&self.cache),
            // Topic names are strings; the alphabet's 0xff is replaced.
            2..=4 => Resource::Topic {
                cache: &self.cache,
                topic: std::str::from_utf8(&self.target).unwrap_or("a\u{fffd}"),
            },
            5 | 6 => Resource::item(&self.cache, &self.target),
            _ => Resource::store_item(&self.cache, &self.target),
        }
    }
}

pub fn request() -> impl Strategy<Value = OwnedRequest> {
    (
        prop_oneof![Just("k0"), Just("k1"), Just("k2"), Just("nobody")],
        proptest::sample::select(Operation::ALL.to_vec()),
        any::<u8>(),
        small_name(true),
        small_key(0),
        900u64..1100,
    )
        .prop_map(|(key, op, kind, cache, target, now)| {
            // Ops and resource kinds mostly match, so that grants are exercised.
            let kind = match (op.need(), kind % 4) {
                (_, 0) => kind,
                (fgac::Need::Topic(_), _) => 2,
                (fgac::Need::ControlPlane | fgac::Need::Account(_), _) => kind % 2,
                (fgac::Need::Item(_), _) => 5,
                (fgac::Need::StoreItem(_), _) => 7,
            };
            OwnedRequest {
                key: key.to_owned(),
                op,
                kind,
                cache,
                target,
                now: Timestamp::from_unix_seconds(now),
            }
        })
}

/// Any model at all, valid or not, with strings that need escaping and keys that are not UTF-8:
/// for printer round trips.
pub fn any_document() -> impl Strategy<Value = Document> {
    let text = "[a-z\"\\\\*/ \u{e9}\u{202e}\n-]{0,6}";
    let bytes = proptest::collection::vec(any::<u8>(), 0..6);
    let item = prop_oneof![
        Just(ItemSelector::All),
        bytes.clone().prop_map(ItemSelector::Key),
        bytes.prop_map(ItemSelector::Prefix),
    ];
    let topic = prop_oneof![
        Just(TopicSelector::All),
        text.prop_map(TopicSelector::Name),
        text.prop_map(TopicSelector::Prefix),
    ];
    let cache = prop_oneof![
        Just(CacheSelector::All),
        text.prop_map(CacheSelector::Name),
        text.prop_map(CacheSelector::Prefix),
    ];
    let resource = prop_oneof![
        item.clone().prop_map(ResourceSelector::Items),
        topic.prop_map(ResourceSelector::Topics),
        item.prop_map(ResourceSelector::StoreItems),
    ];
    let grant = (effect(), role(), cache, resource)
        .prop_map(|(effect, role, cache, resource)| Grant::new(effect, role, cache, resource));
    let credential = (
        text,
        any::<bool>(),
        prop_oneof![
            Just(Expiry::Never),
            any::<u64>().prop_map(|t| Expiry::At(Timestamp::from_unix_seconds(t)))
        ],
        proptest::option::of(text),
        proptest::collection::vec(network(), 0..3),
        prop_oneof![
            1 => Just(Permissions::super_user()),
            4 => proptest::collection::vec(grant, 0..5).prop_map(Permissions::Explicit),
        ],
        account_rights(),
    )
        .prop_map(
            |(name, token, expiry, token_id, networks, permissions, account)| {
                let mut c = CredentialDef::new(
                    name,
                    if token {
                        CredentialKind::Token
                    } else {
                        CredentialKind::ApiKey
                    },
                    expiry,
                    permissions,
                );
                c.token_id = token_id;
                c.account = account;
                c.networks = networks;
                c
            },
        );
    proptest::collection::vec(credential, 0..4).prop_map(Document::new)
}

/// A canonical IPv4 or IPv6 network (host bits clear; IPv6 outside the IPv4-mapped range).
pub fn network() -> impl Strategy<Value = fgac::model::Network> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    prop_oneof![
        (any::<u32>(), 0u8..=32).prop_map(|(bits, prefix)| {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            fgac::model::Network::new(IpAddr::V4(Ipv4Addr::from_bits(bits & mask)), prefix).unwrap()
        }),
        (any::<u128>(), 0u8..=128).prop_map(|(bits, prefix)| {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            // Set the top bit (kept by every prefix but /0) so that it is never IPv4-mapped.
            let bits = if prefix > 0 {
                (bits | (1 << 127)) & mask
            } else {
                0
            };
            fgac::model::Network::new(IpAddr::V6(Ipv6Addr::from_bits(bits)), prefix).unwrap()
        }),
    ]
}
