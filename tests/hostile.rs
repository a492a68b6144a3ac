//! Hostile input: each case gets a clear error naming what is wrong (and for limits, which limit
//! and how to raise it), or a documented acceptance; never a panic, never unbounded time or
//! memory. And fail closed: whatever the engine does not understand is denied or refused.

use fgac::Timestamp;
use fgac::{Authorizer, Decision, DenyReason, ErrorKind, Limits, Operation, Resource};
use fgac_test_support::read;

fn first_error(result: Result<impl std::fmt::Debug, fgac::Error>) -> fgac::Error {
    result.expect_err("must be refused")
}

fn limit_of(e: &fgac::Error) -> &'static str {
    match e.kind() {
        ErrorKind::Limit { limit, .. } => limit,
        other => panic!("expected a limit error, got {other:?}: {e}"),
    }
}

#[test]
fn a_100_mb_document_is_refused_by_size_before_parsing() {
    let filler = "# filler filler filler filler\n";
    let big = format!(
        "key \"k\" {{ expires never\n{}}}\n",
        filler.repeat((100 << 20) / filler.len() + 1)
    );
    assert!(big.len() > 100 << 20);
    for e in [
        first_error(read::dsl(&big)),
        first_error(read::json(&big)),
        first_error(
            fgac::syntax::Reader::new()
                .read(big.as_bytes())
                .map(|l| l.document),
        ),
    ] {
        assert_eq!(limit_of(&e), "max_document_bytes");
        assert!(
            e.to_string().contains("raise `Limits::max_document_bytes`"),
            "{e}"
        );
    }
}

#[test]
fn a_million_rules_stop_at_the_limit_with_bounded_memory() {
    let dsl = format!(
        "key \"k\" {{\n    expires never\n{}}}\n",
        "    allow readonly cache *\n".repeat(1_000_000)
    );
    let e = first_error(read::dsl(&dsl));
    assert_eq!(limit_of(&e), "max_grants_per_key");
    assert!(
        e.to_string()
            .starts_with("error: `key \"k\"` has more than 100000 rules"),
        "{e}"
    );
    assert_eq!(
        e.diagnostics().len(),
        1,
        "one error, not one per rule past the limit"
    );

    let json = format!(
        "{{\"permissions\": [{}{{\"role\": \"readonly\", \"cache\": \"*\"}}]}}",
        "{\"role\": \"readonly\", \"cache\": \"*\"},".repeat(999_999)
    );
    let e = first_error(read::json(&json));
    assert_eq!(limit_of(&e), "max_grants_per_key");
    assert!(
        e.to_string()
            .contains("credential `default` has 1000000 grants"),
        "{e}"
    );
}

#[test]
fn a_10_mb_name_is_refused_by_its_limit() {
    let name = "n".repeat(10 << 20);
    let e = first_error(read::dsl(&format!(
        "key \"k\" {{ expires never  allow readonly cache \"{name}\" }}"
    )));
    assert_eq!(limit_of(&e), "max_name_bytes");
    assert!(
        e.to_string().contains("string is longer than 4096 bytes"),
        "{e}"
    );
    let e = first_error(Authorizer::from_source(&format!(
        "{{\"permissions\": [{{\"role\": \"readonly\", \"cache\": \"{name}\"}}]}}"
    )));
    assert_eq!(limit_of(&e), "max_name_bytes");
}

#[test]
fn deep_nesting_and_bracket_runs_end_in_errors() {
    // Deeply nested JSON wherever it may appear: an error with a position, never a stack overflow.
    let deep =
        |open: &str, close: &str| format!("{}{}", open.repeat(1_000_000), close.repeat(1_000_000));
    for doc in [
        deep("[", "]"),
        deep("{\"a\":", "}"),
        format!("{{\"permissions\": {}}}", deep("[", "]")),
        format!("{{\"permissions\": [{{\"role\": {}}}]}}", deep("[", "]")),
        format!("{{\"credentials\": [{}]}}", deep("[", "]")),
    ] {
        let e = first_error(read::json(&doc));
        let text = e.to_string();
        assert!(
            text.len() < 2_000,
            "the error stays small: {} bytes",
            text.len()
        );
        assert!(e.diagnostics()[0].span.end <= doc.len());
    }

    let braces = "{".repeat(1 << 20);
    let e = first_error(read::dsl(&braces));
    assert!(
        e.to_string()
            .starts_with("error: expected `key`, `token`, `test` or `policy`, found `{`"),
        "{e}"
    );
    assert!(e.to_string().len() < 1_000, "a 1 MB line shows as a window");
    let lines = "key \"a\" { bogus }\n".repeat(1 << 18);
    let e = first_error(read::dsl(&lines));
    assert_eq!(
        e.diagnostics().len(),
        50,
        "errors are capped, however many lines are wrong"
    );
    let open = format!(
        "key \"k\" {{ expires never{}",
        " allow readonly cache \"c\" {".repeat(10_000)
    );
    let _ = first_error(read::dsl(&open));
    // A 10 MB word is quoted in the message only in part.
    let e = first_error(read::dsl(&format!(
        "key \"k\" {{ expires never  allow {} }}",
        "r".repeat(10 << 20)
    )));
    assert!(e.to_string().len() < 2_000, "{} bytes", e.to_string().len());
}

#[test]
fn invalid_utf8_is_refused_at_its_byte() {
    let e = first_error(
        fgac::syntax::Reader::new()
            .read(b"key \"k\" { expires never\n  allow readonly cache \"caf\xe9\" }")
            .map(|l| l.document),
    );
    assert_eq!(
        e.to_string(),
        "error: invalid UTF-8 at byte 51\n --> <input>:2:28\n  |\n2 |   allow readonly cache \"caf\n  |                            ^\n  = help: documents are UTF-8 text; write key bytes that are not UTF-8 as `\\xNN` (DSL) or `keyBase64` (JSON)\n"
    );
    // Written as an escape, the same byte is a valid key.
    let doc =
        read::dsl("key \"k\" { expires never  allow readonly cache \"c\" item \"caf\\xe9\" }")
            .unwrap();
    let authz = Authorizer::compile(&doc).unwrap();
    assert!(
        authz
            .credential("k")
            .unwrap()
            .authorize(
                Operation::Get,
                Resource::item("c", b"caf\xe9"),
                Timestamp::from_unix_seconds(0)
            )
            .is_allowed()
    );
}

#[test]
fn nul_bytes_are_refused_outside_escapes() {
    let e = first_error(read::dsl(
        "key \"k\" { expires never  allow readonly cache \"a\0b\" }",
    ));
    assert!(
        e.to_string()
            .contains("control character U+0000 in a string"),
        "{e}"
    );
    let e = first_error(read::dsl("key \"k\" {\0}"));
    assert!(e.to_string().contains("found `\\0`"), "{e}");
    let e = first_error(read::json(
        "{\"permissions\": [{\"role\": \"readonly\", \"cache\": \"a\0b\"}]}",
    ));
    assert!(e.to_string().contains("control character"), "{e}");
    // As an escape, NUL is an ordinary key byte.
    assert!(
        read::dsl("key \"k\" { expires never  allow readonly cache \"c\" item \"a\\0b\" }").is_ok()
    );
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
    let lf = "key \"k\" {\n    expires never\n    allow readonly cache \"c\"\n}\n";
    let crlf = lf.replace('\n', "\r\n");
    let want = read::dsl(lf).unwrap();
    assert_eq!(read::dsl(&format!("\u{feff}{lf}")).unwrap(), want);
    assert_eq!(read::dsl(&crlf).unwrap(), want);
    assert_eq!(
        read::reformat_dsl(&crlf).unwrap(),
        lf,
        "the formatter writes LF"
    );
    let json = r#"{"permissions": [{"role": "readonly", "cache": "c"}]}"#;
    assert_eq!(
        read::json(&format!("\u{feff}{json}")).unwrap(),
        read::json(json).unwrap()
    );
    // Errors point at the right place after a BOM, and show no stray `\r`.
    let e = first_error(read::dsl(
        "\u{feff}key \"k\" {\r\n    expire never\r\n}\r\n",
    ));
    assert!(
        e.to_string()
            .contains(" --> <input>:2:5\n  |\n2 |     expire never\n"),
        "{e:?}"
    );
}

#[test]
fn duplicated_json_fields_are_refused_not_resolved() {
    for doc in [
        r#"{"permissions": [{"role": "readonly", "role": "readwrite", "cache": "c"}]}"#,
        r#"{"permissions": [{"role": "readonly", "cache": "c", "cache": "*"}]}"#,
        r#"{"permissions": [{"role": "readonly", "cache": "c"}], "permissions": [{"role": "readwrite", "cache": "*"}]}"#,
        r#"{"credentials": [{"name": "a", "name": "b", "kind": "api_key", "expires_at": "never", "super_user": true}]}"#,
        r#"{"permissions": [{"role": "readonly", "cache": {"name": "a", "name": "b"}}]}"#,
    ] {
        let e = first_error(read::json(doc));
        assert!(
            e.to_string().contains("duplicate field")
                || e.to_string().contains("exactly one field"),
            "{doc}: {e}"
        );
    }
}

/// serde's derived structs also accept arrays, field by field: this once read
/// `["k","api_key","never",null,null,true]` as a super-user key.
#[test]
fn json_arrays_are_not_read_as_objects() {
    for (doc, fragment) in [
        (
            r#"{"credentials":[["k","api_key","never",null,null,true]]}"#,
            "expected a credential as a JSON object `{...}`, found an array",
        ),
        (
            r#"{"permissions":[[null,"readwrite","*"]]}"#,
            "expected a permission as a JSON object `{...}`, found an array",
        ),
        (
            r#"[[null,"readwrite","*"]]"#,
            "expected a document as a JSON object `{...}`, found an array",
        ),
        (
            r#" "permissions" "#,
            "expected a document as a JSON object `{...}`, found a string",
        ),
    ] {
        let e = first_error(read::json(doc));
        assert!(e.to_string().contains(fragment), "{doc}: {e}");
    }
}

#[test]
fn numbers_where_strings_belong_are_refused() {
    for doc in [
        r#"{"permissions": [{"role": 1, "cache": "c"}]}"#,
        r#"{"permissions": [{"role": "readonly", "cache": 5}]}"#,
        r#"{"permissions": [{"role": "readonly", "cache": "c", "item": {"key": 7}}]}"#,
        r#"{"credentials": [{"name": 7, "kind": "api_key", "expires_at": "never", "super_user": true}]}"#,
    ] {
        let e = first_error(read::json(doc));
        assert!(
            e.to_string().contains("invalid type: integer"),
            "{doc}: {e}"
        );
    }
}

#[test]
fn timestamps_out_of_range_are_refused() {
    let dsl = |t: &str| {
        read::dsl(&format!(
            "key \"k\" {{ expires {t}  allow readonly cache \"c\" }}"
        ))
    };
    for (t, fragment) in [
        ("10000-01-01T00:00:00Z", "is not a timestamp"),
        ("-1", "is not a timestamp"),
        ("1969-12-31T23:59:59Z", "before 1970"),
        ("2016-12-31T23:59:60Z", "leap second"),
        ("18446744073709551616", "out of range"),
        ("2027-01-01T00:00:00.5Z", "fractions"),
        ("2027-01-01T00:00:00+00:00", "UTC offset"),
    ] {
        let e = first_error(dsl(t));
        assert!(e.to_string().contains(fragment), "{t}: {e}");
    }
    assert!(
        dsl("18446744073709551615").is_ok(),
        "the largest epoch second is accepted"
    );
    let json = |t: &str| {
        read::json(&format!(
            r#"{{"credentials": [{{"name": "k", "kind": "api_key", "expires_at": {t}, "super_user": true}}]}}"#
        ))
    };
    for t in [
        "-1",
        "1e30",
        "18446744073709551616",
        "1.5",
        "\"2027-01-01T00:00:00Z\"",
    ] {
        let e = first_error(json(t));
        assert!(e.to_string().contains("epoch seconds"), "{t}: {e}");
    }
    assert!(json("18446744073709551615").is_ok());
}

#[test]
fn invisible_and_bidirectional_characters_are_flagged_and_shown() {
    // A name that reads as `admin` but holds a right-to-left override and a zero-width space.
    let doc =
        read::dsl("key \"ad\\u{202e}min\" { expires 1 allow readonly cache \"bill\\u{200b}ing\" }")
            .unwrap();
    let valid = fgac::validate(&doc, &Limits::default()).unwrap();
    let warnings: Vec<String> = fgac::analysis::lint(valid)
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w
                .contains("credential name `ad\\u{202e}min` holds the invisible character U+202E")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w
                .contains("cache name `bill\\u{200b}ing` holds the invisible character U+200B")),
        "{warnings:?}"
    );
    let formatted = read::to_dsl(&doc);
    assert!(
        formatted.contains(r#"key "ad\u{202e}min""#)
            && formatted.contains(r#"cache "bill\u{200b}ing""#),
        "{formatted}"
    );
    // And such a name is not the name it looks like.
    let authz = Authorizer::compile(&doc).unwrap();
    assert!(authz.credential("admin").is_none());
    assert!(authz.credential("ad\u{202e}min").is_some());
}

#[test]
fn matching_is_byte_exact_without_unicode_normalization() {
    // "é" precomposed (U+00E9) and decomposed (e + U+0301) are different names.
    let doc =
        read::dsl("key \"k\" { expires never  allow readonly cache \"caf\\u{e9}\" }").unwrap();
    let authz = Authorizer::compile(&doc).unwrap();
    let now = Timestamp::from_unix_seconds(0);
    assert!(
        authz
            .credential("k")
            .unwrap()
            .authorize(Operation::Get, Resource::item("caf\u{e9}", b"x"), now)
            .is_allowed()
    );
    assert!(
        !authz
            .credential("k")
            .unwrap()
            .authorize(Operation::Get, Resource::item("cafe\u{301}", b"x"), now)
            .is_allowed()
    );
    assert!(
        !authz
            .credential("k")
            .unwrap()
            .authorize(Operation::Get, Resource::item("CAF\u{c9}", b"x"), now)
            .is_allowed()
    );
}

#[test]
fn the_engine_fails_closed() {
    let authz = Authorizer::from_source("key \"k\" { expires 1000  allow readwrite cache * }\nkey \"root\" { expires never superuser }").unwrap();
    let item = Resource::item("c", b"x");
    let (before, after) = (
        Timestamp::from_unix_seconds(999),
        Timestamp::from_unix_seconds(1000),
    );
    // An unknown operation has no value to authorize with: the name does not parse.
    assert!("gett".parse::<Operation>().is_err());
    assert!(Operation::from_name("GET").is_none());
    // A resource of the wrong kind.
    assert_eq!(
        authz
            .credential("k")
            .unwrap()
            .authorize(Operation::Publish, item, before),
        Decision::Deny(DenyReason::WrongResourceKind)
    );
    assert_eq!(
        authz
            .credential("root")
            .unwrap()
            .authorize(Operation::Get, Resource::Account, before),
        Decision::Deny(DenyReason::WrongResourceKind)
    );
    // Expired, whatever the permissions.
    assert_eq!(
        authz
            .credential("k")
            .unwrap()
            .authorize(Operation::Get, item, after),
        Decision::Deny(DenyReason::Expired)
    );
    // Unknown credentials and empty requests.
    assert!(authz.credential("K").is_none());
    let k = authz.credential("k").unwrap();
    assert_eq!(
        k.authorize_need(fgac::Need::Item(fgac::Rights::NONE), item, before),
        Decision::Deny(DenyReason::NoMatchingGrant)
    );
    assert_eq!(
        k.authorize_batch(Operation::GetBatch, "c", std::iter::empty(), before),
        fgac::BatchDecision::Empty
    );
    // The control plane is never reached by a fine-grained key.
    assert_eq!(
        authz.credential("k").unwrap().authorize(
            Operation::CreateCache,
            Resource::cache("c"),
            before
        ),
        Decision::Deny(DenyReason::SuperUserRequired)
    );
}

#[test]
fn malformed_or_empty_documents_do_not_compile() {
    for (doc, fragment) in [
        ("", "document defines no credentials"),
        ("# only a comment\n", "document defines no credentials"),
        (r#"{"credentials": []}"#, "document defines no credentials"),
        (
            r#"{"credentials": [{"name": "k", "expires_at": "never", "super_user": true}]}"#,
            "missing field `kind`",
        ),
        (
            r#"{"credentials": [{"name": "k", "kind": "api_key", "expires_at": "never"}]}"#,
            "expected `permissions`",
        ),
        (
            r#"{"credentials": [{"name": "k", "kind": "api_key", "expires_at": "never", "permissions": [{}]}]}"#,
            "missing field `role`",
        ),
        (r#"{"credentials": {"name": "k"}}"#, "invalid type: map"),
        ("key \"k\" { }", "key `k` has no `expires`"),
    ] {
        let e = first_error(Authorizer::from_source(doc));
        assert!(e.to_string().contains(fragment), "{doc}: {e}");
    }
}
