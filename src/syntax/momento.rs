//! What Momento's own forms (its scope JSON, its `Permissions` protobuf) can say about a
//! credential, shared by their writers: they hold permissions only, read back as an API key named
//! `default` that never expires, usable from anywhere, without deny rules or cache prefixes.

use crate::error::{Diagnostic, ErrorKind};
use crate::model::{CacheSelector, CredentialDef, CredentialKind, Effect, Expiry, Permissions};

/// The name given to the one credential of a document in one of Momento's forms.
pub const DEFAULT_CREDENTIAL_NAME: &str = "default";

/// Which of Momento's permission models a form is: v2 also says networks (its `ip_filter`
/// condition) and account rights (its management rules and list permissions).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    V1,
    V2,
}

/// One diagnostic for each thing `credential` says that `form` (`"Momento's JSON"`, ...) of
/// `model` cannot: empty when the form says everything the credential means.
pub(crate) fn refusals(
    credential: &CredentialDef,
    form: &str,
    model: Model,
    instead: &str,
) -> Vec<Diagnostic> {
    let name = &credential.name;
    let mut problems = Vec::new();
    let mut unsupported = |span, message: String, help: String| {
        problems.push(Diagnostic::new(ErrorKind::Unsupported, span, message).with_help(help))
    };
    // What the form implies about the credential, and what this one says instead.
    let mut lost = Vec::new();
    if name != DEFAULT_CREDENTIAL_NAME {
        lost.push(format!("the name `{name}`"));
    }
    if credential.kind == CredentialKind::Token {
        lost.push("the kind (a disposable token)".to_owned());
    }
    if let Expiry::At(at) = credential.expiry {
        lost.push(format!("the expiry ({at})"));
    }
    if let Some(id) = &credential.token_id {
        lost.push(format!("the token id `{id}`"));
    }
    if model == Model::V1 && !credential.networks.is_empty() {
        let list: Vec<String> = credential
            .networks
            .iter()
            .map(ToString::to_string)
            .collect();
        lost.push(format!("the networks ({})", list.join(", ")));
    }
    if model == Model::V1 && !credential.account.is_empty() {
        lost.push(format!("the account rights ({})", credential.account));
    }
    if !lost.is_empty() {
        unsupported(
            credential.span,
            format!("{form} cannot express {} of `{name}`", lost.join(", ")),
            format!(
                "{form} holds permissions only and loads as an API key named `default` that never expires; {}",
                instead
            ),
        );
    }
    if let Permissions::Explicit(grants) = &credential.permissions {
        refuse_extensions(grants, name, form, instead, &mut problems);
    }
    problems
}

/// One diagnostic for each deny rule and each cache prefix among `grants`: fgac's extensions,
/// which none of Momento's forms can say.
pub(crate) fn refuse_extensions(
    grants: &[crate::model::Grant],
    name: &str,
    form: &str,
    instead: &str,
    problems: &mut Vec<Diagnostic>,
) {
    for (index, g) in grants.iter().enumerate() {
        if g.effect == Effect::Deny {
            problems.push(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    g.span,
                    format!(
                        "grant #{index} of `{name}` is a deny rule, which {form} cannot express"
                    ),
                )
                .with_help(instead.to_owned()),
            );
        }
        if let CacheSelector::Prefix(p) = &g.cache {
            problems.push(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    g.span,
                    format!(
                        "grant #{index} of `{name}` selects caches by the prefix `{p}`, which {form} cannot express"
                    ),
                )
                .with_help(format!("name each cache, or {instead}")),
            );
        }
    }
}
