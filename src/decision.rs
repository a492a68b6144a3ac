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
    pub const fn item(cache: &'a str, key: &'a [u8]) -> Resource<'a> {
        Resource::Item { cache, key }
    }

    /// A topic.
    pub const fn topic(cache: &'a str, topic: &'a str) -> Resource<'a> {
        Resource::Topic { cache, topic }
    }

    /// A cache as a whole.
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
            Resource::Cache { cache } => write!(f, "cache {cache:?}"),
            Resource::Account => f.write_str("account"),
        }
    }
}

/// The index of a grant in its credential's list of grants, counting from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The answer to a request: small, `Copy`, and never an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// The request is denied, for this reason.
    Deny(DenyReason),
}

impl Decision {
    /// Whether the request is allowed.
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow)
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

/// Why a request was denied.
///
/// Checked in this order: expiry, then the resource's kind, then the control plane, then the
/// grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenyReason {
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
    /// No credential with that name in the key store.
    UnknownCredential,
    /// A batch with no keys: there is nothing to authorize, and fgac never allows nothing.
    EmptyBatch,
}

impl DenyReason {
    /// The reason's snake_case name: `expired`, `no_matching_grant`, `denied_by_rule`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            DenyReason::Expired => "expired",
            DenyReason::WrongResourceKind => "wrong_resource_kind",
            DenyReason::SuperUserRequired => "super_user_required",
            DenyReason::NoMatchingGrant => "no_matching_grant",
            DenyReason::DeniedByRule(_) => "denied_by_rule",
            DenyReason::UnknownCredential => "unknown_credential",
            DenyReason::EmptyBatch => "empty_batch",
        }
    }

    /// The deny rule that decided, if one did.
    pub const fn rule(self) -> Option<RuleId> {
        match self {
            DenyReason::DeniedByRule(id) => Some(id),
            _ => None,
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::DeniedByRule(id) => write!(f, "denied_by_rule {id}"),
            other => f.write_str(other.as_str()),
        }
    }
}
