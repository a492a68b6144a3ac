//! Fields and rules: `expires`, `id`, `superuser`, and `allow`/`deny` rules with their selectors.

use super::ast::FieldValue;
use super::perror::{PError, PResult, Src, commit, expected_quoted, failure, recoverable};
use super::tokens::{identifier, instant, keyword, list, name, space, string};
use crate::model::{
    CacheSelector, Effect, Expiry, Grant, ItemSelector, Network, ResourceSelector, Role,
    TopicSelector,
};
use crate::ops::AccountRights;
use crate::suggest::did_you_mean;
use nom::Parser;
use nom::bytes::complete::tag;
use nom::character::complete::char;
use nom::combinator::{cut, opt};

pub(super) const FIELD_KEYWORDS: &[&str] =
    &["allow", "deny", "expires", "id", "networks", "superuser"];
pub(super) const ROLES: &[&str] = &[
    "readwrite",
    "readonly",
    "writeonly",
    "publishsubscribe",
    "subscribeonly",
    "publishonly",
];
pub(super) const RESOURCE_KEYWORDS: &[&str] = &["item", "items", "topic", "topics"];

/// `expires`: after the keyword.
pub(super) fn expires(i: &str) -> PResult<'_, Expiry> {
    let (i, _) = space(i)?;
    if let Ok((rest, _)) = tag::<_, _, PError<'_>>("never").parse(i)
        && !rest.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Ok((rest, Expiry::Never));
    }
    if let Ok((_, word)) = identifier(i) {
        let e = PError::new(
            i,
            word.len(),
            format!("expected a time or `never` after `expires`, found `{word}`"),
        );
        return failure(match did_you_mean(word, ["never"]) {
            Some(_) => e.help("did you mean `never`?"),
            None => e.help("write `expires 2027-01-31T00:00:00Z`, or `expires never`"),
        });
    }
    let (rest, t) = cut(instant).parse(i).map_err(|e| match e {
        nom::Err::Error(e) => nom::Err::Failure(
            PError::expected(e.at, "a time or `never` after `expires`")
                .help("write `expires 2027-01-31T00:00:00Z`, or `expires never`"),
        ),
        other => other,
    })?;
    Ok((rest, Expiry::At(t)))
}

/// `networks`: after the keyword, one or more networks in double quotes, separated by commas.
pub(super) fn networks(i: &str, max: usize) -> PResult<'_, Vec<Network>> {
    let mut list = Vec::new();
    let mut rest = i;
    loop {
        let (at, _) = space(rest)?;
        let (after, text) = name(at, max).map_err(|e| {
            commit(e, || {
                PError::expected(at, "a network in double quotes, such as `\"10.0.0.0/8\"`")
                    .help("write `networks \"10.0.0.0/8\", \"2001:db8::/32\"`")
            })
        })?;
        let network = text.parse::<Network>().map_err(|e| {
            let (message, help) = e.parts();
            let err = PError::new(at, at.len() - after.len(), message);
            nom::Err::Failure(match help {
                Some(h) => err.help(h),
                None => err,
            })
        })?;
        list.push(network);
        let (next, _) = space(after)?;
        match char::<_, PError<'_>>(',').parse(next) {
            Ok((r, _)) => rest = r,
            Err(_) => return Ok((after, list)),
        }
    }
}

/// `rule`: after the effect keyword.
pub(super) fn rule<'a>(
    i: &'a str,
    effect: Effect,
    max: usize,
) -> PResult<'a, (Role, CacheSelector, Option<ResourceSelector>)> {
    let (i, _) = space(i)?;
    let at_role = i;
    let (i, role) = cut(|i| keyword(i, ROLES, "role")).parse(i)?;
    // `ROLES` spells exactly the names of `Role::ALL`; should they ever drift apart, refuse the
    // rule rather than guess a role.
    let Some(role) = Role::from_name(role) else {
        return failure(PError::new(
            at_role,
            role.len(),
            format!("unknown role `{role}`"),
        ));
    };
    let (i, _) = space(i)?;
    let (i, (cache, store)) = cut(|i| cache_selector(i, effect, role, max)).parse(i)?;
    let at_resource = i;
    let (i, resource) = opt(|i| {
        let (i, _) = space(i)?;
        resource_selector(i, max)
    })
    .parse(i)?;
    if !store {
        return Ok((i, (role, cache, resource)));
    }
    // A store holds items: every item when no selector is written.
    match resource {
        None => Ok((
            i,
            (
                role,
                cache,
                Some(ResourceSelector::StoreItems(ItemSelector::All)),
            ),
        )),
        Some(ResourceSelector::Items(item)) => {
            Ok((i, (role, cache, Some(ResourceSelector::StoreItems(item)))))
        }
        Some(_) => {
            let (at, _) = space(at_resource)?;
            failure(
                PError::new(
                    at,
                    i.len().abs_diff(at.len()),
                    "a store holds items, not topics",
                )
                .help("select items of a store: `item \"k\"`, `items prefix \"p\"` or `items *`"),
            )
        }
    }
}

/// `cache selector` (or `store selector`): the selector, and whether it selects stores.
pub(super) fn cache_selector(
    i: &str,
    effect: Effect,
    role: Role,
    max: usize,
) -> PResult<'_, (CacheSelector, bool)> {
    let start = i;
    let (i, word) = identifier(i).map_err(|_| {
        nom::Err::Error(PError::expected(start, "`cache` or `store` after the role"))
    })?;
    if word != "cache" && word != "store" {
        let e = PError::new(
            start,
            word.len(),
            format!("expected `cache` or `store` after the role, found `{word}`"),
        );
        return recoverable(if RESOURCE_KEYWORDS.contains(&word) || word == "caches" {
            e.help(format!(
                "a rule names its caches first: `{} {role} cache \"name\" {word} ...`",
                effect.as_str()
            ))
        } else {
            e
        });
    }
    let store = word == "store";
    let (i, _) = space(i)?;
    if let Ok((rest, _)) = char::<_, PError<'_>>('*').parse(i) {
        return Ok((rest, (CacheSelector::All, store)));
    }
    if let Ok((rest, _)) = tag::<_, _, PError<'_>>("prefix").parse(i) {
        let (rest, _) = space(rest)?;
        let (rest, p) = cut(|i| name(i, max)).parse(rest)?;
        return Ok((rest, (CacheSelector::Prefix(p), store)));
    }
    match name(i, max) {
        Ok((rest, n)) => Ok((rest, (CacheSelector::Name(n), store))),
        Err(nom::Err::Error(_)) => failure(
            PError::expected(i, &format!("a {word} name, `*` or `prefix` after `{word}`")).help(
                format!("write `{word} \"name\"`, `{word} *` or `{word} prefix \"tmp-\"`"),
            ),
        ),
        Err(e) => Err(e),
    }
}

/// `resource selector`; a recoverable error when the next word is not one of its keywords, so
/// that a rule without one ends cleanly.
pub(super) fn resource_selector(i: &str, max: usize) -> PResult<'_, ResourceSelector> {
    let (rest, word) = identifier(i)?;
    if !RESOURCE_KEYWORDS.contains(&word) {
        return recoverable(PError::expected(i, "a resource selector"));
    }
    let (rest, _) = space(rest)?;
    match word {
        "item" => {
            let (r, key) = string(rest, max)
                .map_err(|e| commit(e, || expected_quoted(rest, "a key", word)))?;
            Ok((r, ResourceSelector::Items(ItemSelector::Key(key))))
        }
        "topic" => {
            let (r, n) = name(rest, max)
                .map_err(|e| commit(e, || expected_quoted(rest, "a topic name", word)))?;
            Ok((r, ResourceSelector::Topics(TopicSelector::Name(n))))
        }
        "items" => match all_or_prefix(rest, word)? {
            (r, None) => Ok((r, ResourceSelector::Items(ItemSelector::All))),
            (_, Some(at)) => {
                let (r, p) = string(at, max)
                    .map_err(|e| commit(e, || expected_quoted(at, "a key prefix", word)))?;
                Ok((r, ResourceSelector::Items(ItemSelector::Prefix(p))))
            }
        },
        _ => match all_or_prefix(rest, word)? {
            (r, None) => Ok((r, ResourceSelector::Topics(TopicSelector::All))),
            (_, Some(at)) => {
                let (r, p) = name(at, max)
                    .map_err(|e| commit(e, || expected_quoted(at, "a topic prefix", word)))?;
                Ok((r, ResourceSelector::Topics(TopicSelector::Prefix(p))))
            }
        },
    }
}

/// `"*"` (`None`), or `prefix` followed by what comes next (`Some(rest)`), after `items`/`topics`.
pub(super) fn all_or_prefix<'a>(rest: &'a str, word: &str) -> PResult<'a, Option<&'a str>> {
    if let Ok((r, _)) = char::<_, PError<'_>>('*').parse(rest) {
        return Ok((r, None));
    }
    match tag::<_, _, PError<'_>>("prefix").parse(rest) {
        Ok((r, _)) => {
            let (r, _) = space(r)?;
            Ok((r, Some(r)))
        }
        Err(_) => failure(
            PError::expected(rest, &format!("`*` or `prefix` after `{word}`")).help(format!(
                "write `{word} *`, or `{word} prefix \"...\"`; for a single one, `{}`",
                word.trim_end_matches('s')
            )),
        ),
    }
}

/// `field`.
pub(super) fn field<'a>(i: &'a str, src: Src<'_>, max: usize) -> PResult<'a, FieldValue> {
    let (after, word) = identifier(i).map_err(|_| {
        nom::Err::Failure(PError::expected(
            i,
            "a rule (`allow` or `deny`), `expires`, `id`, `networks`, `superuser` or `}`",
        ))
    })?;
    let effect = match word {
        "allow" => Effect::Allow,
        "deny" => Effect::Deny,
        "expires" => {
            return expires(after).map(|(r, e)| (r, FieldValue::Expires(e)));
        }
        "id" => {
            let (r, _) = space(after)?;
            return name(r, max)
                .map(|(r, id)| (r, FieldValue::Id(id)))
                .map_err(|e| {
                    commit(e, || {
                        PError::expected(r, "the token id in double quotes after `id`")
                    })
                });
        }
        "networks" => {
            return networks(after, max).map(|(r, n)| (r, FieldValue::Networks(n)));
        }
        "superuser" => return Ok((after, FieldValue::SuperUser)),
        other => {
            let e = PError::new(i, other.len(), format!("unknown field `{other}`"));
            return failure(if ROLES.contains(&other) {
                e.help(format!(
                    "a rule starts with `allow` or `deny`: `allow {other} cache ...`"
                ))
            } else if let Some(s) = did_you_mean(other, FIELD_KEYWORDS.iter().copied()) {
                e.help(format!("did you mean `{s}`?"))
            } else {
                e.help(format!("a credential holds {}", list(FIELD_KEYWORDS)))
            });
        }
    };
    // `allow resource_write`: an account right (Momento's v2 management and list rights).
    let (at, _) = space(after)?;
    if let Ok((rest, word)) = identifier(at)
        && let Some(right) = AccountRights::from_name(word)
    {
        if effect == Effect::Deny {
            return failure(
                PError::new(i, rest.len().abs_diff(i.len()), format!("`deny {word}`: account rights cannot be denied"))
                    .help("deny rules take rights on items and topics away; leave the account right out instead"),
            );
        }
        return Ok((rest, FieldValue::Account(right)));
    }
    let (rest, (role, cache, resource)) = rule(after, effect, max)?;
    let resource = resource.unwrap_or(if role.is_topic_role() {
        ResourceSelector::Topics(TopicSelector::All)
    } else {
        ResourceSelector::Items(ItemSelector::All)
    });
    let span = src.span(i, rest);
    Ok((
        rest,
        FieldValue::Rule(Grant {
            effect,
            role,
            cache,
            resource,
            span,
        }),
    ))
}
