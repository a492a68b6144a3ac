//! Momento's v1 permission messages (`permissionmessages.proto`, package `permission_messages`),
//! declared for prost with the proto's field numbers: what fgac writes, and what the tests encode
//! to check the strict reader against prost's own decoding.
//!
//! Function permissions (field 3 of `PermissionsType`) are left out: fgac never writes them, and
//! its reader refuses them by number.

#![allow(missing_docs)]
// The names are the proto's, prefixes included.
#![allow(clippy::enum_variant_names)]

use prost::{Enumeration, Message, Oneof};

#[derive(Clone, PartialEq, Message)]
pub struct Permissions {
    #[prost(oneof = "PermissionsKind", tags = "1, 2")]
    pub kind: Option<PermissionsKind>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum PermissionsKind {
    #[prost(enumeration = "SuperUserPermissions", tag = "1")]
    SuperUser(i32),
    #[prost(message, tag = "2")]
    Explicit(ExplicitPermissions),
}

#[derive(Clone, PartialEq, Message)]
pub struct ExplicitPermissions {
    #[prost(message, repeated, tag = "1")]
    pub permissions: Vec<PermissionsType>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PermissionsType {
    #[prost(oneof = "PermissionKind", tags = "1, 2")]
    pub kind: Option<PermissionKind>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum PermissionKind {
    #[prost(message, tag = "1")]
    CachePermissions(CachePermissions),
    #[prost(message, tag = "2")]
    TopicPermissions(TopicPermissions),
}

#[derive(Clone, Copy, PartialEq, Message)]
pub struct All {}

#[derive(Clone, PartialEq, Message)]
pub struct CacheSelector {
    #[prost(oneof = "CacheSelectorKind", tags = "1")]
    pub kind: Option<CacheSelectorKind>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum CacheSelectorKind {
    #[prost(string, tag = "1")]
    CacheName(String),
}

#[derive(Clone, PartialEq, Message)]
pub struct CacheItemSelector {
    #[prost(oneof = "CacheItemSelectorKind", tags = "1, 2")]
    pub kind: Option<CacheItemSelectorKind>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum CacheItemSelectorKind {
    #[prost(bytes, tag = "1")]
    Key(Vec<u8>),
    #[prost(bytes, tag = "2")]
    KeyPrefix(Vec<u8>),
}

#[derive(Clone, PartialEq, Message)]
pub struct CachePermissions {
    #[prost(enumeration = "CacheRole", tag = "1")]
    pub role: i32,
    #[prost(oneof = "Cache", tags = "2, 3")]
    pub cache: Option<Cache>,
    #[prost(oneof = "CacheItem", tags = "4, 5")]
    pub cache_item: Option<CacheItem>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum Cache {
    #[prost(message, tag = "2")]
    AllCaches(All),
    #[prost(message, tag = "3")]
    CacheSelector(CacheSelector),
}

#[derive(Clone, PartialEq, Oneof)]
pub enum CacheItem {
    #[prost(message, tag = "4")]
    AllItems(All),
    #[prost(message, tag = "5")]
    ItemSelector(CacheItemSelector),
}

#[derive(Clone, PartialEq, Message)]
pub struct TopicSelector {
    #[prost(oneof = "TopicSelectorKind", tags = "1, 2")]
    pub kind: Option<TopicSelectorKind>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum TopicSelectorKind {
    #[prost(string, tag = "1")]
    TopicName(String),
    #[prost(string, tag = "2")]
    TopicNamePrefix(String),
}

#[derive(Clone, PartialEq, Message)]
pub struct TopicPermissions {
    #[prost(enumeration = "TopicRole", tag = "1")]
    pub role: i32,
    #[prost(oneof = "TopicCache", tags = "2, 3")]
    pub cache: Option<TopicCache>,
    #[prost(oneof = "Topic", tags = "4, 5")]
    pub topic: Option<Topic>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum TopicCache {
    #[prost(message, tag = "2")]
    AllCaches(All),
    #[prost(message, tag = "3")]
    CacheSelector(CacheSelector),
}

#[derive(Clone, PartialEq, Oneof)]
pub enum Topic {
    #[prost(message, tag = "4")]
    AllTopics(All),
    #[prost(message, tag = "5")]
    TopicSelector(TopicSelector),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enumeration)]
#[repr(i32)]
pub enum CacheRole {
    CachePermitNone = 0,
    CacheReadWrite = 1,
    CacheReadOnly = 2,
    CacheWriteOnly = 3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enumeration)]
#[repr(i32)]
pub enum TopicRole {
    TopicPermitNone = 0,
    TopicReadWrite = 1,
    TopicReadOnly = 2,
    TopicWriteOnly = 3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enumeration)]
#[repr(i32)]
pub enum SuperUserPermissions {
    SuperUser = 0,
}
