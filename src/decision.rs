//! What a request names ([`Resource`]) and what the engine answers ([`Decision`]).

use std::fmt;

/// What a request acts on. Borrowed: building one never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource<'a> {
    /// A cache item: the cache's name and the item's key bytes.
    Item {
        /// The cache name.
        cache: &'a str,
        /// The item key.
        key: &'a [u8],
    },
    /// A topic: the cache that is its namespace, and the topic's name.
    Topic {
        /// The cache name.
        cache: &'a str,
        /// The topic name.
        topic: &'a str,
    },
    /// An item of a store (Momento Storage): the store's name and the item's key bytes.
    StoreItem {
        /// The store name.
        store: &'a str,
        /// The item key.
        key: &'a [u8],
    },
    /// A cache as a whole (control plane: create, delete, flush).
    Cache {
        /// The cache name.
        cache: &'a str,
    },
    /// The account as a whole (control plane: list caches, keys, webhooks).
    Account,
}

impl<'a> Resource<'a> {
    /// A cache item.
    #[must_use]
    pub const fn item(cache: &'a str, key: &'a [u8]) -> Resource<'a> {
        Resource::Item { cache, key }
    }

    /// A topic.
    #[must_use]
    pub const fn topic(cache: &'a str, topic: &'a str) -> Resource<'a> {
        Resource::Topic { cache, topic }
    }

    /// An item of a store.
    #[must_use]
    pub const fn store_item(store: &'a str, key: &'a [u8]) -> Resource<'a> {
        Resource::StoreItem { store, key }
    }

    /// A cache as a whole.
    #[must_use]
    pub const fn cache(cache: &'a str) -> Resource<'a> {
        Resource::Cache { cache }
    }
}

impl fmt::Display for Resource<'_> {
    /// `cache "c" item "k"`, `cache "c" topic "t"`, `cache "c"`, or `account`; key bytes that are
    /// not printable ASCII are escaped (`\xff`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Item { cache, key } => {
                write!(f, "cache {cache:?} item \"{}\"", key.escape_ascii())
            }
            Resource::Topic { cache, topic } => write!(f, "cache {cache:?} topic {topic:?}"),
            Resource::StoreItem { store, key } => {
                write!(f, "store {store:?} item \"{}\"", key.escape_ascii())
            }
            Resource::Cache { cache } => write!(f, "cache {cache:?}"),
            Resource::Account => f.write_str("account"),
        }
    }
}

/// A [`Resource`] that owns its names and key: for requests kept beyond the call that reads them
/// (policy tests, analysis witnesses, requests read from a file).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OwnedResource {
    /// A cache item.
    Item {
        /// The cache name.
        cache: String,
        /// The item key.
        key: Vec<u8>,
    },
    /// A topic.
    Topic {
        /// The cache name.
        cache: String,
        /// The topic name.
        topic: String,
    },
    /// An item of a store.
    StoreItem {
        /// The store name.
        store: String,
        /// The item key.
        key: Vec<u8>,
    },
    /// A cache as a whole.
    Cache {
        /// The cache name.
        cache: String,
    },
    /// The account as a whole.
    Account,
}

impl OwnedResource {
    /// The borrowed resource, to authorize.
    #[must_use]
    pub fn as_resource(&self) -> Resource<'_> {
        match self {
            OwnedResource::Item { cache, key } => Resource::item(cache, key),
            OwnedResource::Topic { cache, topic } => Resource::topic(cache, topic),
            OwnedResource::StoreItem { store, key } => Resource::store_item(store, key),
            OwnedResource::Cache { cache } => Resource::cache(cache),
            OwnedResource::Account => Resource::Account,
        }
    }
}

impl From<Resource<'_>> for OwnedResource {
    fn from(r: Resource<'_>) -> OwnedResource {
        match r {
            Resource::Item { cache, key } => OwnedResource::Item {
                cache: cache.to_owned(),
                key: key.to_vec(),
            },
            Resource::Topic { cache, topic } => OwnedResource::Topic {
                cache: cache.to_owned(),
                topic: topic.to_owned(),
            },
            Resource::StoreItem { store, key } => OwnedResource::StoreItem {
                store: store.to_owned(),
                key: key.to_vec(),
            },
            Resource::Cache { cache } => OwnedResource::Cache {
                cache: cache.to_owned(),
            },
            Resource::Account => OwnedResource::Account,
        }
    }
}

impl fmt::Display for OwnedResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_resource().fmt(f)
    }
}

/// The index of a grant in its credential's list of grants, counting from 0: its position in the
/// document, which decisions report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(u32);

impl RuleId {
    /// The rule at `index` in its credential's list of grants.
    #[must_use]
    pub const fn new(index: u32) -> RuleId {
        RuleId(index)
    }

    /// The rule's index in its credential's list of grants.
    #[must_use]
    pub const fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A credential's answer to a request: small, `Copy`, and never an error.
///
/// `#[must_use]`: a decision that is dropped decides nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// The request is denied, for this reason.
    Deny(DenyReason),
}

impl Decision {
    /// Whether the request is allowed.
    #[must_use]
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// A credential's answer to a multi-key request (get batch, set batch, keys exist, sorted set union
/// store): allowed only when every key is.
///
/// `#[must_use]`: a decision that is dropped decides nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum BatchDecision {
    /// Every key is allowed.
    Allow,
    /// The key at `index` (the first denied) is denied, for this reason.
    Deny {
        /// The position of the denied key in the batch.
        index: usize,
        /// Why it is denied.
        reason: DenyReason,
    },
    /// The batch names no key: there is nothing to authorize, and fgac never allows nothing.
    Empty,
}

impl BatchDecision {
    /// Whether every key of the batch is allowed.
    #[must_use]
    pub const fn is_allowed(self) -> bool {
        matches!(self, BatchDecision::Allow)
    }
}

impl fmt::Display for BatchDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchDecision::Allow => f.write_str("allow"),
            BatchDecision::Deny { index, reason } => write!(f, "deny ({reason}, key #{index})"),
            BatchDecision::Empty => f.write_str("deny (empty batch)"),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow => f.write_str("allow"),
            Decision::Deny(reason) => write!(f, "deny ({reason})"),
        }
    }
}

/// What a request by name gets from a key store: the credential's decision, or no credential of
/// that name (what policy tests and diffs report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum Outcome {
    /// The credential decided.
    Decided(Decision),
    /// The store holds no credential of that name.
    UnknownCredential,
}

impl Outcome {
    /// Whether the request is allowed.
    #[must_use]
    pub const fn is_allowed(self) -> bool {
        matches!(self, Outcome::Decided(Decision::Allow))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Decided(d) => d.fmt(f),
            Outcome::UnknownCredential => f.write_str("deny (unknown_credential)"),
        }
    }
}

/// Why a credential denied a request.
///
/// Checked in this order: a presented credential's authentication (see
/// [`DenyReason::Unauthenticated`]), expiry, then the resource's kind, then the control plane,
/// then the grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenyReason {
    /// What the client presented is not a credential this server accepts, or no longer: a
    /// malformed or forged token, one signed by an unknown key, revoked, not valid yet, or used
    /// from a network it is not allowed from. Distinct from every reason below, which a valid
    /// credential's permissions give.
    Unauthenticated(AuthFailure),
    /// The credential had expired at the request's time.
    Expired,
    /// The operation acts on another kind of resource (a topic operation on an item, ...).
    WrongResourceKind,
    /// A control-plane operation by a credential that is not a super-user key.
    SuperUserRequired,
    /// No allow grant gives the rights the operation needs on this resource (this includes a
    /// request for no rights at all).
    NoMatchingGrant,
    /// A deny rule covers the resource and takes away a right the operation needs: the rule with
    /// the lowest index among those that do.
    DeniedByRule(RuleId),
}

impl DenyReason {
    /// The reason's kind, without its rule.
    #[must_use]
    pub const fn kind(self) -> DenyKind {
        match self {
            DenyReason::Unauthenticated(_) => DenyKind::Unauthenticated,
            DenyReason::Expired => DenyKind::Expired,
            DenyReason::WrongResourceKind => DenyKind::WrongResourceKind,
            DenyReason::SuperUserRequired => DenyKind::SuperUserRequired,
            DenyReason::NoMatchingGrant => DenyKind::NoMatchingGrant,
            DenyReason::DeniedByRule(_) => DenyKind::DeniedByRule,
        }
    }

    /// The reason's snake_case name: `expired`, `no_matching_grant`, `denied_by_rule`, ...
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.kind().as_str()
    }

    /// The deny rule that decided, if one did.
    #[must_use]
    pub const fn rule(self) -> Option<RuleId> {
        match self {
            DenyReason::DeniedByRule(id) => Some(id),
            _ => None,
        }
    }
}

/// A fieldless enum whose variants have snake_case names: the enum, `ALL` (in the order
/// written) and `as_str`. Written once for [`DenyKind`] and [`AuthFailure`].
macro_rules! named_variants {
    (
        $(#[$enum_doc:meta])* $enum:ident, $(#[$all_doc:meta])*;
        $( $(#[$doc:meta])* $kind:ident = $name:literal, )*
    ) => {
        $(#[$enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $enum {
            $( $(#[$doc])* $kind, )*
        }

        impl $enum {
            $(#[$all_doc])*
            pub const ALL: &'static [$enum] = &[ $( $enum::$kind, )* ];

            /// The snake_case name, as decisions, policy tests and `decide` lines spell it.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $( $enum::$kind => $name, )* }
            }
        }
    };
}

named_variants! {
    /// The kind of a [`DenyReason`], without its data: what a policy test's `reason` names.
    DenyKind,
    /// Every kind, in the order the engine checks them.
    ;
    /// [`DenyReason::Unauthenticated`].
    Unauthenticated = "unauthenticated",
    /// [`DenyReason::Expired`].
    Expired = "expired",
    /// [`DenyReason::WrongResourceKind`].
    WrongResourceKind = "wrong_resource_kind",
    /// [`DenyReason::SuperUserRequired`].
    SuperUserRequired = "super_user_required",
    /// [`DenyReason::NoMatchingGrant`].
    NoMatchingGrant = "no_matching_grant",
    /// [`DenyReason::DeniedByRule`].
    DeniedByRule = "denied_by_rule",
}

impl DenyKind {
    /// The kind named `name` (exact snake_case).
    #[must_use]
    pub fn from_name(name: &str) -> Option<DenyKind> {
        DenyKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for DenyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::DeniedByRule(id) => write!(f, "denied_by_rule {id}"),
            DenyReason::Unauthenticated(why) => write!(f, "unauthenticated: {why}"),
            other => f.write_str(other.as_str()),
        }
    }
}

named_variants! {
    /// Why a presented credential (a signed API key or disposable token) was not accepted: the
    /// data of [`DenyReason::Unauthenticated`]. Small and `Copy`, so that refusing costs no
    /// allocation; the `fgac inspect` command and `credentials::inspect` (feature
    /// `credentials`) say more.
    AuthFailure,
    /// Every failure.
    ;
    /// Not a compact JWS of three base64url parts with an fgac header, or a part that does not
    /// decode.
    Malformed = "malformed",
    /// Longer than `Limits::max_token_bytes`: refused before any decoding.
    Oversized = "oversized",
    /// The header names an algorithm other than EdDSA (`none`, `HS256`, ...).
    UnsupportedAlgorithm = "unsupported_algorithm",
    /// Signed with a key id the store does not hold.
    UnknownKey = "unknown_key",
    /// Signed with a key the store has retired.
    RetiredKey = "retired_key",
    /// The signature does not verify.
    BadSignature = "bad_signature",
    /// The signature verifies but the claims are not a valid credential (bad JSON, a duplicated
    /// or unknown claim, a super-user token, more grants than a token may hold, ...).
    InvalidClaims = "invalid_claims",
    /// The issuer (`iss`) is not the one the store requires.
    WrongIssuer = "wrong_issuer",
    /// Not valid yet (`nbf`, or `iat` in the future).
    NotYetValid = "not_yet_valid",
    /// Expired (`exp`).
    Expired = "expired",
    /// Revoked, by its token id or its signing key, or withdrawn by a reload of the store.
    Revoked = "revoked",
    /// Presented from an address outside the credential's networks.
    NetworkNotAllowed = "network_not_allowed",
    /// A key that refers to a credential of the store's document by name, and the document
    /// holds no credential of that name.
    UnknownCredential = "unknown_credential",
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for AuthFailure {}
