//! Reading Momento's v2 `PermissionSet` message (`permissionrules.proto`) into the model, as
//! strictly as v1: every oneof set, no unknown field or enum value, nothing given twice. The
//! enum zero values are real permissions in v2 (`CacheList = 0`, `AccountRead = 0`), so the
//! permission lists are taken as given (packed or not) and an absent list permits nothing, which
//! is refused.

use super::read::{
    all, cache_selector, empty_selector, item_selector, message_of, oneof_unset, string_of,
    topic_selector, unknown_enum,
};
use super::wire::{
    Field, FieldDef, Message, Refusal, Schema, Value, Wire, error, read_fields, varints,
};
use crate::error::{Diagnostic, ErrorKind};
use crate::limits::Limits;
use crate::model::{CacheSelector, Network, Permissions, ResourceSelector, Span};
use crate::ops::AccountRights;
use crate::syntax::momento::{Perms, RuleKind, RuleSet};

const PERMISSION_SET: Schema = Schema {
    name: "PermissionSet",
    fields: &[
        FieldDef::of(1, "super_user", Wire::Varint, "kind"),
        FieldDef::of(2, "explicit", Wire::Len, "kind"),
        FieldDef::many(3, "conditions", Wire::Len),
    ],
};

const EXPLICIT: Schema = Schema {
    name: "ExplicitPermissions",
    fields: &[FieldDef::many(1, "rules", Wire::Len)],
};

const RULE: Schema = Schema {
    name: "Rule",
    fields: &[
        FieldDef::of(1, "account_management_rule", Wire::Len, "kind"),
        FieldDef::of(2, "auth_management_rule", Wire::Len, "kind"),
        FieldDef::of(3, "resource_management_rule", Wire::Len, "kind"),
        FieldDef::of(4, "cache_rule", Wire::Len, "kind"),
        FieldDef::of(5, "topic_rule", Wire::Len, "kind"),
        FieldDef::of(6, "storage_rule", Wire::Len, "kind"),
        FieldDef::of(7, "function_rule", Wire::Len, "kind"),
        FieldDef::of(8, "database_rule", Wire::Len, "kind"),
    ],
};

const ACCOUNT_RULE: Schema = Schema {
    name: "AccountManagementRule",
    fields: &[FieldDef::many(1, "permissions", Wire::Varint)],
};

const AUTH_RULE: Schema = Schema {
    name: "AuthManagementRule",
    fields: &[
        FieldDef::many(1, "permissions", Wire::Varint),
        FieldDef::of(2, "all_items", Wire::Len, "auth_items"),
    ],
};

const RESOURCE_RULE: Schema = Schema {
    name: "ResourceManagementRule",
    fields: &[
        FieldDef::many(1, "permissions", Wire::Varint),
        FieldDef::of(2, "all_resources", Wire::Len, "resources"),
    ],
};

const CACHE_RULE: Schema = Schema {
    name: "CacheRule",
    fields: &[
        FieldDef::many(1, "permissions", Wire::Varint),
        FieldDef::of(2, "all_caches", Wire::Len, "cache"),
        FieldDef::of(3, "cache_selector", Wire::Len, "cache"),
        FieldDef::of(4, "all_items", Wire::Len, "cache_item"),
        FieldDef::of(5, "item_selector", Wire::Len, "cache_item"),
    ],
};

const TOPIC_RULE: Schema = Schema {
    name: "TopicRule",
    fields: &[
        FieldDef::many(1, "permissions", Wire::Varint),
        FieldDef::of(2, "all_caches", Wire::Len, "cache"),
        FieldDef::of(3, "cache_selector", Wire::Len, "cache"),
        FieldDef::of(4, "all_topics", Wire::Len, "topic"),
        FieldDef::of(5, "topic_selector", Wire::Len, "topic"),
    ],
};

const STORE_RULE: Schema = Schema {
    name: "StoreRule",
    fields: &[
        FieldDef::many(1, "permissions", Wire::Varint),
        FieldDef::of(2, "all_stores", Wire::Len, "store"),
        FieldDef::of(3, "store_selector", Wire::Len, "store"),
        FieldDef::of(4, "all_items", Wire::Len, "store_item"),
        FieldDef::of(5, "item_selector", Wire::Len, "store_item"),
    ],
};

const STORE_SELECTOR: Schema = Schema {
    name: "StoreSelector",
    fields: &[FieldDef::of(1, "store_name", Wire::Len, "kind")],
};

const CONDITION: Schema = Schema {
    name: "Condition",
    fields: &[FieldDef::of(1, "ip_filter", Wire::Len, "condition")],
};

const IP_FILTER: Schema = Schema {
    name: "IpFilter",
    fields: &[FieldDef::many(1, "allowed_cidr_ranges", Wire::Len)],
};

const CIDR_RANGE: Schema = Schema {
    name: "CidrRange",
    fields: &[
        FieldDef::of(1, "ipv4", Wire::Len, "range"),
        FieldDef::of(2, "ipv6", Wire::Len, "range"),
    ],
};

/// What a `PermissionSet` says.
pub(super) struct PermissionSet {
    pub(super) permissions: Permissions,
    pub(super) account: AccountRights,
    pub(super) networks: Vec<Network>,
}

/// Reads `bytes` as a v2 `PermissionSet` under `limits`.
pub(super) fn permission_set(bytes: &[u8], limits: &Limits) -> Result<PermissionSet, Refusal> {
    if bytes.len() > limits.max_document_bytes {
        return Err(Box::new(Diagnostic::limit(
            "max_document_bytes",
            limits.max_document_bytes,
            Span::new(0, 0),
            format!("message of {} bytes is too large", bytes.len()),
        )));
    }
    let whole = Message { bytes, offset: 0 };
    let mut permissions = None;
    let mut rules = RuleSet::default();
    let most = limits.max_grants_per_key.max(limits.max_grants_per_token);
    let mut networks = None;
    read_fields(whole, &PERMISSION_SET, |f| {
        match (f.def.number, f.value) {
            (1, Value::Varint(0)) => permissions = Some(Permissions::SuperUser { span: f.span }),
            (1, Value::Varint(n)) => {
                return Err(unknown_enum(f, "SuperUserPermissions", n, "SuperUser (0)"));
            }
            (2, _) => {
                read_fields(message_of(f)?, &EXPLICIT, |r| rule(r, &mut rules, most))?;
                permissions = Some(Permissions::Explicit(std::mem::take(&mut rules.grants)));
            }
            _ => {
                if networks.is_some() {
                    return Err(error(f.span, "more than one condition")
                        .with_help("fgac reads one `ip_filter`; list every range in its `allowed_cidr_ranges`")
                        .into());
                }
                networks = Some(condition(f, limits)?);
            }
        }
        Ok(())
    })?;
    let permissions = permissions.ok_or_else(|| -> Refusal {
        error(
            whole.span(),
            "`PermissionSet` has neither `super_user` nor `explicit` set",
        )
        .with_help("an empty message grants nothing and everything equally; say which")
        .into()
    })?;
    Ok(PermissionSet {
        permissions,
        account: rules.account,
        networks: networks.unwrap_or_default(),
    })
}

/// A rule's permission list (field 1): each value once, at least one.
fn perms(kind: RuleKind, message: &str, f: Field<'_>, p: &mut Perms) -> Result<(), Refusal> {
    varints(f, |n, span| {
        // Cache, topic and store rules number list, read, write; management rules read, write,
        // list.
        let slot = match (kind.is_management(), n) {
            (false, 0) | (true, 2) => &mut p.list,
            (false, 1) | (true, 0) => &mut p.read,
            (false, 2) | (true, 1) => &mut p.write,
            _ => {
                let known = if kind.is_management() {
                    "read (0), write (1), list (2)"
                } else {
                    "list (0), read (1), write (2)"
                };
                return Err(
                    error(span, format!("unknown permission value {n} in `{message}`"))
                        .with_help(format!("the values fgac knows are {known}"))
                        .into(),
                );
            }
        };
        if *slot {
            return Err(
                error(span, format!("a permission is listed twice in `{message}`"))
                    .with_help("list each permission once")
                    .into(),
            );
        }
        *slot = true;
        Ok(())
    })
}

fn rule(f: Field<'_>, out: &mut RuleSet, most: usize) -> Result<(), Refusal> {
    if out.grants.len() == most {
        return Err(Box::new(Diagnostic::limit(
            "max_grants_per_key",
            most,
            f.span,
            format!("the message holds more than {most} rules"),
        )));
    }
    let span = f.span;
    let m = message_of(f)?;
    let mut kind = None;
    read_fields(m, &RULE, |r| {
        kind = Some(r);
        Ok(())
    })?;
    let Some(r) = kind else {
        return Err(error(span, "`Rule` has no kind of rule set").into());
    };
    let (kind, schema) = match r.def.number {
        1 => (RuleKind::AccountManagement, &ACCOUNT_RULE),
        2 => (RuleKind::AuthManagement, &AUTH_RULE),
        3 => (RuleKind::ResourceManagement, &RESOURCE_RULE),
        4 => (RuleKind::Cache, &CACHE_RULE),
        5 => (RuleKind::Topic, &TOPIC_RULE),
        6 => (RuleKind::Store, &STORE_RULE),
        _ => {
            return Err(Box::new(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    r.span,
                    format!(
                        "`{}` is not supported: fgac authorizes caches, topics, stores and account management",
                        r.def.name
                    ),
                )
                .with_help("remove the rule"),
            ));
        }
    };
    let body = message_of(r)?;
    let mut p = Perms::default();
    let mut cache = None;
    let mut resource = None;
    let mut selected = false;
    read_fields(body, schema, |f| {
        match (kind, f.def.number) {
            (_, 1) => perms(kind, schema.name, f, &mut p)?,
            (RuleKind::AuthManagement | RuleKind::ResourceManagement, _) => {
                all(f)?;
                selected = true;
            }
            (RuleKind::Cache | RuleKind::Topic, 2 | 3) => cache = Some(cache_selector(f)?),
            (RuleKind::Cache, _) => {
                resource = Some(ResourceSelector::Items(item_selector(
                    f,
                    "CacheItemSelector",
                )?))
            }
            (RuleKind::Topic, _) => resource = Some(ResourceSelector::Topics(topic_selector(f)?)),
            (_, 2) => {
                all(f)?;
                cache = Some(CacheSelector::All);
            }
            (_, 3) => cache = Some(store_selector(f)?),
            _ => {
                resource = Some(ResourceSelector::StoreItems(item_selector(
                    f,
                    "StoreItemSelector",
                )?))
            }
        }
        Ok(())
    })?;
    if p == Perms::default() {
        return Err(error(
            r.span,
            format!(
                "`{}` has no permissions, so it permits nothing",
                schema.name
            ),
        )
        .with_help("list the permissions it gives")
        .into());
    }
    let selectors = if kind.is_management() {
        if kind != RuleKind::AccountManagement && !selected {
            let oneof = if kind == RuleKind::AuthManagement {
                "auth_items"
            } else {
                "resources"
            };
            return Err(oneof_unset(body, schema.name, oneof));
        }
        None
    } else {
        let (first, second) = match kind {
            RuleKind::Store => ("store", "store_item"),
            RuleKind::Topic => ("cache", "topic"),
            _ => ("cache", "cache_item"),
        };
        let cache = cache.ok_or_else(|| oneof_unset(body, schema.name, first))?;
        let resource = resource.ok_or_else(|| oneof_unset(body, schema.name, second))?;
        Some((cache, resource))
    };
    out.add(kind, p, selectors, span).map_err(|e| {
        let (message, help) = e.parts();
        error(r.span, message).with_help(help).into()
    })
}

/// The `store` oneof's `store_selector` (field 3): a `StoreSelector` naming one store.
fn store_selector(f: Field<'_>) -> Result<CacheSelector, Refusal> {
    let mut name = None;
    read_fields(message_of(f)?, &STORE_SELECTOR, |s| {
        name = Some(string_of(s)?);
        Ok(())
    })?;
    name.map(CacheSelector::Name)
        .ok_or_else(|| empty_selector(f, "StoreSelector"))
}

/// A `Condition`: its one `ip_filter`'s ranges, each in the family its member names.
fn condition(f: Field<'_>, limits: &Limits) -> Result<Vec<Network>, Refusal> {
    let mut networks = None;
    read_fields(message_of(f)?, &CONDITION, |c| {
        let mut list = Vec::new();
        read_fields(message_of(c)?, &IP_FILTER, |range| {
            if list.len() == limits.max_networks_per_credential {
                return Err(Box::new(Diagnostic::limit(
                    "max_networks_per_credential",
                    limits.max_networks_per_credential,
                    range.span,
                    format!(
                        "the filter lists more than {} ranges",
                        limits.max_networks_per_credential
                    ),
                )));
            }
            let mut network = None;
            let body = message_of(range)?;
            read_fields(body, &CIDR_RANGE, |member| {
                let text = string_of(member)?;
                let parsed = text.parse::<Network>().map_err(|e| -> Refusal {
                    let (message, help) = e.parts();
                    let d = error(member.span, message.to_owned());
                    Box::new(match help {
                        Some(h) => d.with_help(h.to_owned()),
                        None => d,
                    })
                })?;
                let v4 = member.def.number == 1;
                if parsed.addr().is_ipv4() != v4 {
                    return Err(error(
                        member.span,
                        format!(
                            "`{text}` is in the `{}` member, but is not of that family",
                            member.def.name
                        ),
                    )
                    .into());
                }
                network = Some(parsed);
                Ok(())
            })?;
            list.push(network.ok_or_else(|| oneof_unset(body, "CidrRange", "range"))?);
            Ok(())
        })?;
        if list.is_empty() {
            return Err(error(
                c.span,
                "the `ip_filter` allows no range, which would allow no address",
            )
            .with_help("leave the condition out to allow every address, or list the ranges")
            .into());
        }
        networks = Some(list);
        Ok(())
    })?;
    networks.ok_or_else(|| error(f.span, "`Condition` has no condition set").into())
}
