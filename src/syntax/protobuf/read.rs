//! Reading Momento's v1 `Permissions` message into the model, by MOMENTO.md's rules for what may
//! be unset: an unset `cache_item` means every item; a zero (`*PermitNone`) role, an unset
//! `cache` or `topic` oneof, an empty selector message and an unknown enum value are errors.

use super::wire::{Field, FieldDef, Message, Refusal, Schema, Value, Wire, error, read_fields};
use crate::error::{Diagnostic, ErrorKind};
use crate::limits::Limits;
use crate::model::{
    CacheSelector, Effect, Grant, ItemSelector, Permissions, ResourceSelector, Role, Span,
    TopicSelector,
};

const PERMISSIONS: Schema = Schema {
    name: "Permissions",
    fields: &[
        FieldDef::of(1, "super_user", Wire::Varint, "kind"),
        FieldDef::of(2, "explicit", Wire::Len, "kind"),
    ],
};

const EXPLICIT: Schema = Schema {
    name: "ExplicitPermissions",
    fields: &[FieldDef::many(1, "permissions", Wire::Len)],
};

const PERMISSIONS_TYPE: Schema = Schema {
    name: "PermissionsType",
    fields: &[
        FieldDef::of(1, "cache_permissions", Wire::Len, "kind"),
        FieldDef::of(2, "topic_permissions", Wire::Len, "kind"),
        FieldDef::of(3, "function_permissions", Wire::Len, "kind"),
    ],
};

const CACHE_PERMISSIONS: Schema = Schema {
    name: "CachePermissions",
    fields: &[
        FieldDef::one(1, "role", Wire::Varint),
        FieldDef::of(2, "all_caches", Wire::Len, "cache"),
        FieldDef::of(3, "cache_selector", Wire::Len, "cache"),
        FieldDef::of(4, "all_items", Wire::Len, "cache_item"),
        FieldDef::of(5, "item_selector", Wire::Len, "cache_item"),
    ],
};

const TOPIC_PERMISSIONS: Schema = Schema {
    name: "TopicPermissions",
    fields: &[
        FieldDef::one(1, "role", Wire::Varint),
        FieldDef::of(2, "all_caches", Wire::Len, "cache"),
        FieldDef::of(3, "cache_selector", Wire::Len, "cache"),
        FieldDef::of(4, "all_topics", Wire::Len, "topic"),
        FieldDef::of(5, "topic_selector", Wire::Len, "topic"),
    ],
};

const ALL: Schema = Schema {
    name: "All",
    fields: &[],
};

const CACHE_SELECTOR: Schema = Schema {
    name: "CacheSelector",
    fields: &[FieldDef::of(1, "cache_name", Wire::Len, "kind")],
};

const CACHE_ITEM_SELECTOR: Schema = Schema {
    name: "CacheItemSelector",
    fields: &[
        FieldDef::of(1, "key", Wire::Len, "kind"),
        FieldDef::of(2, "key_prefix", Wire::Len, "kind"),
    ],
};

const TOPIC_SELECTOR: Schema = Schema {
    name: "TopicSelector",
    fields: &[
        FieldDef::of(1, "topic_name", Wire::Len, "kind"),
        FieldDef::of(2, "topic_name_prefix", Wire::Len, "kind"),
    ],
};

/// Reads `bytes` as a `Permissions` message. At most `limits.max_document_bytes` are read, and at
/// most the larger of the two grant limits' permissions are kept (the caller validates the
/// credential, which applies the limit of its kind).
pub(super) fn permissions(bytes: &[u8], limits: &Limits) -> Result<Permissions, Refusal> {
    if bytes.len() > limits.max_document_bytes {
        return Err(Box::new(Diagnostic::limit(
            "max_document_bytes",
            limits.max_document_bytes,
            Span::new(0, 0),
            format!("message of {} bytes is too large", bytes.len()),
        )));
    }
    let whole = Message { bytes, offset: 0 };
    let mut out = None;
    read_fields(whole, &PERMISSIONS, |f| {
        out = Some(match (f.def.number, f.value) {
            (1, Value::Varint(0)) => Permissions::SuperUser { span: f.span },
            (1, Value::Varint(n)) => {
                return Err(unknown_enum(f, "SuperUserPermissions", n, "SuperUser (0)"));
            }
            (_, Value::Len(m)) => Permissions::Explicit(explicit(m, limits)?),
            (_, Value::Varint(_)) => unreachable_wire(f)?,
        });
        Ok(())
    })?;
    out.ok_or_else(|| {
        error(
            whole.span(),
            "`Permissions` has neither `super_user` nor `explicit` set",
        )
        .with_help("an empty message grants nothing and everything equally; say which")
        .into()
    })
}

fn explicit(m: Message<'_>, limits: &Limits) -> Result<Vec<Grant>, Refusal> {
    let most = limits.max_grants_per_key.max(limits.max_grants_per_token);
    let mut grants = Vec::new();
    read_fields(m, &EXPLICIT, |f| {
        if grants.len() == most {
            return Err(Box::new(Diagnostic::limit(
                "max_grants_per_key",
                most,
                f.span,
                format!("the message holds more than {most} permissions"),
            )));
        }
        grants.push(permission(message_of(f)?, f.span)?);
        Ok(())
    })?;
    Ok(grants)
}

fn permission(m: Message<'_>, span: Span) -> Result<Grant, Refusal> {
    let mut out = None;
    read_fields(m, &PERMISSIONS_TYPE, |f| {
        let inner = message_of(f)?;
        out = Some(match f.def.number {
            1 => cache_permission(inner, span)?,
            2 => topic_permission(inner, span)?,
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::Unsupported,
                    f.span,
                    "function permissions are not supported: fgac authorizes cache items and topics",
                )
                .with_help("remove the `function_permissions` entry")
                .into());
            }
        });
        Ok(())
    })?;
    out.ok_or_else(|| {
        error(
            span,
            "`PermissionsType` has none of `cache_permissions`, `topic_permissions` set",
        )
        .into()
    })
}

fn cache_permission(m: Message<'_>, span: Span) -> Result<Grant, Refusal> {
    let mut role = None;
    let mut cache = None;
    let mut item = None;
    read_fields(m, &CACHE_PERMISSIONS, |f| {
        match f.def.number {
            1 => {
                role = Some(match varint_of(f)? {
                    0 => return Err(permit_none(f, "CachePermitNone", CACHE_ROLES)),
                    1 => Role::ReadWrite,
                    2 => Role::ReadOnly,
                    3 => Role::WriteOnly,
                    n => return Err(unknown_enum(f, "CacheRole", n, CACHE_ROLES)),
                })
            }
            2 | 3 => cache = Some(cache_selector(f)?),
            _ => item = Some(item_selector(f, "CacheItemSelector")?),
        }
        Ok(())
    })?;
    let role = role.ok_or_else(|| role_unset(m, "CachePermissions", CACHE_ROLES))?;
    let cache = cache.ok_or_else(|| oneof_unset(m, "CachePermissions", "cache"))?;
    Ok(Grant {
        effect: Effect::Allow,
        role,
        cache,
        // Unset means every item: Momento's SDKs send API-key cache permissions so.
        resource: ResourceSelector::Items(item.unwrap_or(ItemSelector::All)),
        span,
    })
}

fn topic_permission(m: Message<'_>, span: Span) -> Result<Grant, Refusal> {
    let mut role = None;
    let mut cache = None;
    let mut topic = None;
    read_fields(m, &TOPIC_PERMISSIONS, |f| {
        match f.def.number {
            1 => {
                role = Some(match varint_of(f)? {
                    0 => return Err(permit_none(f, "TopicPermitNone", TOPIC_ROLES)),
                    1 => Role::PublishSubscribe,
                    2 => Role::SubscribeOnly,
                    3 => Role::PublishOnly,
                    n => return Err(unknown_enum(f, "TopicRole", n, TOPIC_ROLES)),
                })
            }
            2 | 3 => cache = Some(cache_selector(f)?),
            _ => topic = Some(topic_selector(f)?),
        }
        Ok(())
    })?;
    let role = role.ok_or_else(|| role_unset(m, "TopicPermissions", TOPIC_ROLES))?;
    let cache = cache.ok_or_else(|| oneof_unset(m, "TopicPermissions", "cache"))?;
    let topic = topic.ok_or_else(|| oneof_unset(m, "TopicPermissions", "topic"))?;
    Ok(Grant {
        effect: Effect::Allow,
        role,
        cache,
        resource: ResourceSelector::Topics(topic),
        span,
    })
}

const CACHE_ROLES: &str = "CacheReadWrite (1), CacheReadOnly (2), CacheWriteOnly (3)";
const TOPIC_ROLES: &str = "TopicReadWrite (1), TopicReadOnly (2), TopicWriteOnly (3)";

/// The item oneof's member `f` (field 4 `all_items`, or field 5 a selector message named
/// `message` with `key` 1 and `key_prefix` 2: v1's and v2's caches, v2's stores). Errors name
/// the selector as `CacheItemSelector`, whose shape both have.
pub(super) fn item_selector(f: Field<'_>, message: &str) -> Result<ItemSelector, Refusal> {
    if f.def.number == 4 {
        all(f)?;
        return Ok(ItemSelector::All);
    }
    let mut selector = None;
    read_fields(message_of(f)?, &CACHE_ITEM_SELECTOR, |s| {
        let bytes = message_of(s)?.bytes.to_vec();
        selector = Some(if s.def.number == 1 {
            ItemSelector::Key(bytes)
        } else {
            ItemSelector::Prefix(bytes)
        });
        Ok(())
    })?;
    selector.ok_or_else(|| empty_selector(f, message))
}

/// The `topic` oneof's member `f`: field 4 `all_topics`, or field 5 a `topic_selector`.
pub(super) fn topic_selector(f: Field<'_>) -> Result<TopicSelector, Refusal> {
    if f.def.number == 4 {
        all(f)?;
        return Ok(TopicSelector::All);
    }
    let mut selector = None;
    read_fields(message_of(f)?, &TOPIC_SELECTOR, |s| {
        let name = string_of(s)?;
        selector = Some(if s.def.number == 1 {
            TopicSelector::Name(name)
        } else {
            TopicSelector::Prefix(name)
        });
        Ok(())
    })?;
    selector.ok_or_else(|| empty_selector(f, "TopicSelector"))
}

/// The `cache` oneof's member `f`: `all_caches` (2) or a `cache_selector` (3) naming one cache
/// (v2's stores likewise: `all_stores`, a `store_selector` with `store_name` 1).
pub(super) fn cache_selector(f: Field<'_>) -> Result<CacheSelector, Refusal> {
    if f.def.number == 2 {
        all(f)?;
        return Ok(CacheSelector::All);
    }
    let mut name = None;
    read_fields(message_of(f)?, &CACHE_SELECTOR, |s| {
        name = Some(string_of(s)?);
        Ok(())
    })?;
    name.map(CacheSelector::Name)
        .ok_or_else(|| empty_selector(f, "CacheSelector"))
}

/// An `All` message: empty.
pub(super) fn all(f: Field<'_>) -> Result<(), Refusal> {
    read_fields(message_of(f)?, &ALL, |_| Ok(()))
}

pub(super) fn message_of<'b>(f: Field<'b>) -> Result<Message<'b>, Refusal> {
    match f.value {
        Value::Len(m) => Ok(m),
        Value::Varint(_) => unreachable_wire(f),
    }
}

pub(super) fn varint_of(f: Field<'_>) -> Result<u64, Refusal> {
    match f.value {
        Value::Varint(n) => Ok(n),
        Value::Len(_) => unreachable_wire(f),
    }
}

pub(super) fn string_of(f: Field<'_>) -> Result<String, Refusal> {
    let m = message_of(f)?;
    match std::str::from_utf8(m.bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let at = m.offset + e.valid_up_to();
            Err(error(
                Span::new(at, at + 1),
                format!("field `{}` is not UTF-8 at byte {at}", f.def.name),
            )
            .with_help("protobuf strings are UTF-8; names in permissions are strings")
            .into())
        }
    }
}

/// The reader checked the wire type against the schema, so a value of the other kind is a schema
/// mistake; it is an error (never a panic) all the same.
pub(super) fn unreachable_wire<T>(f: Field<'_>) -> Result<T, Refusal> {
    Err(error(
        f.span,
        format!("field `{}` is carried on the wrong wire type", f.def.name),
    )
    .into())
}

pub(super) fn unknown_enum(f: Field<'_>, enumeration: &str, value: u64, known: &str) -> Refusal {
    Box::new(
        error(
            f.span,
            format!(
                "unknown `{enumeration}` value {value} in field `{}`",
                f.def.name
            ),
        )
        .with_help(format!("the values fgac knows are {known}")),
    )
}

fn permit_none(f: Field<'_>, name: &str, roles: &str) -> Refusal {
    Box::new(
    error(
        f.span,
        format!("the role is `{name}`, which permits nothing"),
    )
    .with_help(format!(
        "fgac never reads a permission that permits nothing as anything; set the role to one of {roles}"
    )),
    )
}

fn role_unset(m: Message<'_>, message: &str, roles: &str) -> Refusal {
    Box::new(
    error(
        m.span(),
        format!("`{message}` has no role (on the wire, an unset role is the zero value, `*PermitNone`)"),
    )
    .with_help(format!("set the role to one of {roles}")),
    )
}

pub(super) fn oneof_unset(m: Message<'_>, message: &str, oneof: &str) -> Refusal {
    let choices = match oneof {
        "topic" => "`all_topics` or a `topic_selector`",
        "store" => "`all_stores` or a `store_selector`",
        "cache_item" | "store_item" => "`all_items` or an `item_selector`",
        "auth_items" => "`all_items`",
        "resources" => "`all_resources`",
        "range" => "`ipv4` or `ipv6`",
        _ => "`all_caches` or a `cache_selector`",
    };
    Box::new(
        error(
            m.span(),
            format!("`{message}` leaves its `{oneof}` oneof unset"),
        )
        .with_help(format!(
            "set {choices}: fgac reads an unset selector neither as \"all\" nor as \"none\""
        )),
    )
}

pub(super) fn empty_selector(f: Field<'_>, selector: &str) -> Refusal {
    Box::new(
        error(
            f.span,
            format!(
                "`{selector}` in field `{}` selects nothing: its oneof is unset",
                f.def.name
            ),
        )
        .with_help("name what it selects, or use the `all_*` member instead of a selector"),
    )
}
