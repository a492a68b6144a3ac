//! Lints: what is valid but likely a mistake. Each is a warning with a span and a help line.

use crate::error::{Diagnostic, ErrorKind};
use crate::model::{
    CacheSelector, CredentialKind, Effect, Expiry, ItemSelector, Permissions, ResourceSelector,
    Span, TopicSelector, ValidDocument,
};

/// Warns when `text` holds a character that does not show as itself. Item keys are bytes and may
/// hold controls on purpose (`binary`), so for them only format characters count.
fn invisible(out: &mut Vec<Diagnostic>, what: &str, text: &str, span: Span, binary: bool) {
    let hidden = |c: char| {
        !crate::escape::plainly_visible(c) && c != '\u{fffd}' && !(binary && c.is_control())
    };
    if let Some(c) = text.chars().find(|&c| hidden(c)) {
        out.push(
            Diagnostic::warning(
                ErrorKind::Lint {
                    name: "invisible_character",
                },
                span,
                format!(
                    "{what} `{}` holds the invisible character U+{:04X}",
                    text.escape_debug(),
                    u32::from(c)
                ),
            )
            .with_help("it matches only byte for byte; if it is not deliberate, retype the name"),
        );
    }
}

/// Above this many grants in one credential, the pairwise lints (redundant, shadowed) are skipped:
/// they compare every pair of grants.
pub const PAIRWISE_LINT_MAX_GRANTS: usize = 5_000;

/// The lints of a valid `doc`:
///
/// * `never_expires`: an API key without expiry (Momento strongly advises against them);
/// * `redundant_rule`: a rule another rule of the same effect already covers, with at least its
///   rights (two rules cannot cover each other: equal selectors are a validation error);
/// * `shadowed_allow`: an allow rule whose every right a deny rule takes away wherever it applies;
/// * `invisible_character`: a name, key or prefix holding a character that does not show as
///   itself (a bidirectional override, a zero-width character, a control): a name that reads as
///   `admin` but is not. Matching is byte for byte, so such a name matches only itself.
///
/// ```
/// let doc = fgac::syntax::parse(r#"key "k" { expires never
///     allow readwrite cache *
///     allow readonly cache "a" }"#)?;
/// let valid = fgac::validate(&doc, &fgac::Limits::default())?;
/// let names: Vec<_> = fgac::analysis::lint(valid).iter().map(|d| d.kind.clone()).collect();
/// assert_eq!(names, [
///     fgac::ErrorKind::Lint { name: "never_expires" },
///     fgac::ErrorKind::Lint { name: "redundant_rule" },
/// ]);
/// # Ok::<(), fgac::Error>(())
/// ```
#[must_use]
pub fn lint(doc: ValidDocument<'_>) -> Vec<Diagnostic> {
    let doc = doc.document();
    let mut out = Vec::new();
    for c in &doc.credentials {
        invisible(&mut out, "credential name", &c.name, c.span, false);
        if let Some(id) = &c.token_id {
            invisible(&mut out, "token id", id, c.span, false);
        }
        if let Permissions::Explicit(grants) = &c.permissions {
            for g in grants {
                if let CacheSelector::Name(s) | CacheSelector::Prefix(s) = &g.cache {
                    let what = if g.resource.is_store() {
                        "store name"
                    } else {
                        "cache name"
                    };
                    invisible(&mut out, what, s, g.span, false);
                }
                match &g.resource {
                    ResourceSelector::Topics(TopicSelector::Name(s) | TopicSelector::Prefix(s)) => {
                        invisible(&mut out, "topic name", s, g.span, false)
                    }
                    ResourceSelector::Items(ItemSelector::Key(k) | ItemSelector::Prefix(k))
                    | ResourceSelector::StoreItems(
                        ItemSelector::Key(k) | ItemSelector::Prefix(k),
                    ) => invisible(
                        &mut out,
                        "item key",
                        &String::from_utf8_lossy(k),
                        g.span,
                        true,
                    ),
                    _ => {}
                }
            }
        }
        if c.kind == CredentialKind::ApiKey && c.expiry == Expiry::Never {
            out.push(
                Diagnostic::warning(
                    ErrorKind::Lint {
                        name: "never_expires",
                    },
                    c.span,
                    format!("api key `{}` never expires", c.name),
                )
                .with_help(
                    "give it an expiry and rotate it: mint the next key before this one expires",
                ),
            );
        }
        let Permissions::Explicit(grants) = &c.permissions else {
            continue;
        };
        if grants.len() > PAIRWISE_LINT_MAX_GRANTS {
            continue;
        }
        for (i, a) in grants.iter().enumerate() {
            let rights = a.role.rights();
            let covering = |effect: Effect| {
                grants.iter().enumerate().find(|&(j, b)| {
                    j != i
                        && b.effect == effect
                        && b.role.rights().contains(rights)
                        && b.includes(a)
                })
            };
            // A shadowed allow is the likelier mistake (its author meant it to allow something), so
            // it is reported rather than redundancy.
            let shadowed = match a.effect {
                Effect::Allow => covering(Effect::Deny),
                Effect::Deny => None,
            };
            if let Some((j, _)) = shadowed {
                out.push(
                    Diagnostic::warning(
                        ErrorKind::Lint {
                            name: "shadowed_allow",
                        },
                        a.span,
                        format!(
                            "rule #{i} of `{}` allows nothing: deny rule #{j} takes all its rights",
                            c.name
                        ),
                    )
                    .with_help("remove the allow rule, or narrow the deny rule"),
                );
            } else if let Some((j, _)) = covering(a.effect) {
                out.push(
                    Diagnostic::warning(
                        ErrorKind::Lint {
                            name: "redundant_rule",
                        },
                        a.span,
                        format!("rule #{i} of `{}` is covered by rule #{j}", c.name),
                    )
                    .with_help(format!(
                        "rule #{j} already {}s everything it does; remove it",
                        a.effect.as_str()
                    )),
                );
            }
        }
    }
    out
}
