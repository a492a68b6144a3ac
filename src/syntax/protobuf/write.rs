//! Writing the model as Momento's v1 `Permissions` message.

use super::messages as pb;
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::model::{
    CacheSelector, CredentialDef, CredentialKind, Effect, Grant, ItemSelector, Permissions,
    ResourceSelector, Role, TopicSelector,
};
use prost::Message as _;

/// `permissions` as a `Permissions` message for a credential of `kind`, or one diagnostic for each
/// grant the message cannot express (deny rules, cache prefixes), naming `credential`.
pub(super) fn permissions(
    permissions: &Permissions,
    kind: CredentialKind,
    credential: &str,
) -> Result<Vec<u8>, Error> {
    let message = match permissions {
        Permissions::SuperUser { span } => {
            if kind == CredentialKind::Token {
                return Err(Error::one(Diagnostic::new(
                    ErrorKind::SuperUserToken,
                    *span,
                    format!("`{credential}` is a super-user token, which no credential can be"),
                )));
            }
            pb::PermissionsKind::SuperUser(pb::SuperUserPermissions::SuperUser as i32)
        }
        Permissions::Explicit(grants) => {
            let mut problems = Vec::new();
            crate::syntax::momento::refuse_extensions(
                grants,
                credential,
                "Momento's protobuf",
                crate::syntax::momento::Model::V1,
                "print fgac's key-store JSON instead",
                &mut problems,
            );
            if !problems.is_empty() {
                return Err(Error::new(problems));
            }
            let mut permissions = Vec::with_capacity(grants.len());
            for (index, g) in grants.iter().enumerate() {
                match grant(g, kind) {
                    Some(p) => permissions.push(p),
                    None => problems.push(Diagnostic::new(
                        ErrorKind::RoleMismatch,
                        g.span,
                        format!(
                            "grant #{index} of `{credential}` gives the role `{}` on {}",
                            g.role,
                            if g.resource.is_topics() {
                                "topics"
                            } else {
                                "cache items"
                            }
                        ),
                    )),
                }
            }
            if !problems.is_empty() {
                return Err(Error::new(problems));
            }
            pb::PermissionsKind::Explicit(pb::ExplicitPermissions { permissions })
        }
    };
    Ok(pb::Permissions {
        kind: Some(message),
    }
    .encode_to_vec())
}

/// One allow grant on named or all caches as a `PermissionsType`, or `None` for a role on the
/// wrong kind of resource. "Every item" is written as Momento's SDKs write it: left unset for an
/// API key, `all_items` for a disposable token.
fn grant(g: &Grant, kind: CredentialKind) -> Option<pb::PermissionsType> {
    debug_assert_eq!(g.effect, Effect::Allow);
    let cache_name = |name: &str| pb::CacheSelector {
        kind: Some(pb::CacheSelectorKind::CacheName(name.to_owned())),
    };
    let kind = match &g.resource {
        // A store's item grant has a cache permission's shape (v2 writes it as a store rule).
        ResourceSelector::Items(item) | ResourceSelector::StoreItems(item) => {
            pb::PermissionKind::CachePermissions(pb::CachePermissions {
                role: match g.role {
                    Role::ReadWrite => pb::CacheRole::CacheReadWrite,
                    Role::ReadOnly => pb::CacheRole::CacheReadOnly,
                    Role::WriteOnly => pb::CacheRole::CacheWriteOnly,
                    _ => return None,
                } as i32,
                cache: Some(match &g.cache {
                    CacheSelector::Name(n) => pb::Cache::CacheSelector(cache_name(n)),
                    CacheSelector::All => pb::Cache::AllCaches(pb::All {}),
                    CacheSelector::Prefix(_) => return None,
                }),
                cache_item: match item {
                    ItemSelector::All if kind == CredentialKind::ApiKey => None,
                    ItemSelector::All => Some(pb::CacheItem::AllItems(pb::All {})),
                    ItemSelector::Key(k) => {
                        Some(pb::CacheItem::ItemSelector(pb::CacheItemSelector {
                            kind: Some(pb::CacheItemSelectorKind::Key(k.clone())),
                        }))
                    }
                    ItemSelector::Prefix(p) => {
                        Some(pb::CacheItem::ItemSelector(pb::CacheItemSelector {
                            kind: Some(pb::CacheItemSelectorKind::KeyPrefix(p.clone())),
                        }))
                    }
                },
            })
        }
        ResourceSelector::Topics(topic) => {
            pb::PermissionKind::TopicPermissions(pb::TopicPermissions {
                role: match g.role {
                    Role::PublishSubscribe => pb::TopicRole::TopicReadWrite,
                    Role::SubscribeOnly => pb::TopicRole::TopicReadOnly,
                    Role::PublishOnly => pb::TopicRole::TopicWriteOnly,
                    _ => return None,
                } as i32,
                cache: Some(match &g.cache {
                    CacheSelector::Name(n) => pb::TopicCache::CacheSelector(cache_name(n)),
                    CacheSelector::All => pb::TopicCache::AllCaches(pb::All {}),
                    CacheSelector::Prefix(_) => return None,
                }),
                topic: Some(match topic {
                    TopicSelector::All => pb::Topic::AllTopics(pb::All {}),
                    TopicSelector::Name(n) => pb::Topic::TopicSelector(pb::TopicSelector {
                        kind: Some(pb::TopicSelectorKind::TopicName(n.clone())),
                    }),
                    TopicSelector::Prefix(p) => pb::Topic::TopicSelector(pb::TopicSelector {
                        kind: Some(pb::TopicSelectorKind::TopicNamePrefix(p.clone())),
                    }),
                }),
            })
        }
    };
    Some(pb::PermissionsType { kind: Some(kind) })
}

/// `credential` as a v2 `PermissionSet`, or one diagnostic for each thing v2 cannot say (the
/// caller has checked the name, kind and expiry).
pub(super) fn permission_set(credential: &CredentialDef) -> Result<Vec<u8>, Error> {
    use super::messages_v2 as v2;
    use crate::syntax::momento::{RuleKind, rules_of};
    let conditions = if credential.networks.is_empty() {
        Vec::new()
    } else {
        vec![v2::Condition {
            ip_filter: Some(v2::IpFilter {
                allowed_cidr_ranges: credential
                    .networks
                    .iter()
                    .map(|n| v2::CidrRange {
                        range: Some(if n.addr().is_ipv4() {
                            v2::CidrRangeKind::Ipv4(n.to_string())
                        } else {
                            v2::CidrRangeKind::Ipv6(n.to_string())
                        }),
                    })
                    .collect(),
            }),
        }]
    };
    let kind = match &credential.permissions {
        Permissions::SuperUser { .. } => v2::PermissionSetKind::SuperUser(0),
        Permissions::Explicit(grants) => {
            let mut problems = Vec::new();
            crate::syntax::momento::refuse_extensions(
                grants,
                &credential.name,
                "Momento's v2 protobuf",
                crate::syntax::momento::Model::V2,
                "print fgac's key-store JSON instead",
                &mut problems,
            );
            if !problems.is_empty() {
                return Err(Error::new(problems));
            }
            let mut rules = Vec::new();
            for r in rules_of(credential) {
                let p = r.perms;
                // Cache, topic and store rules number list, read, write (0, 1, 2); management
                // rules read, write, list.
                let numbers: &[(bool, i32, i32)] =
                    &[(p.read, 1, 0), (p.write, 2, 1), (p.list, 0, 2)];
                let mut permissions: Vec<i32> = numbers
                    .iter()
                    .filter(|(on, _, _)| *on)
                    .map(|&(_, data, management)| {
                        if r.kind.is_management() {
                            management
                        } else {
                            data
                        }
                    })
                    .collect();
                permissions.sort_unstable();
                let all = || Some(pb::All {});
                let kind = match (r.kind, r.grant) {
                    (RuleKind::AccountManagement, _) => {
                        v2::RuleKind::AccountManagementRule(v2::ManagementRule {
                            permissions,
                            all: None,
                        })
                    }
                    (RuleKind::AuthManagement, _) => {
                        v2::RuleKind::AuthManagementRule(v2::ManagementRule {
                            permissions,
                            all: all(),
                        })
                    }
                    (RuleKind::ResourceManagement, _) => {
                        v2::RuleKind::ResourceManagementRule(v2::ManagementRule {
                            permissions,
                            all: all(),
                        })
                    }
                    (RuleKind::Store, None) => v2::RuleKind::StorageRule(v2::StoreRule {
                        permissions,
                        store: Some(pb::Cache::AllCaches(pb::All {})),
                        store_item: Some(pb::CacheItem::AllItems(pb::All {})),
                    }),
                    (RuleKind::Cache, None) => v2::RuleKind::CacheRule(v2::CacheRule {
                        permissions,
                        cache: Some(pb::Cache::AllCaches(pb::All {})),
                        cache_item: Some(pb::CacheItem::AllItems(pb::All {})),
                    }),
                    (RuleKind::Topic, None) => v2::RuleKind::TopicRule(v2::TopicRule {
                        permissions,
                        cache: Some(pb::TopicCache::AllCaches(pb::All {})),
                        topic: Some(pb::Topic::AllTopics(pb::All {})),
                    }),
                    (RuleKind::Cache | RuleKind::Topic | RuleKind::Store, Some(g)) => {
                        // The v1 writer's selectors, with "every item" always written.
                        let Some(pb::PermissionsType { kind: Some(v1) }) =
                            grant(g, CredentialKind::Token)
                        else {
                            return Err(Error::one(Diagnostic::new(
                                ErrorKind::RoleMismatch,
                                g.span,
                                format!(
                                    "a grant of `{}` gives the role `{}` on the wrong kind of resource",
                                    credential.name, g.role
                                ),
                            )));
                        };
                        match v1 {
                            pb::PermissionKind::CachePermissions(c)
                                if r.kind == RuleKind::Store =>
                            {
                                v2::RuleKind::StorageRule(v2::StoreRule {
                                    permissions,
                                    store: c.cache,
                                    store_item: c.cache_item,
                                })
                            }
                            pb::PermissionKind::CachePermissions(c) => {
                                v2::RuleKind::CacheRule(v2::CacheRule {
                                    permissions,
                                    cache: c.cache,
                                    cache_item: c.cache_item,
                                })
                            }
                            pb::PermissionKind::TopicPermissions(t) => {
                                v2::RuleKind::TopicRule(v2::TopicRule {
                                    permissions,
                                    cache: t.cache,
                                    topic: t.topic,
                                })
                            }
                        }
                    }
                };
                rules.push(v2::Rule { kind: Some(kind) });
            }
            v2::PermissionSetKind::Explicit(v2::ExplicitPermissions { rules })
        }
    };
    Ok(v2::PermissionSet {
        conditions,
        kind: Some(kind),
    }
    .encode_to_vec())
}
