//! Momento's v2 permission rules as JSON: what they read as, what is refused and why, and that
//! v1 documents converted to v2 (and back, where v1 can say it) decide the same.

use fgac::model::{CacheSelector, Grant, ItemSelector, Permissions, Role, TopicSelector};
use fgac::syntax::{self, Format};
use fgac::{AccountRights, Authorizer};

fn message(text: &str) -> String {
    match syntax::parse(text) {
        Ok(doc) => panic!("read: {doc:?}"),
        Err(e) => e.diagnostics()[0].message.clone(),
    }
}

#[test]
fn the_documented_example_reads_as_grants_and_account_rights() {
    let text = r#"{"rules": [
      {"type": "cache", "permissions": ["read", "write"], "caches": {"name": "prod"}, "items": {"key_prefix": "public/"}},
      {"type": "topic", "permissions": ["read"], "caches": "*", "topics": {"prefix": "news-"}},
      {"type": "cache", "permissions": ["list"], "caches": "*", "items": "*"},
      {"type": "resource_management", "permissions": ["write", "list"]}
    ], "conditions": [{"ip_filter": {"allowed_cidr_ranges": ["10.0.0.0/8"]}}]}"#;
    let read = syntax::Reader::new().json().read_str(text).unwrap();
    assert_eq!(read.format, Format::MomentoV2Json);
    let c = &read.document.credentials[0];
    assert_eq!(c.name, "default");
    assert_eq!(
        c.permissions,
        Permissions::Explicit(vec![
            Grant::allow_items(
                Role::ReadWrite,
                CacheSelector::Name("prod".into()),
                ItemSelector::Prefix(b"public/".to_vec())
            ),
            Grant::allow_topics(
                Role::SubscribeOnly,
                CacheSelector::All,
                TopicSelector::Prefix("news-".into())
            ),
        ])
    );
    assert_eq!(
        c.account,
        AccountRights::CACHE_LIST
            .union(AccountRights::RESOURCE_WRITE)
            .union(AccountRights::RESOURCE_LIST)
    );
    assert_eq!(c.networks.len(), 1);
    // Written back in v2 and read again: the same document; reformatting keeps the form.
    let printed = syntax::to_string(&read.document, Format::MomentoV2Json).unwrap();
    assert_eq!(syntax::parse(&printed).unwrap(), read.document);
    let formatted = syntax::Reader::new().json().reformat(text).unwrap();
    assert_eq!(formatted, printed);
    // v1 cannot say the account rights or the networks: refused by name.
    let err = syntax::to_string(&read.document, Format::MomentoJson).unwrap_err();
    assert_eq!(
        err.diagnostics()[0].message,
        "Momento's JSON cannot express the networks (10.0.0.0/8), the account rights (resource_write+resource_list+cache_list) of `default`"
    );
}

#[test]
fn what_v2_rules_cannot_mean_is_refused() {
    for (text, wanted) in [
        (
            r#"{"rules": [{"type": "cache", "permissions": ["list"], "caches": {"name": "c"}, "items": "*"}]}"#,
            "`list` is written with a selector, which cannot restrict it",
        ),
        (
            r#"{"rules": [{"type": "store", "permissions": ["read", "list"], "stores": {"name": "s"}, "items": "*"}]}"#,
            "`list` is written with a selector, which cannot restrict it",
        ),
        (
            r#"{"rules": [{"type": "function", "permissions": ["read"]}]}"#,
            "`function` rules are not supported: fgac authorizes caches, topics, stores and account management",
        ),
        (
            r#"{"rules": [{"type": "cahce", "permissions": ["read"]}]}"#,
            "unknown rule type `cahce`",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["read"], "caches": "*"}]}"#,
            "the rule has no `items`",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": [], "caches": "*", "items": "*"}]}"#,
            "`permissions` is empty",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["read", "read"], "caches": "*", "items": "*"}]}"#,
            "the permission `read` is listed twice",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["raed"], "caches": "*", "items": "*"}]}"#,
            "unknown permission `raed`",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["read"], "caches": "prod", "items": "*"}]}"#,
            "`caches` is the string `prod`, which v2 rules do not read as a name",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["read"], "caches": {"prefix": "p"}, "items": "*"}]}"#,
            "`caches` does not select by `prefix`",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["read"], "caches": "*", "items": {"key": "a", "key_prefix": "b"}}]}"#,
            "`items` must hold exactly one of {\"key\": ...}, {\"key_prefix\": ...}, {\"key_base64\": ...}, {\"key_prefix_base64\": ...}",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["read"], "caches": "*", "items": null}]}"#,
            "`null` is not a value here",
        ),
        (
            r#"{"rules": [{"type": "auth_management", "permissions": ["write"]}, {"type": "auth_management", "permissions": ["write"]}]}"#,
            "the account right `auth_write` is given by two rules",
        ),
        (
            r#"{"rules": [{"type": "auth_management", "permissions": ["write"], "caches": "*"}]}"#,
            "a `auth_management` rule has no `caches`",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["read"], "caches": "*", "items": "*"}], "conditions": [{"ip_filter": {"allowed_cidr_ranges": ["10.0.0.0/8"]}}, {"ip_filter": {"allowed_cidr_ranges": ["10.0.0.0/8"]}}]}"#,
            "more than one condition",
        ),
        (
            r#"{"rules": [{"type": "cache", "permissions": ["read"], "caches": "*", "items": "*"}], "permissions": []}"#,
            "a v2 document has `rules` (or `super_user`) and `conditions`, and nothing of v1's forms",
        ),
        (r#"{"conditions": []}"#, "`conditions` is empty"),
    ] {
        assert_eq!(message(text), wanted, "{text}");
    }
    // Two rules with the same selectors are refused as in v1 (validation).
    let twice = r#"{"rules": [
        {"type": "cache", "permissions": ["read"], "caches": "*", "items": "*"},
        {"type": "cache", "permissions": ["write"], "caches": "*", "items": "*"}]}"#;
    assert!(Authorizer::from_source(twice).is_err());
    // A list right beside read on all caches and items is fine: one rule, a grant and a right.
    let both = syntax::parse(
        r#"{"rules": [{"type": "cache", "permissions": ["read", "list"], "caches": "*", "items": "*"}]}"#,
    )
    .unwrap();
    assert_eq!(both.credentials[0].account, AccountRights::CACHE_LIST);
    // Store rules give grants on stores' items.
    let store = syntax::parse(
        r#"{"rules": [{"type": "store", "permissions": ["read", "write"], "stores": {"name": "s"}, "items": {"key_prefix": "user/"}}]}"#,
    )
    .unwrap();
    assert_eq!(
        store.credentials[0].permissions,
        Permissions::Explicit(vec![Grant::new(
            fgac::model::Effect::Allow,
            Role::ReadWrite,
            CacheSelector::Name("s".into()),
            fgac::model::ResourceSelector::StoreItems(ItemSelector::Prefix(b"user/".to_vec()))
        )])
    );
}

/// Momento's own SDK messages (the protobuf corpus), converted to v2 and back to v1: the same
/// document all the way.
#[cfg(feature = "protobuf")]
#[test]
fn the_sdk_corpus_converts_to_v2_and_back() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/protobuf");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "binpb") {
            continue;
        }
        let doc = fgac::syntax::Reader::new()
            .format(Format::MomentoProtobuf)
            .read(&std::fs::read(&path).unwrap())
            .unwrap()
            .document;
        let v2 = syntax::to_string(&doc, Format::MomentoV2Json).unwrap();
        let back = syntax::parse(&v2).unwrap();
        assert_eq!(back, doc, "{}", path.display());
        let v1 = syntax::to_string(&back, Format::MomentoJson).unwrap();
        assert_eq!(syntax::parse(&v1).unwrap(), doc);
        seen += 1;
    }
    assert!(seen >= 7);
}

#[test]
fn store_rules_read_print_and_decide_in_their_own_namespace() {
    let text = r#"key "svc" {
    expires never
    allow readwrite store "profiles" items prefix "user/"
    deny  readwrite store "profiles" item "user/admin"
    allow readonly  store *
    allow readonly  cache "profiles"
}
"#;
    // The formatter's layout is the text's.
    assert_eq!(
        syntax::Reader::new()
            .format(Format::Dsl)
            .reformat(text)
            .unwrap(),
        text
    );
    let authz = Authorizer::from_source(text).unwrap();
    let svc = authz.credential("svc").unwrap();
    let now = fgac::Timestamp::from_unix_seconds(0);
    use fgac::{Operation as Op, Resource as R};
    assert!(
        svc.authorize(Op::StorePut, R::store_item("profiles", b"user/1"), now)
            .is_allowed()
    );
    assert!(
        !svc.authorize(Op::StorePut, R::store_item("profiles", b"user/admin"), now)
            .is_allowed()
    );
    assert!(
        svc.authorize(Op::StoreGet, R::store_item("other", b"x"), now)
            .is_allowed()
    );
    // Cache `profiles` is another resource: readonly there, and no store grant reaches it.
    assert!(
        !svc.authorize(Op::Set, R::item("profiles", b"user/1"), now)
            .is_allowed()
    );
    assert!(
        svc.authorize(Op::Get, R::item("profiles", b"user/1"), now)
            .is_allowed()
    );
    assert!(
        !svc.authorize(Op::Get, R::item("other", b"x"), now)
            .is_allowed()
    );
    // Every form that can say stores says the same; v1's refuse by name.
    let doc = syntax::parse(text).unwrap();
    let json = syntax::to_string(&doc, Format::FgacJson).unwrap();
    assert_eq!(syntax::parse(&json).unwrap(), doc);
    let mut default = doc.clone();
    default.credentials[0].name = "default".into();
    default.credentials[0].expiry = fgac::model::Expiry::Never;
    if let Permissions::Explicit(grants) = &mut default.credentials[0].permissions {
        grants.retain(|g| g.effect == fgac::model::Effect::Allow);
    }
    let v2 = syntax::to_string(&default, Format::MomentoV2Json).unwrap();
    assert!(v2.contains(r#"{"type": "store", "permissions": ["read", "write"], "stores": {"name": "profiles"}, "items": {"key_prefix": "user/"}}"#), "{v2}");
    assert_eq!(syntax::parse(&v2).unwrap(), default);
    let err = syntax::to_string(&default, Format::MomentoJson).unwrap_err();
    assert_eq!(
        err.diagnostics()[0].message,
        "grant #0 of `default` is on store items, which Momento's JSON cannot express"
    );
    // A store holds items, not topics.
    let err = syntax::parse(r#"key "k" { expires never  allow readonly store "s" topic "t" }"#)
        .unwrap_err();
    assert_eq!(
        err.diagnostics()[0].message,
        "a store holds items, not topics"
    );
}
