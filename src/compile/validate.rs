//! Validation: the rules Momento enforces, and fgac's own, each reported with the grant or
//! credential it concerns and its span. The compiler never lowers a document that fails here.

use crate::error::{Diagnostic, Diagnostics, ErrorKind};
use crate::limits::Limits;
use crate::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Effect, Expiry, Grant, ItemSelector,
    Permissions, ResourceSelector, Span, TopicSelector,
};
use crate::ops::AccountRights;
use ahash::AHashMap as HashMap;

/// The longest token id Momento accepts, in characters.
pub const MAX_TOKEN_ID_CHARS: usize = 64;

/// Every problem with `doc`, in document order; empty when it is valid.
pub(crate) fn validate(doc: &Document, limits: &Limits) -> Diagnostics {
    let mut out = Diagnostics::default();
    if doc.credentials.is_empty() {
        out.push(
            Diagnostic::new(
                ErrorKind::NoCredentials,
                Span::default(),
                "document defines no credentials",
            )
            .with_help("add an API key or a token"),
        );
    }
    if doc.credentials.len() > limits.max_credentials {
        out.push(Diagnostic::limit(
            "max_credentials",
            limits.max_credentials,
            Span::default(),
            format!("document defines {} credentials", doc.credentials.len()),
        ));
    }
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (index, c) in doc.credentials.iter().enumerate() {
        if let Some(&first) = names.get(c.name.as_str()) {
            out.push(
                Diagnostic::new(
                    ErrorKind::DuplicateCredential {
                        name: c.name.clone(),
                    },
                    c.span,
                    format!("credential `{}` is defined more than once", c.name),
                )
                .with_note(doc.credentials[first].span, "first defined here")
                .with_help("credential names are unique in a document; rename one of them"),
            );
        } else {
            names.insert(&c.name, index);
        }
        credential(c, limits, &mut out);
    }
    out
}

/// An over-long name; `what` describes it, and is only called when there is an error.
fn check_name(
    what: impl FnOnce() -> String,
    name: &[u8],
    span: Span,
    limits: &Limits,
    out: &mut Diagnostics,
) {
    if name.len() > limits.max_name_bytes {
        out.push(Diagnostic::limit(
            "max_name_bytes",
            limits.max_name_bytes,
            span,
            format!("{} is {} bytes long", what(), name.len()),
        ));
    }
}

pub(crate) fn credential(c: &CredentialDef, limits: &Limits, out: &mut Diagnostics) {
    let who = format!("`{}`", c.name);
    if c.name.is_empty() {
        out.push(
            Diagnostic::new(ErrorKind::EmptyName, c.span, "credential name is empty")
                .with_help("give the credential a name to look it up by"),
        );
    }
    check_name(
        || format!("the name of {who}"),
        c.name.as_bytes(),
        c.span,
        limits,
        out,
    );

    match (c.kind, &c.token_id) {
        (CredentialKind::ApiKey, Some(_)) => out.push(
            Diagnostic::new(
                ErrorKind::TokenIdOnApiKey,
                c.span,
                format!("api key {who} has a token id"),
            )
            .with_help("only disposable tokens carry a token id; remove it or make this a token"),
        ),
        (CredentialKind::Token, Some(id)) if id.is_empty() => out.push(
            Diagnostic::new(
                ErrorKind::EmptyName,
                c.span,
                format!("token id of {who} is empty"),
            )
            .with_help("omit the token id, or give it a value"),
        ),
        (CredentialKind::Token, Some(id)) if id.chars().count() > MAX_TOKEN_ID_CHARS => out.push(
            Diagnostic::new(
                ErrorKind::TokenIdTooLong,
                c.span,
                format!(
                    "token id of {who} is {} characters long",
                    id.chars().count()
                ),
            )
            .with_help(format!(
                "a token id has at most {MAX_TOKEN_ID_CHARS} characters"
            )),
        ),
        _ => {}
    }

    if c.kind == CredentialKind::Token {
        if c.expiry == Expiry::Never {
            out.push(
                Diagnostic::new(
                    ErrorKind::TokenWithoutExpiry,
                    c.span,
                    format!("token {who} never expires"),
                )
                .with_help("disposable tokens must expire; give it an expiry (Momento allows at most 25 hours)"),
            );
        }
        if let Permissions::SuperUser { span } = c.permissions {
            out.push(
                Diagnostic::new(
                    ErrorKind::SuperUserToken,
                    span,
                    format!("token {who} cannot be a super user"),
                )
                .with_help(
                    "list explicit permissions, or use a super-user API key for the control plane",
                ),
            );
        }
    }

    if c.networks.len() > limits.max_networks_per_credential {
        out.push(Diagnostic::limit(
            "max_networks_per_credential",
            limits.max_networks_per_credential,
            c.span,
            format!("credential {who} lists {} networks", c.networks.len()),
        ));
    } else {
        let mut networks: Vec<_> = c.networks.iter().collect();
        networks.sort_unstable();
        if let Some(w) = networks.windows(2).find(|w| w[0] == w[1]) {
            out.push(
                Diagnostic::new(
                    ErrorKind::DuplicateNetwork,
                    c.span,
                    format!("credential {who} lists the network `{}` twice", w[0]),
                )
                .with_help("list each network once"),
            );
        }
    }

    let management = c.account.intersection(AccountRights::MANAGEMENT);
    if c.kind == CredentialKind::Token && !management.is_empty() {
        out.push(
            Diagnostic::new(
                ErrorKind::MisplacedAccountRights,
                c.span,
                format!("token {who} holds the management rights `{management}`"),
            )
            .with_help(
                "disposable tokens are for the data plane: give management rights to an API key",
            ),
        );
    }
    let Permissions::Explicit(grants) = &c.permissions else {
        if !c.account.is_empty() {
            out.push(
                Diagnostic::new(
                    ErrorKind::MisplacedAccountRights,
                    c.span,
                    format!(
                        "super user {who} lists the account rights `{}`, which it holds already",
                        c.account
                    ),
                )
                .with_help("a super user holds every right; remove the list"),
            );
        }
        return;
    };
    if grants.is_empty() && c.account.is_empty() {
        out.push(
            Diagnostic::new(
                ErrorKind::EmptyPermissions,
                c.span,
                format!("credential {who} has no permissions"),
            )
            .with_help("add a grant, or remove the credential"),
        );
    }
    let (max, field) = match c.kind {
        CredentialKind::ApiKey => (limits.max_grants_per_key, "max_grants_per_key"),
        CredentialKind::Token => (limits.max_grants_per_token, "max_grants_per_token"),
    };
    if grants.len() > max {
        out.push(Diagnostic::limit(
            field,
            max,
            c.span,
            format!("credential {who} has {} grants", grants.len()),
        ));
    }
    let mut seen: HashMap<(Effect, &CacheSelector, &ResourceSelector), usize> = HashMap::new();
    for (index, g) in grants.iter().enumerate() {
        grant(g, index, &who, limits, out);
        if let Some(&first) = seen.get(&(g.effect, &g.cache, &g.resource)) {
            out.push(
                Diagnostic::new(
                    ErrorKind::DuplicateSelector {
                        first,
                        second: index,
                    },
                    g.span,
                    format!("grant #{index} of {who} has the same selectors as grant #{first}"),
                )
                .with_note(grants[first].span, format!("grant #{first} is here"))
                .with_help("merge the two into one grant with the role that covers both"),
            );
        } else {
            seen.insert((g.effect, &g.cache, &g.resource), index);
        }
    }
}

fn grant(g: &Grant, index: usize, who: &str, limits: &Limits, out: &mut Diagnostics) {
    let what = || format!("grant #{index} of {who}");
    let role = g.role;
    if role.is_topic_role() != g.resource.is_topics() {
        let (kind, selects, help) = if role.is_topic_role() {
            (
                "topic role",
                if g.resource.is_store() {
                    "store items"
                } else {
                    "items"
                },
                "use `readwrite`, `readonly` or `writeonly` for cache items, or select topics",
            )
        } else {
            (
                "cache-item role",
                "topics",
                "use `publishsubscribe`, `subscribeonly` or `publishonly` for topics, or select items",
            )
        };
        out.push(
            Diagnostic::new(
                ErrorKind::RoleMismatch,
                g.span,
                format!("`{role}` is a {kind}, but {} selects {selects}", what()),
            )
            .with_help(help),
        );
    }
    let mut empty = |message: String, help: &str| {
        out.push(Diagnostic::new(ErrorKind::EmptyName, g.span, message).with_help(help));
    };
    let namespace = if g.resource.is_store() {
        "store"
    } else {
        "cache"
    };
    match &g.cache {
        CacheSelector::All => {}
        CacheSelector::Name(n) if n.is_empty() => empty(
            format!("empty {namespace} name in {}", what()),
            &format!("use `*` for every {namespace}"),
        ),
        CacheSelector::Prefix(p) if p.is_empty() => empty(
            format!("empty {namespace}-name prefix in {}", what()),
            &format!("an empty prefix matches every {namespace}; use `*` for every {namespace}"),
        ),
        CacheSelector::Name(_) | CacheSelector::Prefix(_) => {}
    }
    match &g.resource {
        ResourceSelector::Items(ItemSelector::Prefix(p))
        | ResourceSelector::StoreItems(ItemSelector::Prefix(p))
            if p.is_empty() =>
        {
            empty(
                format!("empty key prefix in {}", what()),
                "an empty prefix matches every item; select all items instead",
            )
        }
        ResourceSelector::Topics(TopicSelector::Name(n)) if n.is_empty() => empty(
            format!("empty topic name in {}", what()),
            "use `*` for every topic",
        ),
        ResourceSelector::Topics(TopicSelector::Prefix(p)) if p.is_empty() => empty(
            format!("empty topic prefix in {}", what()),
            "an empty prefix matches every topic; use `*` for every topic",
        ),
        _ => {}
    }
    let cache_bytes = match &g.cache {
        CacheSelector::All => &[][..],
        CacheSelector::Name(s) | CacheSelector::Prefix(s) => s.as_bytes(),
    };
    check_name(
        || format!("the {namespace} selector of {}", what()),
        cache_bytes,
        g.span,
        limits,
        out,
    );
    let target_bytes = match &g.resource {
        ResourceSelector::Items(ItemSelector::All)
        | ResourceSelector::StoreItems(ItemSelector::All)
        | ResourceSelector::Topics(TopicSelector::All) => &[][..],
        ResourceSelector::Items(ItemSelector::Key(b) | ItemSelector::Prefix(b))
        | ResourceSelector::StoreItems(ItemSelector::Key(b) | ItemSelector::Prefix(b)) => {
            b.as_slice()
        }
        ResourceSelector::Topics(TopicSelector::Name(s) | TopicSelector::Prefix(s)) => s.as_bytes(),
    };
    check_name(
        || format!("the item or topic selector of {}", what()),
        target_bytes,
        g.span,
        limits,
        out,
    );
}
