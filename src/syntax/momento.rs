//! What Momento's own forms (its scope JSON, its `Permissions` protobuf) can say about a
//! credential, shared by their writers: they hold permissions only, read back as an API key named
//! `default` that never expires, usable from anywhere, without deny rules or cache prefixes.

use crate::error::{Diagnostic, ErrorKind};
use crate::model::{
    CacheSelector, CredentialDef, CredentialKind, Effect, Expiry, Grant, Pattern, Permissions,
    ResourceSelector, Role,
};
use crate::ops::{AccountRights, Rights};

/// The name given to the one credential of a document in one of Momento's forms.
pub const DEFAULT_CREDENTIAL_NAME: &str = "default";

/// The one credential a document in one of Momento's forms holds: an API key named
/// [`DEFAULT_CREDENTIAL_NAME`] that never expires, with what the document says.
pub(crate) fn momento_credential(
    permissions: Permissions,
    account: AccountRights,
    networks: Vec<crate::model::Network>,
    span: crate::model::Span,
) -> CredentialDef {
    CredentialDef {
        name: DEFAULT_CREDENTIAL_NAME.to_owned(),
        kind: CredentialKind::ApiKey,
        expiry: Expiry::Never,
        token_id: None,
        permissions,
        account,
        networks,
        span,
    }
}

/// Which of Momento's permission models a format is: v2 also says networks (its `ip_filter`
/// condition) and account rights (its management rules and list permissions).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    V1,
    V2,
}

/// One diagnostic for each thing `credential` says that `format` (`"Momento's JSON"`, ...) of
/// `model` cannot: empty when the format says everything the credential means.
pub(crate) fn refusals(
    credential: &CredentialDef,
    format: &str,
    model: Model,
    instead: &str,
) -> Vec<Diagnostic> {
    let name = &credential.name;
    let mut problems = Vec::new();
    let mut unsupported = |span, message: String, help: String| {
        problems.push(Diagnostic::new(ErrorKind::Unsupported, span, message).with_help(help))
    };
    // What the format implies about the credential, and what this one says instead.
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
            format!("{format} cannot express {} of `{name}`", lost.join(", ")),
            format!(
                "{format} holds permissions only and loads as an API key named `default` that never expires; {}",
                instead
            ),
        );
    }
    if let Permissions::Explicit(grants) = &credential.permissions {
        refuse_extensions(grants, name, format, model, instead, &mut problems);
    }
    problems
}

/// One diagnostic for each deny rule and each cache prefix among `grants` (fgac's extensions,
/// which none of Momento's forms can say), and in v1 for each grant on stores.
pub(crate) fn refuse_extensions(
    grants: &[Grant],
    name: &str,
    format: &str,
    model: Model,
    instead: &str,
    problems: &mut Vec<Diagnostic>,
) {
    for (index, g) in grants.iter().enumerate() {
        // v2 spells a rule's rights by its resource's kind: a role of another kind has no
        // spelling (v1 spells the role by name; validation refuses it).
        if model == Model::V2 && g.role.is_topic_role() != g.resource.is_topics() {
            problems.push(Diagnostic::new(
                ErrorKind::RoleMismatch,
                g.span,
                format!(
                    "grant #{index} of `{name}` gives the role `{}` on the wrong kind of resource, which {format} cannot express",
                    g.role
                ),
            ));
        }
        if model == Model::V1 && g.resource.is_store() {
            problems.push(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    g.span,
                    format!(
                        "grant #{index} of `{name}` is on store items, which {format} cannot express"
                    ),
                )
                .with_help(format!("Momento's v2 rules can; or {instead}")),
            );
        }
        if g.effect == Effect::Deny {
            problems.push(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    g.span,
                    format!(
                        "grant #{index} of `{name}` is a deny rule, which {format} cannot express"
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
                        "grant #{index} of `{name}` selects caches by the prefix `{p}`, which {format} cannot express"
                    ),
                )
                .with_help(format!("name each cache, or {instead}")),
            );
        }
    }
}

/// The kinds of rule of Momento's v2 permission model that fgac reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleKind {
    Cache,
    Topic,
    Store,
    AccountManagement,
    AuthManagement,
    ResourceManagement,
}

impl RuleKind {
    /// The JSON spelling (`cache`, `account_management`, ...).
    pub(crate) fn name(self) -> &'static str {
        match self {
            RuleKind::Cache => "cache",
            RuleKind::Topic => "topic",
            RuleKind::Store => "store",
            RuleKind::AccountManagement => "account_management",
            RuleKind::AuthManagement => "auth_management",
            RuleKind::ResourceManagement => "resource_management",
        }
    }

    /// The account rights `read`, `write` and `list` stand for in a management rule, or `list`
    /// alone (third) in a cache, topic or store rule.
    pub(crate) fn account_rights(self) -> [AccountRights; 3] {
        use AccountRights as A;
        match self {
            RuleKind::AccountManagement => [A::ACCOUNT_READ, A::ACCOUNT_WRITE, A::ACCOUNT_LIST],
            RuleKind::AuthManagement => [A::AUTH_READ, A::AUTH_WRITE, A::AUTH_LIST],
            RuleKind::ResourceManagement => [A::RESOURCE_READ, A::RESOURCE_WRITE, A::RESOURCE_LIST],
            RuleKind::Cache => [A::NONE, A::NONE, A::CACHE_LIST],
            RuleKind::Topic => [A::NONE, A::NONE, A::TOPIC_LIST],
            RuleKind::Store => [A::NONE, A::NONE, A::STORE_LIST],
        }
    }

    /// Whether the rule holds management rights (no selectors).
    pub(crate) fn is_management(self) -> bool {
        matches!(
            self,
            RuleKind::AccountManagement | RuleKind::AuthManagement | RuleKind::ResourceManagement
        )
    }
}

/// The permissions of a v2 rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Perms {
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) list: bool,
}

/// The role a cache or topic rule's `read` and `write` give (v1's roles), if any.
pub(crate) fn role_of(kind: RuleKind, p: Perms) -> Option<Role> {
    match (kind, p.read, p.write) {
        (_, false, false) => None,
        (RuleKind::Cache | RuleKind::Store, true, true) => Some(Role::ReadWrite),
        (RuleKind::Cache | RuleKind::Store, true, false) => Some(Role::ReadOnly),
        (RuleKind::Cache | RuleKind::Store, false, true) => Some(Role::WriteOnly),
        (RuleKind::Topic, true, true) => Some(Role::PublishSubscribe),
        (RuleKind::Topic, true, false) => Some(Role::SubscribeOnly),
        (RuleKind::Topic, false, true) => Some(Role::PublishOnly),
        _ => None,
    }
}

/// Whether a rule's selectors select everything: what `list`, which no selector restricts, is
/// written with.
pub(crate) fn selects_everything(cache: &CacheSelector, resource: &ResourceSelector) -> bool {
    cache.pattern() == Pattern::All && resource.pattern() == Pattern::All
}

/// Why `list` beside a selector is refused.
pub(crate) const LIST_IS_TOTAL: (&str, &str) = (
    "`list` is written with a selector, which cannot restrict it",
    "Momento's `list` is always total: give it a rule of its own with every selector `all`",
);

/// Why a v2 rule is refused after its fields have read: for the reader to say where.
#[derive(Debug)]
pub(crate) enum RuleError {
    /// `list` beside a selector ([`LIST_IS_TOTAL`]).
    ListWithSelector,
    /// A second rule gives this account right.
    RightTwice(AccountRights),
}

impl RuleError {
    /// The message and help line.
    pub(crate) fn parts(&self) -> (String, String) {
        match self {
            RuleError::ListWithSelector => (LIST_IS_TOTAL.0.to_owned(), LIST_IS_TOTAL.1.to_owned()),
            RuleError::RightTwice(right) => (
                format!("the account right `{right}` is given by two rules"),
                "give each permission once".to_owned(),
            ),
        }
    }
}

/// The grants and account rights of the v2 rules read so far: what both v2 readers (JSON and
/// protobuf) build, one rule at a time.
#[derive(Default)]
pub(crate) struct RuleSet {
    pub(crate) grants: Vec<Grant>,
    pub(crate) account: AccountRights,
}

impl RuleSet {
    /// Adds a rule of `kind` with permissions `p`: for a cache, topic or store rule, its
    /// selectors (`Some`), read and write as a grant at `span`, `list` (selecting everything) as
    /// a list right; for a management rule (`None`), each permission as a management right.
    pub(crate) fn add(
        &mut self,
        kind: RuleKind,
        p: Perms,
        selectors: Option<(CacheSelector, ResourceSelector)>,
        span: crate::model::Span,
    ) -> Result<(), RuleError> {
        let [read, write, list] = kind.account_rights();
        let Some((cache, resource)) = selectors else {
            for (held, right) in [(p.read, read), (p.write, write), (p.list, list)] {
                if held {
                    self.add_right(right)?;
                }
            }
            return Ok(());
        };
        if p.list {
            if !selects_everything(&cache, &resource) {
                return Err(RuleError::ListWithSelector);
            }
            self.add_right(list)?;
        }
        if let Some(role) = role_of(kind, p) {
            self.grants.push(Grant {
                effect: Effect::Allow,
                role,
                cache,
                resource,
                span,
            });
        }
        Ok(())
    }

    fn add_right(&mut self, right: AccountRights) -> Result<(), RuleError> {
        if self.account.contains(right) {
            return Err(RuleError::RightTwice(right));
        }
        self.account = self.account.union(right);
        Ok(())
    }
}

/// One v2 rule to write: its kind, its permissions, and for cache and topic rules the grant it
/// comes from (`None` for a `list` rule, whose selectors are all `all`).
pub(crate) struct RuleOut<'g> {
    pub(crate) kind: RuleKind,
    pub(crate) perms: Perms,
    pub(crate) grant: Option<&'g Grant>,
}

/// The v2 rules that say `credential`'s grants and account rights, in the order fgac writes
/// them: the grants as written, then management rules, then `list` rules. The caller has
/// refused what v2 cannot say (deny rules, cache prefixes, a role on the wrong resource).
pub(crate) fn rules_of(credential: &CredentialDef) -> Vec<RuleOut<'_>> {
    let mut out = Vec::new();
    if let Permissions::Explicit(grants) = &credential.permissions {
        for g in grants {
            let rights = g.role.rights();
            let (kind, read, write) = match g.resource {
                ResourceSelector::Topics(_) => {
                    (RuleKind::Topic, Rights::SUBSCRIBE, Rights::PUBLISH)
                }
                ResourceSelector::StoreItems(_) => (RuleKind::Store, Rights::READ, Rights::WRITE),
                ResourceSelector::Items(_) => (RuleKind::Cache, Rights::READ, Rights::WRITE),
            };
            out.push(RuleOut {
                kind,
                perms: Perms {
                    read: rights.contains(read),
                    write: rights.contains(write),
                    list: false,
                },
                grant: Some(g),
            });
        }
    }
    let a = credential.account;
    for kind in [
        RuleKind::AccountManagement,
        RuleKind::AuthManagement,
        RuleKind::ResourceManagement,
    ] {
        let [read, write, list] = kind.account_rights();
        let perms = Perms {
            read: a.contains(read),
            write: a.contains(write),
            list: a.contains(list),
        };
        if perms != Perms::default() {
            out.push(RuleOut {
                kind,
                perms,
                grant: None,
            });
        }
    }
    for kind in [RuleKind::Cache, RuleKind::Topic, RuleKind::Store] {
        if a.contains(kind.account_rights()[2]) {
            out.push(RuleOut {
                kind,
                perms: Perms {
                    list: true,
                    ..Perms::default()
                },
                grant: None,
            });
        }
    }
    out
}
