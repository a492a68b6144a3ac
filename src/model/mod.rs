//! The document model: what both front ends (the DSL and JSON) produce and what the compiler consumes.
//!
//! Every node is owned and carries a [`Span`] into the text it came from. Spans never take part in
//! equality: two models are equal when they *mean* the same thing, wherever they were written, so
//! that `parse(print(x)) == x` can be checked directly.

mod network;
mod test_file;

pub use network::{Network, NetworkError};
pub use test_file::{Expectation, Expected, ExpectedReason, TestCase, TestFile};

use crate::ops::{AccountRights, Rights};
use crate::time::Timestamp;
use std::fmt;

/// A byte range `start..end` in the source text a node was parsed from.
///
/// Spans compare equal to every other span (see the module docs); compare `start` and `end` when the
/// position itself is under test. A model built in code has empty spans at offset 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    #[must_use]
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Eq for Span {}

/// Arbitrary models have empty spans: spans say where text was, and a generated model has none.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Span {
    fn arbitrary(_: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Span> {
        Ok(Span::default())
    }

    fn size_hint(_: usize) -> (usize, Option<usize>) {
        (0, Some(0))
    }
}

impl std::hash::Hash for Span {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// A permission document: one or more named credentials.
///
/// ```
/// use fgac::model::{CredentialDef, CredentialKind, Document, Expiry, Permissions};
/// let admin = CredentialDef::new("admin", CredentialKind::ApiKey, Expiry::Never, Permissions::super_user());
/// let doc = Document::new(vec![admin]);
/// assert!(fgac::Authorizer::compile(&doc)?.credential("admin").is_some());
/// # Ok::<(), fgac::Error>(())
/// ```
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Document {
    /// The credentials, in the order they were written.
    pub credentials: Vec<CredentialDef>,
}

impl Document {
    /// A document of `credentials`, in that order.
    #[must_use]
    pub fn new(credentials: Vec<CredentialDef>) -> Document {
        Document { credentials }
    }
}

/// A document that passed validation ([`validate`](crate::validate)), borrowed.
///
/// The reference evaluator and the analyses take this, never a bare [`Document`]: they decide,
/// and deciding on a document that is not valid (a super-user token, a token that never expires,
/// two grants with the same selectors) would answer what the compiled engine never does, since
/// it refuses to compile such a document.
///
/// ```
/// let doc = fgac::syntax::parse(r#"token "t" { expires never  superuser }"#)?;
/// assert!(fgac::validate(&doc, &fgac::Limits::default()).is_err());
/// # Ok::<(), fgac::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ValidDocument<'d> {
    doc: &'d Document,
}

impl<'d> ValidDocument<'d> {
    /// `doc`, which the caller has validated.
    pub(crate) fn new_unchecked(doc: &'d Document) -> ValidDocument<'d> {
        ValidDocument { doc }
    }

    /// The document.
    #[must_use]
    pub fn document(self) -> &'d Document {
        self.doc
    }

    /// The credential named `name`, if the document holds one.
    #[must_use]
    pub fn credential(self, name: &str) -> Option<ValidCredential<'d>> {
        self.doc
            .credentials
            .iter()
            .find(|c| c.name == name)
            .map(|def| ValidCredential { def })
    }

    /// The credential at `index` in document order (as [`credentials`](Self::credentials)
    /// counts), if there is one.
    #[must_use]
    pub fn credential_at(self, index: usize) -> Option<ValidCredential<'d>> {
        self.doc
            .credentials
            .get(index)
            .map(|def| ValidCredential { def })
    }

    /// Every credential, in document order.
    pub fn credentials(self) -> impl Iterator<Item = ValidCredential<'d>> {
        self.doc
            .credentials
            .iter()
            .map(|def| ValidCredential { def })
    }
}

/// A credential of a [`ValidDocument`].
#[derive(Clone, Copy, Debug)]
pub struct ValidCredential<'d> {
    def: &'d CredentialDef,
}

impl<'d> ValidCredential<'d> {
    /// The credential as written.
    #[must_use]
    pub fn def(self) -> &'d CredentialDef {
        self.def
    }
}

impl std::ops::Deref for ValidCredential<'_> {
    type Target = CredentialDef;

    fn deref(&self) -> &CredentialDef {
        self.def
    }
}

/// One credential: an API key or a disposable token, with its expiry and permissions. Build one
/// with [`CredentialDef::new`] and set the optional fields after.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialDef {
    /// The name the credential is looked up by; unique within a document.
    pub name: String,
    /// API key or disposable token.
    pub kind: CredentialKind,
    /// When the credential stops being valid.
    pub expiry: Expiry,
    /// For tokens, an optional id (at most 64 characters) that identifies the publisher to topic
    /// subscribers.
    pub token_id: Option<String>,
    /// Super user, or an explicit list of grants.
    pub permissions: Permissions,
    /// The rights no selector restricts (Momento's v2 management rights and list rights), held
    /// beside the grants of an explicit permission list. [`AccountRights::NONE`] for a super user
    /// (who holds them all) and for every credential of Momento's v1 forms; disposable tokens
    /// never hold management rights.
    pub account: AccountRights,
    /// The networks the credential may be used from; empty for every address. Enforced where a
    /// presented credential is resolved for a client's address (`Keyring::resolve`, feature
    /// `credentials`, and [`Authorizer::credential_for`](crate::Authorizer::credential_for)).
    pub networks: Vec<Network>,
    /// Where the credential was written.
    pub span: Span,
}

impl CredentialDef {
    /// A credential named `name` of `kind`, expiring at `expiry`, with `permissions`; without a
    /// token id, account rights or networks (usable from every address), and with an empty span.
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        kind: CredentialKind,
        expiry: Expiry,
        permissions: Permissions,
    ) -> CredentialDef {
        CredentialDef {
            name: name.into(),
            kind,
            expiry,
            token_id: None,
            permissions,
            account: AccountRights::NONE,
            networks: Vec::new(),
            span: Span::default(),
        }
    }

    /// Bytes of heap memory it holds (beyond its own size).
    pub(crate) fn memory_usage(&self) -> usize {
        let bytes = |p: Pattern<'_>| match p {
            Pattern::All => 0,
            Pattern::Exact(b) | Pattern::Prefix(b) => b.len(),
        };
        let grants = match &self.permissions {
            Permissions::SuperUser { .. } => 0,
            Permissions::Explicit(grants) => {
                grants.capacity() * std::mem::size_of::<Grant>()
                    + grants
                        .iter()
                        .map(|g| {
                            bytes(g.cache.pattern())
                                + match &g.resource {
                                    ResourceSelector::Items(i)
                                    | ResourceSelector::StoreItems(i) => bytes(i.pattern()),
                                    ResourceSelector::Topics(t) => bytes(t.pattern()),
                                }
                        })
                        .sum::<usize>()
            }
        };
        self.name.capacity()
            + self.token_id.as_ref().map_or(0, String::capacity)
            + self.networks.capacity() * std::mem::size_of::<Network>()
            + grants
    }
}

/// The two kinds of credential.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A long-lived API key (super user or fine-grained).
    ApiKey,
    /// A short-lived disposable token: must expire, never super user.
    Token,
}

impl CredentialKind {
    /// `api_key` or `token`, as fgac's JSON spells it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::ApiKey => "api_key",
            CredentialKind::Token => "token",
        }
    }
}

/// When a credential expires.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// The credential never expires (allowed for API keys only).
    Never,
    /// The credential is valid strictly before this instant and expired from it on.
    At(Timestamp),
}

impl Expiry {
    /// Whether a credential with this expiry is expired at `now`.
    #[must_use]
    pub fn is_expired(self, now: Timestamp) -> bool {
        match self {
            Expiry::Never => false,
            Expiry::At(at) => now >= at,
        }
    }

    /// Whether this expiry comes no later than `bound` (never is the latest).
    ///
    /// ```
    /// use fgac::{Timestamp, model::Expiry};
    /// let t = |s| Expiry::At(Timestamp::from_unix_seconds(s));
    /// assert!(t(5).is_within(t(5)) && t(5).is_within(Expiry::Never));
    /// assert!(!t(6).is_within(t(5)) && !Expiry::Never.is_within(t(5)));
    /// ```
    #[must_use]
    pub fn is_within(self, bound: Expiry) -> bool {
        match (self, bound) {
            (_, Expiry::Never) => true,
            (Expiry::Never, Expiry::At(_)) => false,
            (Expiry::At(a), Expiry::At(b)) => a <= b,
        }
    }

    /// The earlier of two expiries (never is the latest).
    #[must_use]
    pub fn earlier(self, other: Expiry) -> Expiry {
        if self.is_within(other) { self } else { other }
    }
}

impl std::fmt::Display for Expiry {
    /// `never`, or the instant in RFC 3339 (`2027-01-31T00:00:00Z`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expiry::Never => f.write_str("never"),
            Expiry::At(t) => t.fmt(f),
        }
    }
}

/// What a credential may do.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permissions {
    /// Everything in the account, control plane included. API keys only.
    SuperUser {
        /// Where `super_user` was written.
        span: Span,
    },
    /// Data-plane operations allowed (or denied) by these grants, in the order written. A grant's
    /// index in this list is its [`RuleId`](crate::RuleId).
    Explicit(Vec<Grant>),
}

impl Permissions {
    /// A super user, with an empty span.
    #[must_use]
    pub fn super_user() -> Permissions {
        Permissions::SuperUser {
            span: Span::default(),
        }
    }
}

/// Whether a grant allows or denies.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effect {
    /// Grants the role's rights.
    Allow,
    /// Takes the role's rights away, whatever any allow grant says.
    Deny,
}

impl Effect {
    /// `allow` or `deny`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// A role: a named set of rights on cache items or on topics.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Read and write cache items.
    ReadWrite,
    /// Read cache items.
    ReadOnly,
    /// Write cache items (blind writes only).
    WriteOnly,
    /// Publish to and subscribe to topics.
    PublishSubscribe,
    /// Subscribe to topics.
    SubscribeOnly,
    /// Publish to topics.
    PublishOnly,
}

impl Role {
    /// Every role, cache roles first.
    pub const ALL: [Role; 6] = [
        Role::ReadWrite,
        Role::ReadOnly,
        Role::WriteOnly,
        Role::PublishSubscribe,
        Role::SubscribeOnly,
        Role::PublishOnly,
    ];

    /// The role's name as Momento spells it: `readwrite`, `subscribeonly`, ...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadWrite => "readwrite",
            Role::ReadOnly => "readonly",
            Role::WriteOnly => "writeonly",
            Role::PublishSubscribe => "publishsubscribe",
            Role::SubscribeOnly => "subscribeonly",
            Role::PublishOnly => "publishonly",
        }
    }

    /// The role named `name` (exact, lowercase).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The rights the role carries.
    #[must_use]
    pub fn rights(self) -> Rights {
        match self {
            Role::ReadWrite => Rights::READ_WRITE,
            Role::ReadOnly => Rights::READ,
            Role::WriteOnly => Rights::WRITE,
            Role::PublishSubscribe => Rights::PUBLISH_SUBSCRIBE,
            Role::SubscribeOnly => Rights::SUBSCRIBE,
            Role::PublishOnly => Rights::PUBLISH,
        }
    }

    /// Whether this is a topic role (as opposed to a cache-item role).
    #[must_use]
    pub fn is_topic_role(self) -> bool {
        matches!(
            self,
            Role::PublishSubscribe | Role::SubscribeOnly | Role::PublishOnly
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Which caches a grant applies to.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CacheSelector {
    /// Every cache.
    All,
    /// The cache with exactly this name.
    Name(String),
    /// Every cache whose name starts with these bytes (an fgac extension).
    Prefix(String),
}

/// Which items of a cache a grant applies to. Keys are bytes and match byte for byte.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemSelector {
    /// Every item.
    All,
    /// The item with exactly this key.
    Key(Vec<u8>),
    /// Every item whose key starts with these bytes.
    Prefix(Vec<u8>),
}

/// Which topics of a cache (the topics' namespace) a grant applies to.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TopicSelector {
    /// Every topic.
    All,
    /// The topic with exactly this name.
    Name(String),
    /// Every topic whose name starts with these bytes.
    Prefix(String),
}

/// What a grant applies to within the caches (or, for store items, the stores) its
/// [`CacheSelector`] selects: cache items, topics, or store items.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceSelector {
    /// Cache items.
    Items(ItemSelector),
    /// Topics.
    Topics(TopicSelector),
    /// Items of stores (Momento Storage): the grant's cache selector selects stores.
    StoreItems(ItemSelector),
}

/// What a selector selects, as bytes: every value, one value, or every value with a prefix. The
/// one meaning of every selector (caches, items, topics, stores): matching is byte for byte.
///
/// ```
/// use fgac::model::{CacheSelector, ItemSelector, Pattern};
/// let p = CacheSelector::Prefix("tmp-".into());
/// assert!(p.covers("tmp-1") && !p.covers("prod"));
/// assert!(p.includes(&CacheSelector::Name("tmp-1".into())));
/// assert!(!CacheSelector::Name("tmp-1".into()).includes(&p));
/// assert_eq!(ItemSelector::Key(b"k".to_vec()).pattern(), Pattern::Exact(b"k"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern<'a> {
    /// Every value.
    All,
    /// Exactly this value.
    Exact(&'a [u8]),
    /// Every value that starts with these bytes.
    Prefix(&'a [u8]),
}

impl Pattern<'_> {
    /// Whether `value` is selected.
    #[must_use]
    pub fn covers(self, value: &[u8]) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Exact(v) => value == v,
            Pattern::Prefix(p) => value.starts_with(p),
        }
    }

    /// Whether every value `inner` selects is selected by `self`.
    #[must_use]
    pub fn includes(self, inner: Pattern<'_>) -> bool {
        match (self, inner) {
            (Pattern::All, _) => true,
            (_, Pattern::All) => false,
            (Pattern::Exact(a), Pattern::Exact(b)) => a == b,
            (Pattern::Exact(_), Pattern::Prefix(_)) => false,
            (Pattern::Prefix(p), Pattern::Exact(v) | Pattern::Prefix(v)) => v.starts_with(p),
        }
    }
}

/// The selectors: each says what it selects as a [`Pattern`], and what it covers and includes
/// follows from that one meaning.
macro_rules! selector {
    ($t:ty, $value:ty, $as_bytes:expr, $all:path, $exact:path, $prefix:path) => {
        impl $t {
            /// What it selects.
            #[must_use]
            pub fn pattern(&self) -> Pattern<'_> {
                match self {
                    $all => Pattern::All,
                    $exact(v) => Pattern::Exact($as_bytes(v)),
                    $prefix(p) => Pattern::Prefix($as_bytes(p)),
                }
            }

            /// Whether it selects `value`.
            #[must_use]
            pub fn covers(&self, value: &$value) -> bool {
                self.pattern().covers($as_bytes(value))
            }

            /// Whether every value `inner` selects is selected by `self`.
            #[must_use]
            pub fn includes(&self, inner: &$t) -> bool {
                self.pattern().includes(inner.pattern())
            }
        }
    };
}

selector!(
    CacheSelector,
    str,
    str::as_bytes,
    CacheSelector::All,
    CacheSelector::Name,
    CacheSelector::Prefix
);
selector!(
    TopicSelector,
    str,
    str::as_bytes,
    TopicSelector::All,
    TopicSelector::Name,
    TopicSelector::Prefix
);
selector!(
    ItemSelector,
    [u8],
    <[u8]>::as_ref,
    ItemSelector::All,
    ItemSelector::Key,
    ItemSelector::Prefix
);

impl ResourceSelector {
    /// What it selects within its caches or stores, and whether that is items, topics or store
    /// items.
    #[must_use]
    pub fn pattern(&self) -> Pattern<'_> {
        match self {
            ResourceSelector::Items(s) | ResourceSelector::StoreItems(s) => s.pattern(),
            ResourceSelector::Topics(s) => s.pattern(),
        }
    }

    /// Whether every resource `inner` selects is selected by `self`: the same kind of resource,
    /// and what `inner` selects of it.
    #[must_use]
    pub fn includes(&self, inner: &ResourceSelector) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(inner)
            && self.pattern().includes(inner.pattern())
    }

    /// Whether this selects topics.
    #[must_use]
    pub fn is_topics(&self) -> bool {
        matches!(self, ResourceSelector::Topics(_))
    }

    /// Whether this selects store items (and the grant's cache selector, stores).
    #[must_use]
    pub fn is_store(&self) -> bool {
        matches!(self, ResourceSelector::StoreItems(_))
    }
}

impl Grant {
    /// Whether every request `inner` covers is covered by `self` (rights aside): its caches (or
    /// stores) and its items or topics.
    #[must_use]
    pub fn includes(&self, inner: &Grant) -> bool {
        self.cache.includes(&inner.cache) && self.resource.includes(&inner.resource)
    }
}

/// One rule: an effect, a role, and the caches and items or topics it covers.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grant {
    /// Allow or deny.
    pub effect: Effect,
    /// The rights granted or denied.
    pub role: Role,
    /// The caches covered (for store items, the stores).
    pub cache: CacheSelector,
    /// The items or topics covered inside those caches (or the items inside those stores).
    pub resource: ResourceSelector,
    /// Where the grant was written.
    pub span: Span,
}

impl Grant {
    /// A grant of `effect` of `role` on `resource` in the caches `cache`, with an empty span.
    #[must_use]
    pub fn new(
        effect: Effect,
        role: Role,
        cache: CacheSelector,
        resource: ResourceSelector,
    ) -> Grant {
        Grant {
            effect,
            role,
            cache,
            resource,
            span: Span::default(),
        }
    }

    /// An allow grant on cache items, with an empty span.
    #[must_use]
    pub fn allow_items(role: Role, cache: CacheSelector, item: ItemSelector) -> Grant {
        Grant {
            effect: Effect::Allow,
            role,
            cache,
            resource: ResourceSelector::Items(item),
            span: Span::default(),
        }
    }

    /// An allow grant on topics, with an empty span.
    #[must_use]
    pub fn allow_topics(role: Role, cache: CacheSelector, topic: TopicSelector) -> Grant {
        Grant {
            effect: Effect::Allow,
            role,
            cache,
            resource: ResourceSelector::Topics(topic),
            span: Span::default(),
        }
    }

    /// The same grant with the deny effect.
    #[must_use]
    pub fn denied(self) -> Grant {
        Grant {
            effect: Effect::Deny,
            ..self
        }
    }
}
