//! Writing the model as Momento's v1 `Permissions` message.

use super::messages as pb;
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::model::{
    CacheSelector, CredentialKind, Effect, Grant, ItemSelector, Permissions, ResourceSelector,
    Role, TopicSelector,
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
        ResourceSelector::Items(item) => {
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
