//! Test lines: `expect allow|deny "key" op resource [reason ...] [at ...]`.

use super::perror::{PError, PResult, Src, commit, expected_quoted, failure, recoverable};
use super::tokens::{identifier, instant, keyword, name, space, string};
use crate::decision::{OwnedResource, RuleId};
use crate::model::{Expectation, Expected, ExpectedReason};
use crate::ops::Operation;

/// The names a test's `reason` takes: every [`ExpectedReason`], in its order.
pub(super) const DENY_REASONS: &[&str] = &[
    "unknown_credential",
    "expired",
    "wrong_resource_kind",
    "super_user_required",
    "no_matching_grant",
    "denied_by_rule",
];

/// `expectation`.
pub(super) fn expectation<'a>(i: &'a str, src: Src<'_>, max: usize) -> PResult<'a, Expectation> {
    let start = i;
    match identifier(i) {
        Ok((_, "expect")) => {}
        Ok((_, word)) => {
            let e = PError::new(
                i,
                word.len(),
                format!("expected `expect` or `}}`, found `{word}`"),
            );
            return failure(if matches!(word, "allow" | "deny") {
                e.help(format!(
                    "a test line starts with `expect`: `expect {word} ...`"
                ))
            } else {
                e
            });
        }
        Err(_) => return failure(PError::expected(i, "`expect` or `}`")),
    }
    let i = &i["expect".len()..];
    let (i, _) = space(i)?;
    let (i, decision) = keyword(i, &["allow", "deny"], "decision")?;
    let (i, _) = space(i)?;
    let (i, key) = name(i, max).map_err(|e| {
        commit(e, || {
            PError::expected(i, "the credential's name in double quotes")
        })
    })?;
    let (i, _) = space(i)?;
    let (i, op) = operation(i)?;
    let (i, _) = space(i)?;
    let (mut i, resource) = request_resource(i, max)?;

    let mut expected = match decision {
        "allow" => Expected::Allow,
        _ => Expected::Deny {
            reason: None,
            rule: None,
        },
    };
    let mut at = None;
    // `reason` and `at`, each optional, in that order.
    let (after, _) = space(i)?;
    if let Ok((after_word, "reason")) = identifier(after) {
        let Expected::Deny { reason, rule } = &mut expected else {
            return failure(
                PError::new(after, 6, "`reason` only follows `expect deny`")
                    .help("an allowed request has no deny reason; remove `reason ...`"),
            );
        };
        let (r, _) = space(after_word)?;
        let (r, word) = keyword(r, DENY_REASONS, "deny reason")?;
        *reason = ExpectedReason::from_name(word);
        i = r;
        let (r2, _) = space(r)?;
        if let Some(digits) = r2.strip_prefix('#') {
            if word != "denied_by_rule" {
                return failure(
                    PError::new(r2, 1, format!("`{word}` names no rule"))
                        .help("only `denied_by_rule` takes a rule id, as in `denied_by_rule #2`"),
                );
            }
            let len = digits.bytes().take_while(u8::is_ascii_digit).count();
            let id = digits[..len].parse::<u32>().map_err(|_| {
                nom::Err::Failure(
                    PError::expected(digits, "a rule number after `#`")
                        .help("write `denied_by_rule #2`"),
                )
            })?;
            *rule = Some(RuleId::new(id));
            i = &digits[len..];
        }
    }
    let (after, _) = space(i)?;
    if let Ok((after_word, "at")) = identifier(after) {
        let (r, _) = space(after_word)?;
        let (r, t) = instant(r).map_err(|e| {
            commit(e, || {
                PError::expected(r, "a time after `at`").help("write `at 2027-01-31T00:00:00Z`")
            })
        })?;
        at = Some(t);
        i = r;
    }
    let span = src.span(start, i);
    Ok((
        i,
        Expectation {
            expected,
            credential: key,
            op,
            resource,
            at,
            span,
        },
    ))
}
/// An operation name, with a "did you mean" for near misses.
pub(super) fn operation(i: &str) -> PResult<'_, Operation> {
    let Ok((rest, word)) = identifier(i) else {
        return recoverable(PError::expected(
            i,
            "an operation (`get`, `set`, `publish`, ...)",
        ));
    };
    match word.parse::<Operation>() {
        Ok(op) => Ok((rest, op)),
        Err(unknown) => {
            let e = PError::new(i, word.len(), format!("unknown operation `{word}`"));
            failure(match unknown.suggestion() {
                Some(s) => e.help(format!("did you mean `{s}`?")),
                None => e.help("operations are snake_case Momento names: `get`, `set_if_not_exists`, `list_push_back`, `publish`, `create_cache`, ..."),
            })
        }
    }
}

/// `request resource`.
pub(super) fn request_resource(i: &str, max: usize) -> PResult<'_, OwnedResource> {
    let (i, word) = keyword(i, &["cache", "store", "account"], "resource")
        .map_err(|e| commit(e, || PError::expected(i, "`cache`, `store` or `account`").help("write `cache \"c\" item \"k\"`, `cache \"c\" topic \"t\"`, `cache \"c\"`, `store \"s\" item \"k\"` or `account`")))?;
    if word == "account" {
        return Ok((i, OwnedResource::Account));
    }
    if word == "store" {
        let (i, _) = space(i)?;
        let (i, store) = name(i, max).map_err(|e| {
            commit(e, || {
                PError::expected(i, "a store name in double quotes after `store`")
            })
        })?;
        let (i, _) = space(i)?;
        let (i, _) = keyword(i, &["item"], "`item`")?;
        let (i, _) = space(i)?;
        let (i, key) =
            string(i, max).map_err(|e| commit(e, || expected_quoted(i, "a key", "item")))?;
        return Ok((i, OwnedResource::StoreItem { store, key }));
    }
    let (i, _) = space(i)?;
    let (i, cache) = name(i, max).map_err(|e| {
        commit(e, || {
            PError::expected(i, "a cache name in double quotes after `cache`")
        })
    })?;
    let (after, _) = space(i)?;
    match identifier(after) {
        Ok((r, "item")) => {
            let (r, _) = space(r)?;
            let (r, key) =
                string(r, max).map_err(|e| commit(e, || expected_quoted(r, "a key", "item")))?;
            Ok((r, OwnedResource::Item { cache, key }))
        }
        Ok((r, "topic")) => {
            let (r, _) = space(r)?;
            let (r, topic) = name(r, max)
                .map_err(|e| commit(e, || expected_quoted(r, "a topic name", "topic")))?;
            Ok((r, OwnedResource::Topic { cache, topic }))
        }
        _ => Ok((i, OwnedResource::Cache { cache })),
    }
}
