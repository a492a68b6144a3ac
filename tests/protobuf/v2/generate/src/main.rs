//! Writes v2 `PermissionSet` messages with momento-protos' own generated types (the corpus of
//! fgac's v2 protobuf reader): each `NAME.binpb` beside the v2 JSON fgac must read it as.
use momento_protos::permission_rules as p;
use p::rule::{self, Kind};
use prost::Message;

fn all() -> Option<p::All> { Some(p::All {}) }

fn cache_rule(perms: &[p::CacheApiPermissions], cache: Option<&str>, item: Option<rule::cache_rule::CacheItem>) -> p::Rule {
    p::Rule { kind: Some(Kind::CacheRule(rule::CacheRule {
        permissions: perms.iter().map(|x| *x as i32).collect(),
        cache: Some(match cache {
            None => rule::cache_rule::Cache::AllCaches(p::All {}),
            Some(n) => rule::cache_rule::Cache::CacheSelector(p::CacheSelector { kind: Some(p::cache_selector::Kind::CacheName(n.into())) }),
        }),
        cache_item: item,
    })) }
}

fn main() {
    let dir = std::path::Path::new(&std::env::args().nth(1).expect("output dir")).to_owned();
    let key = |k: &[u8]| Some(rule::cache_rule::CacheItem::ItemSelector(p::CacheItemSelector { kind: Some(p::cache_item_selector::Kind::Key(k.to_vec())) }));
    let prefix = |k: &[u8]| Some(rule::cache_rule::CacheItem::ItemSelector(p::CacheItemSelector { kind: Some(p::cache_item_selector::Kind::KeyPrefix(k.to_vec())) }));
    let all_items = Some(rule::cache_rule::CacheItem::AllItems(p::All {}));
    use p::CacheApiPermissions as C;
    let explicit = |rules: Vec<p::Rule>, conditions: Vec<p::Condition>| p::PermissionSet {
        conditions,
        kind: Some(p::permission_set::Kind::Explicit(p::ExplicitPermissions { rules })),
    };
    let cases: Vec<(&str, p::PermissionSet, &str)> = vec![
        ("super_user", p::PermissionSet { conditions: vec![], kind: Some(p::permission_set::Kind::SuperUser(0)) },
         r#"{"super_user": true}"#),
        ("cache_rules", explicit(vec![
            cache_rule(&[C::CacheRead, C::CacheWrite], Some("sessions"), prefix(b"user:")),
            cache_rule(&[C::CacheRead], Some("catalog"), all_items.clone()),
            cache_rule(&[C::CacheWrite], None, key(b"audit")),
            cache_rule(&[C::CacheList], None, all_items.clone()),
        ], vec![]),
         r#"{"rules": [
  {"type": "cache", "permissions": ["read", "write"], "caches": {"name": "sessions"}, "items": {"key_prefix": "user:"}},
  {"type": "cache", "permissions": ["read"], "caches": {"name": "catalog"}, "items": "*"},
  {"type": "cache", "permissions": ["write"], "caches": "*", "items": {"key": "audit"}},
  {"type": "cache", "permissions": ["list"], "caches": "*", "items": "*"}
]}"#),
        ("topics_and_management", explicit(vec![
            p::Rule { kind: Some(Kind::TopicRule(rule::TopicRule {
                permissions: vec![p::TopicApiPermissions::TopicRead as i32],
                cache: Some(rule::topic_rule::Cache::AllCaches(p::All {})),
                topic: Some(rule::topic_rule::Topic::TopicSelector(p::TopicSelector { kind: Some(p::topic_selector::Kind::TopicNamePrefix("news-".into())) })),
            })) },
            p::Rule { kind: Some(Kind::TopicRule(rule::TopicRule {
                permissions: vec![p::TopicApiPermissions::TopicRead as i32, p::TopicApiPermissions::TopicWrite as i32],
                cache: Some(rule::topic_rule::Cache::CacheSelector(p::CacheSelector { kind: Some(p::cache_selector::Kind::CacheName("chat".into())) })),
                topic: Some(rule::topic_rule::Topic::TopicSelector(p::TopicSelector { kind: Some(p::topic_selector::Kind::TopicName("room-1".into())) })),
            })) },
            p::Rule { kind: Some(Kind::AccountManagementRule(rule::AccountManagementRule {
                permissions: vec![p::AccountManagementPermissions::AccountList as i32],
            })) },
            p::Rule { kind: Some(Kind::AuthManagementRule(rule::AuthManagementRule {
                permissions: vec![p::AuthManagementPermissions::AuthRead as i32],
                auth_items: Some(rule::auth_management_rule::AuthItems::AllItems(p::All {})),
            })) },
            p::Rule { kind: Some(Kind::ResourceManagementRule(rule::ResourceManagementRule {
                permissions: vec![p::ResourceManagementPermissions::ResourceWrite as i32, p::ResourceManagementPermissions::ResourceList as i32],
                resources: Some(rule::resource_management_rule::Resources::AllResources(p::All {})),
            })) },
            p::Rule { kind: Some(Kind::StorageRule(rule::StoreRule {
                permissions: vec![p::StoreApiPermissions::StoreList as i32],
                store: Some(rule::store_rule::Store::AllStores(p::All {})),
                store_item: Some(rule::store_rule::StoreItem::AllItems(p::All {})),
            })) },
        ], vec![]),
         r#"{"rules": [
  {"type": "topic", "permissions": ["read"], "caches": "*", "topics": {"prefix": "news-"}},
  {"type": "topic", "permissions": ["read", "write"], "caches": {"name": "chat"}, "topics": {"name": "room-1"}},
  {"type": "account_management", "permissions": ["list"]},
  {"type": "auth_management", "permissions": ["read"]},
  {"type": "resource_management", "permissions": ["write", "list"]},
  {"type": "store", "permissions": ["list"], "stores": "*", "items": "*"}
]}"#),
        ("ip_filter", explicit(vec![cache_rule(&[C::CacheRead], Some("c"), all_items.clone())], vec![p::Condition {
            condition: Some(p::condition::Condition::IpFilter(p::IpFilter { allowed_cidr_ranges: vec![
                p::ip_filter::CidrRange { range: Some(p::ip_filter::cidr_range::Range::Ipv4("10.0.0.0/8".into())) },
                p::ip_filter::CidrRange { range: Some(p::ip_filter::cidr_range::Range::Ipv6("2001:db8::/32".into())) },
            ] })),
        }]),
         r#"{"rules": [
  {"type": "cache", "permissions": ["read"], "caches": {"name": "c"}, "items": "*"}
], "conditions": [{"ip_filter": {"allowed_cidr_ranges": ["10.0.0.0/8", "2001:db8::/32"]}}]}"#),
    ];
    let _ = all;
    for (name, message, json) in cases {
        std::fs::write(dir.join(format!("{name}.binpb")), message.encode_to_vec()).unwrap();
        std::fs::write(dir.join(format!("{name}.json")), format!("{json}\n")).unwrap();
    }
}
