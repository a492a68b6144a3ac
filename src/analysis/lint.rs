//! Lints: what is valid but likely a mistake. Each is a warning with a span and a help line.

use super::grant_contains;
use crate::model::{CredentialKind, Document, Effect, Expiry, Permissions};
use crate::syntax::error::{Diagnostic, ErrorKind};

/// Above this many grants in one credential, the pairwise lints (redundant, shadowed) are skipped:
/// they compare every pair of grants.
pub const PAIRWISE_LINT_MAX_GRANTS: usize = 5_000;

/// The lints of a valid `doc`:
///
/// * `never_expires`: an API key without expiry (Momento strongly advises against them);
/// * `redundant_rule`: a rule another rule of the same effect already covers, with at least its
///   rights (two rules cannot cover each other: equal selectors are a validation error);
/// * `shadowed_allow`: an allow rule whose every right a deny rule takes away wherever it applies.
///
/// ```
/// let doc = fgac::text::parse(r#"key "k" { expires never
///     allow readwrite cache *
///     allow readonly cache "a" }"#)?;
/// let names: Vec<_> = fgac::analysis::lint(&doc).iter().map(|d| d.kind.clone()).collect();
/// assert_eq!(names, [
///     fgac::ErrorKind::Lint { name: "never_expires" },
///     fgac::ErrorKind::Lint { name: "redundant_rule" },
/// ]);
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn lint(doc: &Document) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in &doc.credentials {
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
                        && grant_contains(b, a)
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
