//! Account rights (Momento's v2 management and list rights): how each front end reads them, what
//! validation refuses, and how they decide, beside the catalogue's table.

use fgac::model::Permissions;
use fgac::{AccountRights, Authorizer, Decision, DenyReason, Operation, Resource, Timestamp};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_000);

fn first_message(text: &str) -> String {
    match Authorizer::from_source(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.diagnostics()[0].message.clone(),
    }
}

#[test]
fn a_management_right_opens_exactly_its_operations() {
    let authz = Authorizer::from_source(
        r#"key "ops" {
            expires never
            allow resource_write
            allow resource_list
            allow readonly cache "c"
        }"#,
    )
    .unwrap();
    let ops = authz.credential("ops").unwrap();
    assert_eq!(
        ops.account_rights(),
        AccountRights::RESOURCE_WRITE.union(AccountRights::RESOURCE_LIST)
    );
    for op in Operation::ALL {
        let Some(need) = (match op.need() {
            fgac::Need::Account(r) => Some(r),
            _ => None,
        }) else {
            continue;
        };
        let decision = ops.authorize(*op, Resource::cache("new"), NOW);
        if ops.account_rights().contains(need) {
            assert_eq!(decision, Decision::Allow, "{op}");
        } else {
            assert_eq!(
                decision,
                Decision::Deny(DenyReason::SuperUserRequired),
                "{op}"
            );
        }
    }
    assert!(
        ops.authorize(Operation::CreateCache, Resource::Account, NOW)
            .is_allowed()
    );
    assert!(
        !ops.authorize(Operation::GenerateDisposableToken, Resource::Account, NOW)
            .is_allowed()
    );
    // The data plane is still the grants'.
    assert!(
        !ops.authorize(Operation::Set, Resource::item("c", b"k"), NOW)
            .is_allowed()
    );
}

#[test]
fn the_dsl_and_fgac_json_say_the_same() {
    let dsl =
        fgac::syntax::parse(r#"key "ops" { expires never  allow auth_write  allow cache_list }"#)
            .unwrap();
    let json = fgac::syntax::parse(
        r#"{"credentials": [{"name": "ops", "kind": "api_key", "expires_at": "never",
            "account_rights": ["cache_list", "auth_write"], "permissions": []}]}"#,
    )
    .unwrap();
    assert_eq!(dsl, json);
    assert_eq!(
        dsl.credentials[0].account,
        AccountRights::AUTH_WRITE.union(AccountRights::CACHE_LIST)
    );
    assert_eq!(
        dsl.credentials[0].permissions,
        Permissions::Explicit(vec![])
    );
    // Printed and read back, in either form.
    for form in [fgac::syntax::Format::Dsl, fgac::syntax::Format::FgacJson] {
        let text = fgac::syntax::to_string(&dsl, form).unwrap();
        assert_eq!(fgac::syntax::parse(&text).unwrap(), dsl, "{text}");
    }
}

#[test]
fn misplaced_or_misspelt_rights_are_refused() {
    assert_eq!(
        first_message(r#"key "k" { expires never  deny resource_write }"#),
        "`deny resource_write`: account rights cannot be denied"
    );
    assert_eq!(
        first_message(r#"key "k" { expires never  allow auth_write  allow auth_write }"#),
        "`allow auth_write` is given twice in key `k`"
    );
    assert_eq!(
        first_message(
            r#"token "t" { expires 2000-01-01T00:00:00Z  allow auth_write  allow readonly cache "c" }"#
        ),
        "token `t` holds the management rights `auth_write`"
    );
    assert_eq!(
        first_message(r#"key "k" { expires never  superuser  allow cache_list }"#),
        "super user `k` lists the account rights `cache_list`, which it holds already"
    );
    // A token may list: list rights are data-plane rights.
    Authorizer::from_source(r#"token "t" { expires 2000-01-01T00:00:00Z  allow topic_list }"#)
        .unwrap();
    let json = |rights: &str| {
        first_message(&format!(
            r#"{{"credentials": [{{"name": "k", "kind": "api_key", "expires_at": "never", "account_rights": {rights}, "permissions": [{{"role": "readonly", "cache": "c"}}]}}]}}"#
        ))
    };
    assert_eq!(
        json(r#"["resource_wrte"]"#),
        "unknown account right `resource_wrte`"
    );
    assert_eq!(
        json(r#"["cache_list", "cache_list"]"#),
        "the account right `cache_list` is listed twice"
    );
    assert_eq!(json("[]"), "`account_rights` is empty");
    assert!(json("null").contains("null"), "{}", json("null"));
    // Momento's v1 forms cannot hold them.
    let doc =
        fgac::syntax::parse(r#"key "default" { expires never  allow resource_list }"#).unwrap();
    let err = fgac::syntax::to_string(&doc, fgac::syntax::Format::MomentoJson).unwrap_err();
    assert_eq!(
        err.diagnostics()[0].message,
        "Momento's JSON cannot express the account rights (resource_list) of `default`"
    );
}
