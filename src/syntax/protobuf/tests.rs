//! The strict reader against prost's own encoding: every message prost writes from the mirror
//! types reads as MOMENTO.md's rules say it must, and the wire-level cheats prost would accept are
//! refused with an offset inside the message.

use super::messages as pb;
use super::read_permissions;
use crate::error::ErrorKind;
use crate::limits::Limits;
use crate::model::{
    CacheSelector, Effect, Grant, ItemSelector, Permissions, ResourceSelector, Role, Span,
    TopicSelector,
};
use proptest::prelude::*;
use prost::Message as _;

/// What a message means by MOMENTO.md's rules, read from prost's decoded form: `None` for a
/// message fgac must refuse.
fn meaning(m: &pb::Permissions) -> Option<Permissions> {
    Some(match m.kind.as_ref()? {
        pb::PermissionsKind::SuperUser(0) => Permissions::SuperUser {
            span: Span::default(),
        },
        pb::PermissionsKind::SuperUser(_) => return None,
        pb::PermissionsKind::Explicit(e) => Permissions::Explicit(
            e.permissions
                .iter()
                .map(grant_meaning)
                .collect::<Option<Vec<_>>>()?,
        ),
    })
}

fn cache_meaning(c: Option<&pb::CacheSelector>, all: bool) -> Option<CacheSelector> {
    if all {
        return Some(CacheSelector::All);
    }
    match c?.kind.as_ref()? {
        pb::CacheSelectorKind::CacheName(n) => Some(CacheSelector::Name(n.clone())),
    }
}

pub(super) fn grant_meaning(p: &pb::PermissionsType) -> Option<Grant> {
    let (role, cache, resource) = match p.kind.as_ref()? {
        pb::PermissionKind::CachePermissions(c) => {
            let role = match c.role {
                1 => Role::ReadWrite,
                2 => Role::ReadOnly,
                3 => Role::WriteOnly,
                _ => return None,
            };
            let cache = match c.cache.as_ref()? {
                pb::Cache::AllCaches(_) => cache_meaning(None, true)?,
                pb::Cache::CacheSelector(s) => cache_meaning(Some(s), false)?,
            };
            let item = match &c.cache_item {
                None | Some(pb::CacheItem::AllItems(_)) => ItemSelector::All,
                Some(pb::CacheItem::ItemSelector(s)) => match s.kind.as_ref()? {
                    pb::CacheItemSelectorKind::Key(k) => ItemSelector::Key(k.clone()),
                    pb::CacheItemSelectorKind::KeyPrefix(k) => ItemSelector::Prefix(k.clone()),
                },
            };
            (role, cache, ResourceSelector::Items(item))
        }
        pb::PermissionKind::TopicPermissions(t) => {
            let role = match t.role {
                1 => Role::PublishSubscribe,
                2 => Role::SubscribeOnly,
                3 => Role::PublishOnly,
                _ => return None,
            };
            let cache = match t.cache.as_ref()? {
                pb::TopicCache::AllCaches(_) => cache_meaning(None, true)?,
                pb::TopicCache::CacheSelector(s) => cache_meaning(Some(s), false)?,
            };
            let topic = match t.topic.as_ref()? {
                pb::Topic::AllTopics(_) => TopicSelector::All,
                pb::Topic::TopicSelector(s) => match s.kind.as_ref()? {
                    pb::TopicSelectorKind::TopicName(n) => TopicSelector::Name(n.clone()),
                    pb::TopicSelectorKind::TopicNamePrefix(n) => TopicSelector::Prefix(n.clone()),
                },
            };
            (role, cache, ResourceSelector::Topics(topic))
        }
    };
    Some(Grant {
        effect: Effect::Allow,
        role,
        cache,
        resource,
        span: Span::default(),
    })
}

pub(super) fn name() -> impl Strategy<Value = String> {
    "[ab\u{e9}]{0,3}"
}

fn cache_selector() -> impl Strategy<Value = Option<pb::CacheSelector>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(pb::CacheSelector { kind: None })),
        6 => name().prop_map(|n| Some(pb::CacheSelector { kind: Some(pb::CacheSelectorKind::CacheName(n)) })),
    ]
}

pub(super) fn cache_permissions() -> impl Strategy<Value = pb::CachePermissions> {
    let item = prop_oneof![
        2 => Just(None),
        2 => Just(Some(pb::CacheItem::AllItems(pb::All {}))),
        1 => Just(Some(pb::CacheItem::ItemSelector(pb::CacheItemSelector { kind: None }))),
        3 => proptest::collection::vec(any::<u8>(), 0..3).prop_map(|k| Some(pb::CacheItem::ItemSelector(pb::CacheItemSelector { kind: Some(pb::CacheItemSelectorKind::Key(k)) }))),
        3 => proptest::collection::vec(any::<u8>(), 0..3).prop_map(|k| Some(pb::CacheItem::ItemSelector(pb::CacheItemSelector { kind: Some(pb::CacheItemSelectorKind::KeyPrefix(k)) }))),
    ];
    (0i32..6, any::<u8>(), cache_selector(), item).prop_map(|(role, pick, selector, cache_item)| {
        pb::CachePermissions {
            role,
            cache: match (pick % 4, selector) {
                (0, _) => None,
                (1, _) => Some(pb::Cache::AllCaches(pb::All {})),
                (_, s) => s.map(pb::Cache::CacheSelector),
            },
            cache_item,
        }
    })
}

pub(super) fn topic_permissions() -> impl Strategy<Value = pb::TopicPermissions> {
    let topic = prop_oneof![
        1 => Just(None),
        2 => Just(Some(pb::Topic::AllTopics(pb::All {}))),
        1 => Just(Some(pb::Topic::TopicSelector(pb::TopicSelector { kind: None }))),
        3 => name().prop_map(|n| Some(pb::Topic::TopicSelector(pb::TopicSelector { kind: Some(pb::TopicSelectorKind::TopicName(n)) }))),
        3 => name().prop_map(|n| Some(pb::Topic::TopicSelector(pb::TopicSelector { kind: Some(pb::TopicSelectorKind::TopicNamePrefix(n)) }))),
    ];
    (0i32..6, any::<u8>(), cache_selector(), topic).prop_map(|(role, pick, selector, topic)| {
        pb::TopicPermissions {
            role,
            cache: match (pick % 4, selector) {
                (0, _) => None,
                (1, _) => Some(pb::TopicCache::AllCaches(pb::All {})),
                (_, s) => s.map(pb::TopicCache::CacheSelector),
            },
            topic,
        }
    })
}

fn message() -> impl Strategy<Value = pb::Permissions> {
    let permission = prop_oneof![
        1 => Just(pb::PermissionsType { kind: None }),
        6 => cache_permissions().prop_map(|c| pb::PermissionsType { kind: Some(pb::PermissionKind::CachePermissions(c)) }),
        6 => topic_permissions().prop_map(|t| pb::PermissionsType { kind: Some(pb::PermissionKind::TopicPermissions(t)) }),
    ];
    prop_oneof![
        1 => Just(pb::Permissions { kind: None }),
        1 => (0i32..3).prop_map(|v| pb::Permissions { kind: Some(pb::PermissionsKind::SuperUser(v)) }),
        8 => proptest::collection::vec(permission, 0..5).prop_map(|permissions| pb::Permissions {
            kind: Some(pb::PermissionsKind::Explicit(pb::ExplicitPermissions { permissions })),
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever prost writes, the strict reader reads as MOMENTO.md says, and what it reads,
    /// the writer writes back as the same meaning.
    #[test]
    fn the_strict_reader_agrees_with_prost(m in message()) {
        let bytes = m.encode_to_vec();
        let read = read_permissions(&bytes, &Limits::default());
        match (meaning(&m), read) {
            (Some(expected), Ok(got)) => {
                prop_assert_eq!(&got, &expected);
                let kind = crate::model::CredentialKind::ApiKey;
                let again = super::write_permissions(&got, kind).unwrap();
                prop_assert_eq!(read_permissions(&again, &Limits::default()).unwrap(), expected);
            }
            (None, Err(e)) => {
                for d in e.diagnostics() {
                    prop_assert!(d.span.start <= d.span.end && d.span.end <= bytes.len(), "{:?}", d);
                }
            }
            (expected, got) => prop_assert!(false, "{:?} read as {:?} ({:02x?})", expected, got, bytes),
        }
    }

    /// Every prefix and every one-byte change of a valid message reads or is refused, in bounds,
    /// without a panic.
    #[test]
    fn damaged_messages_are_refused_in_bounds(m in message(), at in any::<usize>(), byte in any::<u8>()) {
        let bytes = m.encode_to_vec();
        let mut variants: Vec<Vec<u8>> = (0..bytes.len()).map(|n| bytes[..n].to_vec()).collect();
        if !bytes.is_empty() {
            let mut changed = bytes.clone();
            changed[at % bytes.len()] = byte;
            variants.push(changed);
        }
        for v in variants {
            if let Err(e) = read_permissions(&v, &Limits::default()) {
                for d in e.diagnostics() {
                    prop_assert!(d.span.start <= d.span.end && d.span.end <= v.len(), "{:?} {:02x?}", d, v);
                }
            }
        }
    }
}

/// `Permissions { explicit { permissions: [ cache_permissions { role, cache_selector "c" } ] } }`
/// with `extra` appended inside the `CachePermissions`.
fn with_in_cache_permissions(extra: &[u8]) -> Vec<u8> {
    let mut cache = vec![0x08, 0x02, 0x1a, 0x03, 0x0a, 0x01, b'c'];
    cache.extend_from_slice(extra);
    let mut ty = vec![0x0a, cache.len() as u8];
    ty.extend(cache);
    let mut explicit = vec![0x0a, ty.len() as u8];
    explicit.extend(ty);
    let mut out = vec![0x12, explicit.len() as u8];
    out.extend(explicit);
    out
}

fn message_of(bytes: &[u8]) -> String {
    read_permissions(bytes, &Limits::default())
        .unwrap_err()
        .diagnostics()[0]
        .message
        .clone()
}

#[test]
fn what_prost_would_accept_is_refused() {
    // The base message reads.
    assert!(read_permissions(&with_in_cache_permissions(&[]), &Limits::default()).is_ok());
    // An unknown field (number 9, a varint).
    assert_eq!(
        message_of(&with_in_cache_permissions(&[0x48, 0x01])),
        "unknown field number 9 in `CachePermissions`"
    );
    // The role again: prost would keep the last.
    assert_eq!(
        message_of(&with_in_cache_permissions(&[0x08, 0x01])),
        "field `role` of `CachePermissions` is given twice"
    );
    // `all_caches` after `cache_selector`: prost would keep the last, widening to every cache.
    assert_eq!(
        message_of(&with_in_cache_permissions(&[0x12, 0x00])),
        "the oneof `cache` of `CachePermissions` is set twice (field `all_caches` again)"
    );
    // A role carried as bytes.
    assert_eq!(
        message_of(&[0x12, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0x0a, 0x00]),
        "field `role` of `CachePermissions` is carried as length-delimited bytes, not as a varint"
    );
    // Function permissions.
    let err =
        read_permissions(&[0x12, 0x04, 0x0a, 0x02, 0x1a, 0x00], &Limits::default()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unsupported);
    // A group (wire type 3).
    assert!(
        message_of(&[0x0b])
            .starts_with("field `super_user` of `Permissions` is carried as a group")
    );
    // A length past the end.
    assert_eq!(
        message_of(&[0x12, 0x7f, 0x0a]),
        "field `explicit` of `Permissions` says it holds 127 bytes, but only 1 are left"
    );
    // An unknown super-user value, and a name that is not UTF-8.
    assert_eq!(
        message_of(&[0x08, 0x01]),
        "unknown `SuperUserPermissions` value 1 in field `super_user`"
    );
    let mut bad = with_in_cache_permissions(&[]);
    let at = bad.len() - 1;
    bad[at] = 0xff;
    assert_eq!(
        message_of(&bad),
        format!("field `cache_name` is not UTF-8 at byte {at}")
    );
}

#[test]
fn a_huge_repeated_field_stops_at_the_limit() {
    // A million copies of one permission: refused at the limit, before they are all read.
    let one = with_in_cache_permissions(&[]);
    let entry = &one[2..]; // `permissions` field of `ExplicitPermissions`, key and length included
    let mut explicit = Vec::with_capacity(entry.len() * 1_000_000);
    for _ in 0..1_000_000 {
        explicit.extend_from_slice(entry);
    }
    let mut message = vec![0x12];
    prost::encoding::encode_varint(explicit.len() as u64, &mut message);
    message.extend(explicit);
    let limits = Limits {
        max_grants_per_key: 100,
        max_grants_per_token: 20,
        ..Limits::default()
    };
    let err = read_permissions(&message, &limits).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Limit {
            limit: "max_grants_per_key",
            value: 100
        }
    );
    let too_big = Limits {
        max_document_bytes: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        read_permissions(&message, &too_big).unwrap_err().kind(),
        ErrorKind::Limit {
            limit: "max_document_bytes",
            ..
        }
    ));
}

#[test]
fn fields_in_any_order_read_the_same() {
    // `cache_selector` before `role`: valid protobuf, the same permission.
    let reordered = [
        0x12, 0x0b, 0x0a, 0x09, 0x0a, 0x07, 0x1a, 0x03, 0x0a, 0x01, b'c', 0x08, 0x02,
    ];
    assert_eq!(
        read_permissions(&reordered, &Limits::default()).unwrap(),
        read_permissions(&with_in_cache_permissions(&[]), &Limits::default()).unwrap()
    );
}

mod v2 {
    //! The v2 reader against prost's encoding of the v2 mirror types, as for v1.

    use super::super::messages as pb;
    use super::super::messages_v2 as v2;
    use super::{cache_permissions, name, topic_permissions};
    use crate::limits::Limits;
    use crate::model::{Network, Permissions, Span};
    use crate::ops::AccountRights;
    use crate::syntax::momento::{Perms, RuleKind, role_of};
    use proptest::prelude::*;
    use prost::Message as _;

    type Meaning = (Permissions, AccountRights, Vec<Network>);

    /// The permissions a list names, by the numbering of `kind`; `None` when empty, unknown or
    /// repeated.
    fn perms(kind: RuleKind, list: &[i32]) -> Option<Perms> {
        let mut p = Perms::default();
        for &n in list {
            let slot = match (kind.is_management(), n) {
                (false, 0) | (true, 2) => &mut p.list,
                (false, 1) | (true, 0) => &mut p.read,
                (false, 2) | (true, 1) => &mut p.write,
                _ => return None,
            };
            if *slot {
                return None;
            }
            *slot = true;
        }
        (p != Perms::default()).then_some(p)
    }

    fn meaning(m: &v2::PermissionSet) -> Option<Meaning> {
        let networks = match m.conditions.as_slice() {
            [] => Vec::new(),
            [c] => {
                let ranges = &c.ip_filter.as_ref()?.allowed_cidr_ranges;
                if ranges.is_empty() {
                    return None;
                }
                let mut out = Vec::new();
                for r in ranges {
                    let (text, v4) = match r.range.as_ref()? {
                        v2::CidrRangeKind::Ipv4(t) => (t, true),
                        v2::CidrRangeKind::Ipv6(t) => (t, false),
                    };
                    let n: Network = text.parse().ok()?;
                    if n.addr().is_ipv4() != v4 {
                        return None;
                    }
                    out.push(n);
                }
                out
            }
            _ => return None,
        };
        let rules = match m.kind.as_ref()? {
            v2::PermissionSetKind::SuperUser(0) => {
                return Some((
                    Permissions::SuperUser {
                        span: Span::default(),
                    },
                    AccountRights::NONE,
                    networks,
                ));
            }
            v2::PermissionSetKind::SuperUser(_) => return None,
            v2::PermissionSetKind::Explicit(e) => &e.rules,
        };
        let mut grants = Vec::new();
        let mut account = AccountRights::NONE;
        let mut add = |right: AccountRights| -> Option<()> {
            if account.contains(right) {
                return None;
            }
            account = account.union(right);
            Some(())
        };
        for rule in rules {
            let (kind, list, grant, selected_all) = match rule.kind.as_ref()? {
                v2::RuleKind::AccountManagementRule(r) => {
                    if r.all.is_some() {
                        return None;
                    }
                    (RuleKind::AccountManagement, &r.permissions, None, true)
                }
                v2::RuleKind::AuthManagementRule(r) => {
                    r.all?;
                    (RuleKind::AuthManagement, &r.permissions, None, true)
                }
                v2::RuleKind::ResourceManagementRule(r) => {
                    r.all?;
                    (RuleKind::ResourceManagement, &r.permissions, None, true)
                }
                v2::RuleKind::StorageRule(r) => {
                    // A store rule has a cache rule's shape.
                    r.store_item.as_ref()?;
                    let v1 = pb::PermissionsType {
                        kind: Some(pb::PermissionKind::CachePermissions(pb::CachePermissions {
                            role: 1,
                            cache: r.store.clone(),
                            cache_item: r.store_item.clone(),
                        })),
                    };
                    let mut g = super::grant_meaning(&v1)?;
                    if let crate::model::ResourceSelector::Items(item) = g.resource {
                        g.resource = crate::model::ResourceSelector::StoreItems(item);
                    }
                    let all = matches!(r.store, Some(pb::Cache::AllCaches(_)))
                        && matches!(r.store_item, Some(pb::CacheItem::AllItems(_)));
                    (RuleKind::Store, &r.permissions, Some(g), all)
                }
                v2::RuleKind::CacheRule(r) => {
                    // As a v1 cache permission with a valid role, "every item" explicit.
                    r.cache_item.as_ref()?;
                    let v1 = pb::PermissionsType {
                        kind: Some(pb::PermissionKind::CachePermissions(pb::CachePermissions {
                            role: 1,
                            cache: r.cache.clone(),
                            cache_item: r.cache_item.clone(),
                        })),
                    };
                    let g = super::grant_meaning(&v1)?;
                    let all = matches!(r.cache, Some(pb::Cache::AllCaches(_)))
                        && matches!(r.cache_item, Some(pb::CacheItem::AllItems(_)));
                    (RuleKind::Cache, &r.permissions, Some(g), all)
                }
                v2::RuleKind::TopicRule(r) => {
                    let v1 = pb::PermissionsType {
                        kind: Some(pb::PermissionKind::TopicPermissions(pb::TopicPermissions {
                            role: 1,
                            cache: r.cache.clone(),
                            topic: r.topic.clone(),
                        })),
                    };
                    let g = super::grant_meaning(&v1)?;
                    let all = matches!(r.cache, Some(pb::TopicCache::AllCaches(_)))
                        && matches!(r.topic, Some(pb::Topic::AllTopics(_)));
                    (RuleKind::Topic, &r.permissions, Some(g), all)
                }
            };
            let p = perms(kind, list)?;
            let [read, write, listing] = kind.account_rights();
            if kind.is_management() {
                for (on, right) in [(p.read, read), (p.write, write), (p.list, listing)] {
                    if on {
                        add(right)?;
                    }
                }
                continue;
            }
            if p.list {
                if !selected_all {
                    return None;
                }
                add(listing)?;
            }
            if let (Some(role), Some(mut g)) = (role_of(kind, p), grant) {
                g.role = role;
                grants.push(g);
            }
        }
        Some((Permissions::Explicit(grants), account, networks))
    }

    fn permission_list() -> impl Strategy<Value = Vec<i32>> {
        prop_oneof![
            1 => Just(vec![]),
            8 => proptest::collection::vec(0i32..3, 1..3),
            1 => proptest::collection::vec(0i32..5, 1..4),
        ]
    }

    fn rule() -> impl Strategy<Value = v2::Rule> {
        fn management() -> impl Strategy<Value = v2::ManagementRule> {
            (permission_list(), any::<bool>()).prop_map(|(permissions, all)| v2::ManagementRule {
                permissions,
                all: all.then_some(pb::All {}),
            })
        }
        prop_oneof![
            management().prop_map(v2::RuleKind::AccountManagementRule),
            management().prop_map(v2::RuleKind::AuthManagementRule),
            management().prop_map(v2::RuleKind::ResourceManagementRule),
            (permission_list(), cache_permissions()).prop_map(|(permissions, c)| {
                v2::RuleKind::CacheRule(v2::CacheRule {
                    permissions,
                    cache: c.cache,
                    cache_item: c.cache_item,
                })
            }),
            (permission_list(), topic_permissions()).prop_map(|(permissions, t)| {
                v2::RuleKind::TopicRule(v2::TopicRule {
                    permissions,
                    cache: t.cache,
                    topic: t.topic,
                })
            }),
            (permission_list(), cache_permissions()).prop_map(|(permissions, c)| {
                v2::RuleKind::StorageRule(v2::StoreRule {
                    permissions,
                    store: c.cache,
                    store_item: c.cache_item,
                })
            }),
        ]
        .prop_map(|kind| v2::Rule { kind: Some(kind) })
    }

    fn condition() -> impl Strategy<Value = v2::Condition> {
        let range = prop_oneof![
            Just(None),
            Just(Some(v2::CidrRangeKind::Ipv4("10.0.0.0/8".into()))),
            Just(Some(v2::CidrRangeKind::Ipv6("2001:db8::/32".into()))),
            Just(Some(v2::CidrRangeKind::Ipv4("2001:db8::/32".into()))),
            name().prop_map(|n| Some(v2::CidrRangeKind::Ipv4(n))),
        ];
        (any::<bool>(), proptest::collection::vec(range, 0..3)).prop_map(|(set, ranges)| {
            v2::Condition {
                ip_filter: set.then(|| v2::IpFilter {
                    allowed_cidr_ranges: ranges
                        .into_iter()
                        .map(|range| v2::CidrRange { range })
                        .collect(),
                }),
            }
        })
    }

    fn message() -> impl Strategy<Value = v2::PermissionSet> {
        let kind = prop_oneof![
            1 => Just(None),
            1 => (0i32..2).prop_map(|v| Some(v2::PermissionSetKind::SuperUser(v))),
            8 => proptest::collection::vec(rule(), 0..3).prop_map(|rules| {
                Some(v2::PermissionSetKind::Explicit(v2::ExplicitPermissions { rules }))
            }),
        ];
        (kind, proptest::collection::vec(condition(), 0..2))
            .prop_map(|(kind, conditions)| v2::PermissionSet { conditions, kind })
    }

    /// The same message with its permission lists unpacked: one varint field per value.
    fn unpacked(m: &v2::PermissionSet) -> Vec<u8> {
        use prost::encoding::{WireType, encode_key, encode_varint};
        fn rule_bytes(r: &v2::Rule) -> Vec<u8> {
            let Some(kind) = &r.kind else {
                return Vec::new();
            };
            // Each rule's fields but its permissions, as prost writes them.
            let (tag, permissions, rest) = match kind {
                v2::RuleKind::AccountManagementRule(x) => (1, &x.permissions, cleared(x)),
                v2::RuleKind::AuthManagementRule(x) => (2, &x.permissions, cleared(x)),
                v2::RuleKind::ResourceManagementRule(x) => (3, &x.permissions, cleared(x)),
                v2::RuleKind::CacheRule(x) => (4, &x.permissions, {
                    v2::CacheRule {
                        permissions: vec![],
                        ..x.clone()
                    }
                    .encode_to_vec()
                }),
                v2::RuleKind::TopicRule(x) => (5, &x.permissions, {
                    v2::TopicRule {
                        permissions: vec![],
                        ..x.clone()
                    }
                    .encode_to_vec()
                }),
                v2::RuleKind::StorageRule(x) => (6, &x.permissions, {
                    v2::StoreRule {
                        permissions: vec![],
                        ..x.clone()
                    }
                    .encode_to_vec()
                }),
            };
            let body = repack(permissions.clone(), &rest);
            let mut out = Vec::new();
            encode_key(tag, WireType::LengthDelimited, &mut out);
            encode_varint(body.len() as u64, &mut out);
            out.extend(body);
            out
        }
        fn cleared(x: &v2::ManagementRule) -> Vec<u8> {
            v2::ManagementRule {
                permissions: vec![],
                ..x.clone()
            }
            .encode_to_vec()
        }
        fn repack(permissions: Vec<i32>, rest: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            for p in permissions {
                encode_key(1, WireType::Varint, &mut out);
                encode_varint(p as u64, &mut out);
            }
            out.extend_from_slice(rest);
            out
        }
        let mut out = Vec::new();
        match &m.kind {
            Some(v2::PermissionSetKind::Explicit(e)) => {
                let mut body = Vec::new();
                for r in &e.rules {
                    let bytes = rule_bytes(r);
                    encode_key(1, WireType::LengthDelimited, &mut body);
                    encode_varint(bytes.len() as u64, &mut body);
                    body.extend(bytes);
                }
                encode_key(2, WireType::LengthDelimited, &mut out);
                encode_varint(body.len() as u64, &mut out);
                out.extend(body);
            }
            other => out.extend(
                v2::PermissionSet {
                    conditions: vec![],
                    kind: other.clone(),
                }
                .encode_to_vec(),
            ),
        }
        out.extend(
            v2::PermissionSet {
                conditions: m.conditions.clone(),
                kind: None,
            }
            .encode_to_vec(),
        );
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn the_strict_v2_reader_agrees_with_prost(m in message()) {
            let limits = Limits::default();
            for bytes in [m.encode_to_vec(), unpacked(&m)] {
                let read = super::super::v2::permission_set(&bytes, &limits);
                match (meaning(&m), read) {
                    (Some((permissions, account, networks)), Ok(got)) => {
                        prop_assert_eq!(&got.permissions, &permissions);
                        prop_assert_eq!(got.account, account);
                        prop_assert_eq!(&got.networks, &networks);
                    }
                    (None, Err(d)) => {
                        prop_assert!(d.span.start <= d.span.end && d.span.end <= bytes.len(), "{:?}", d);
                    }
                    (expected, got) => prop_assert!(
                        false,
                        "{:?} read as {:?} ({:02x?})",
                        expected,
                        got.map(|s| (s.permissions, s.account, s.networks)),
                        bytes
                    ),
                }
            }
        }

        #[test]
        fn damaged_v2_messages_are_refused_in_bounds(m in message(), at in any::<usize>(), byte in any::<u8>()) {
            let bytes = m.encode_to_vec();
            let mut variants: Vec<Vec<u8>> = (0..bytes.len()).map(|n| bytes[..n].to_vec()).collect();
            if !bytes.is_empty() {
                let mut changed = bytes.clone();
                changed[at % bytes.len()] = byte;
                variants.push(changed);
            }
            for v in variants {
                if let Err(d) = super::super::v2::permission_set(&v, &Limits::default()) {
                    prop_assert!(d.span.start <= d.span.end && d.span.end <= v.len(), "{:?} {:02x?}", d, v);
                }
            }
        }
    }
}
