//! Momento's v2 permission messages (`permissionrules.proto`, package `permission_rules`),
//! declared for prost with the proto's field numbers: what fgac writes, and what the tests encode
//! to check the strict reader against prost's own decoding. Function and database rules are left
//! out: fgac never writes them, and its reader refuses them by number.

#![allow(missing_docs)]
#![allow(clippy::enum_variant_names)]

use prost::{Message, Oneof};

pub use super::messages::All;

#[derive(Clone, PartialEq, Message)]
pub struct PermissionSet {
    #[prost(message, repeated, tag = "3")]
    pub conditions: Vec<Condition>,
    #[prost(oneof = "PermissionSetKind", tags = "1, 2")]
    pub kind: Option<PermissionSetKind>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum PermissionSetKind {
    #[prost(int32, tag = "1")]
    SuperUser(i32),
    #[prost(message, tag = "2")]
    Explicit(ExplicitPermissions),
}

#[derive(Clone, PartialEq, Message)]
pub struct ExplicitPermissions {
    #[prost(message, repeated, tag = "1")]
    pub rules: Vec<Rule>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Rule {
    #[prost(oneof = "RuleKind", tags = "1, 2, 3, 4, 5, 6")]
    pub kind: Option<RuleKind>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum RuleKind {
    #[prost(message, tag = "1")]
    AccountManagementRule(ManagementRule),
    #[prost(message, tag = "2")]
    AuthManagementRule(ManagementRule),
    #[prost(message, tag = "3")]
    ResourceManagementRule(ManagementRule),
    #[prost(message, tag = "4")]
    CacheRule(CacheRule),
    #[prost(message, tag = "5")]
    TopicRule(TopicRule),
    #[prost(message, tag = "6")]
    StorageRule(StoreRule),
}

/// The three management rules: permissions, and (auth and resource management) the one
/// selector `all`, field 2. The account management rule has no selector: `all` stays `None`.
#[derive(Clone, PartialEq, Message)]
pub struct ManagementRule {
    #[prost(int32, repeated, tag = "1")]
    pub permissions: Vec<i32>,
    #[prost(message, optional, tag = "2")]
    pub all: Option<All>,
}

#[derive(Clone, PartialEq, Message)]
pub struct CacheRule {
    #[prost(int32, repeated, tag = "1")]
    pub permissions: Vec<i32>,
    #[prost(oneof = "super::messages::Cache", tags = "2, 3")]
    pub cache: Option<super::messages::Cache>,
    #[prost(oneof = "super::messages::CacheItem", tags = "4, 5")]
    pub cache_item: Option<super::messages::CacheItem>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TopicRule {
    #[prost(int32, repeated, tag = "1")]
    pub permissions: Vec<i32>,
    #[prost(oneof = "super::messages::TopicCache", tags = "2, 3")]
    pub cache: Option<super::messages::TopicCache>,
    #[prost(oneof = "super::messages::Topic", tags = "4, 5")]
    pub topic: Option<super::messages::Topic>,
}

/// A store rule. `StoreSelector` (`store_name`, 1) and `StoreItemSelector` (`key` 1,
/// `key_prefix` 2) have the wire shape of the cache selectors, whose types are used.
#[derive(Clone, PartialEq, Message)]
pub struct StoreRule {
    #[prost(int32, repeated, tag = "1")]
    pub permissions: Vec<i32>,
    #[prost(oneof = "super::messages::Cache", tags = "2, 3")]
    pub store: Option<super::messages::Cache>,
    #[prost(oneof = "super::messages::CacheItem", tags = "4, 5")]
    pub store_item: Option<super::messages::CacheItem>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Condition {
    #[prost(message, optional, tag = "1")]
    pub ip_filter: Option<IpFilter>,
}

#[derive(Clone, PartialEq, Message)]
pub struct IpFilter {
    #[prost(message, repeated, tag = "1")]
    pub allowed_cidr_ranges: Vec<CidrRange>,
}

#[derive(Clone, PartialEq, Message)]
pub struct CidrRange {
    #[prost(oneof = "CidrRangeKind", tags = "1, 2")]
    pub range: Option<CidrRangeKind>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum CidrRangeKind {
    #[prost(string, tag = "1")]
    Ipv4(String),
    #[prost(string, tag = "2")]
    Ipv6(String),
}
