//! The permission language: example documents and their JSON twins decide alike, every invalid
//! fixture renders its exact error (insta snapshots in `tests/snapshots/`), and the parser,
//! formatter and printers hold their properties on arbitrary input.

mod common;

use common::strategies;
use fgac::model::{
    CacheSelector, Document, ItemSelector, Permissions, ResourceSelector, TopicSelector,
};
use fgac::{Authorizer, Decision, Operation, Resource, Timestamp};
use fgac_test_support::read;
use proptest::prelude::*;
use std::path::Path;

fn examples() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/examples");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "fgac"))
        .collect();
    out.sort();
    out
}

/// Caches, keys and topics worth asking about in `doc`: every name and prefix it mentions, each
/// prefix extended, each trimmed by one byte, and names it does not mention.
fn probes(doc: &Document) -> (Vec<String>, Vec<Vec<u8>>, Vec<String>) {
    let mut caches = vec!["zzz".to_owned(), String::new()];
    let mut keys: Vec<Vec<u8>> = vec![b"zzz".to_vec(), Vec::new()];
    let mut topics = vec!["zzz".to_owned()];
    let near = |s: &[u8], out: &mut Vec<Vec<u8>>| {
        out.push(s.to_vec());
        out.push([s, b"1"].concat());
        out.push(s[..s.len().saturating_sub(1)].to_vec());
    };
    for c in &doc.credentials {
        let Permissions::Explicit(grants) = &c.permissions else {
            continue;
        };
        for g in grants {
            if let CacheSelector::Name(s) | CacheSelector::Prefix(s) = &g.cache {
                let mut v = Vec::new();
                near(s.as_bytes(), &mut v);
                caches.extend(
                    v.into_iter()
                        .map(|b| String::from_utf8_lossy(&b).into_owned()),
                );
            }
            match &g.resource {
                ResourceSelector::Items(ItemSelector::Key(k) | ItemSelector::Prefix(k)) => {
                    near(k, &mut keys)
                }
                ResourceSelector::Topics(TopicSelector::Name(s) | TopicSelector::Prefix(s)) => {
                    let mut v = Vec::new();
                    near(s.as_bytes(), &mut v);
                    topics.extend(
                        v.into_iter()
                            .map(|b| String::from_utf8_lossy(&b).into_owned()),
                    );
                }
                _ => {}
            }
        }
    }
    for v in [&mut caches, &mut topics] {
        v.sort();
        v.dedup();
    }
    keys.sort();
    keys.dedup();
    (caches, keys, topics)
}

#[test]
fn examples_and_their_json_twins_decide_alike_on_a_grid() {
    let ops = [
        Operation::Get,
        Operation::Set,
        Operation::Increment,
        Operation::Publish,
        Operation::Subscribe,
        Operation::CreateCache,
    ];
    let times = [0, 1_764_115_200, 1_795_651_200, 1_900_000_000].map(Timestamp::from_unix_seconds);
    let mut checked = 0;
    let mut pairs = 0;
    for path in examples() {
        let src = std::fs::read_to_string(&path).unwrap();
        let doc = read::dsl(&src)
            .unwrap_or_else(|e| panic!("{}", e.with_origin(path.display().to_string())));
        let twin_path = path.with_extension("json");
        let twin_src = std::fs::read_to_string(&twin_path)
            .unwrap_or_else(|_| panic!("{} has no JSON twin", path.display()));
        let twin = read::json(&twin_src).unwrap();
        assert_eq!(
            twin,
            doc,
            "{} and its twin hold different models",
            path.display()
        );
        let a = Authorizer::compile(&doc).unwrap_or_else(|e| panic!("{}", e.with_source(&src)));
        let b = Authorizer::compile(&twin).unwrap();
        pairs += 1;
        let (caches, keys, topics) = probes(&doc);
        let valid = fgac::validate(&doc, &fgac::Limits::default()).unwrap();
        for credential in &doc.credentials {
            let name = credential.name.as_str();
            for &now in &times {
                for &op in &ops {
                    for cache in &caches {
                        let mut resources = vec![Resource::cache(cache), Resource::Account];
                        resources.extend(keys.iter().map(|k| Resource::item(cache, k)));
                        resources.extend(topics.iter().map(|t| Resource::topic(cache, t)));
                        for r in resources {
                            let want = common::reference_decides(valid, name, op, r, now);
                            assert_eq!(
                                common::engine_decides(&a, name, op, r, now),
                                want,
                                "{}: {name} {op} {r}",
                                path.display()
                            );
                            assert_eq!(
                                common::engine_decides(&b, name, op, r, now),
                                want,
                                "{}: {name} {op} {r}",
                                path.display()
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(pairs >= 10, "only {pairs} example pairs");
    println!("{pairs} example pairs, {checked} requests decided alike");
}

#[test]
fn examples_format_canonically_and_keep_their_meaning() {
    for path in examples() {
        let src = std::fs::read_to_string(&path).unwrap();
        let formatted = read::reformat_dsl(&src).unwrap();
        assert_eq!(
            read::reformat_dsl(&formatted).unwrap(),
            formatted,
            "{}: not idempotent",
            path.display()
        );
        assert_eq!(
            read::dsl(&formatted).unwrap(),
            read::dsl(&src).unwrap(),
            "{}",
            path.display()
        );
        // Every comment survives formatting.
        let comments = |s: &str| s.lines().filter(|l| l.contains('#')).count();
        assert_eq!(
            comments(&formatted),
            comments(&src),
            "{}: comments lost",
            path.display()
        );
    }
}

#[test]
fn the_formatter_aligns_rules_and_orders_fields() {
    let src = "key \"svc\" {  # owner: web\n  allow readwrite cache \"sessions\" items prefix \"user:\"\n# why\n deny readwrite cache \"sessions\" item \"user:admin\"  # the admin record\n  expires 2027-01-31T00:00:00Z\n  allow publishsubscribe cache * \n}\n";
    assert_eq!(
        read::reformat_dsl(src).unwrap(),
        "key \"svc\" {  # owner: web\n    expires 2027-01-31T00:00:00Z\n    allow readwrite        cache \"sessions\" items prefix \"user:\"\n    # why\n    deny  readwrite        cache \"sessions\" item \"user:admin\"  # the admin record\n    allow publishsubscribe cache *\n}\n"
    );
}

#[test]
fn the_formatter_shows_invisible_and_bidirectional_characters() {
    let doc = read::dsl("key \"adm\\u{202e}in\" { expires never allow readonly cache \"a\\u{200b}b\" item \"\\xff\" }").unwrap();
    let out = read::to_dsl(&doc);
    assert!(out.contains(r#"key "adm\u{202e}in""#), "{out}");
    assert!(out.contains(r#"cache "a\u{200b}b" item "\xff""#), "{out}");
}

#[test]
fn conversion_refuses_what_momento_json_cannot_say() {
    let doc = read::dsl(
        "key \"k\" { expires never\n allow readwrite cache prefix \"tmp-\"\n deny readwrite cache \"x\" }",
    )
    .unwrap();
    let err = fgac::syntax::to_string(&doc, fgac::syntax::Format::MomentoJson)
        .unwrap_err()
        .with_source("");
    let text = err.to_string();
    assert!(
        text.contains("grant #0 of `k` selects caches by the prefix `tmp-`"),
        "{text}"
    );
    assert!(text.contains("grant #1 of `k` is a deny rule"), "{text}");
    // The key-store JSON says everything the language does, except comments.
    assert_eq!(read::json(&read::to_fgac_json(&doc)).unwrap(), doc);
}

#[test]
fn invalid_fixtures_render_their_exact_errors() {
    let mut count = 0;
    insta::glob!("errors/*.*", |path| {
        let src = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let err = match Authorizer::from_source(&src) {
            Ok(_) => panic!("{name} compiled, but it is an invalid fixture"),
            Err(e) => e.with_origin(format!("tests/errors/{name}")),
        };
        for d in err.diagnostics() {
            assert!(d.span.end <= src.len() && src.is_char_boundary(d.span.start));
        }
        count += 1;
        insta::assert_snapshot!(err.to_string());
    });
    assert!(count >= 30, "only {count} error fixtures");
}

/// Mutations of valid documents: cut, duplicated or replaced spans of bytes.
fn mutated_example() -> impl Strategy<Value = String> {
    let sources: Vec<String> = examples()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    (
        proptest::sample::select(sources),
        any::<usize>(),
        any::<usize>(),
        0u8..4,
        "[a-z\"{}*#\\\\ \n\u{e9}]{0,4}",
    )
        .prop_map(|(src, a, b, how, insert)| {
            let len = src.len();
            let (mut a, mut b) = (a % (len + 1), b % (len + 1));
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            while !src.is_char_boundary(a) {
                a -= 1;
            }
            while !src.is_char_boundary(b) {
                b -= 1;
            }
            match how {
                0 => format!("{}{}", &src[..a], &src[b..]),
                1 => format!("{}{}{}", &src[..b], &src[a..b], &src[b..]),
                2 => format!("{}{insert}{}", &src[..a], &src[b..]),
                _ => format!("{}{insert}{}", &src[..a], &src[a..]),
            }
        })
}

fn spans_are_sound(src: &str, err: &fgac::Error) -> Result<(), TestCaseError> {
    for d in err.diagnostics() {
        prop_assert!(
            d.span.start <= d.span.end && d.span.end <= src.len(),
            "{:?} in {} bytes",
            d.span,
            src.len()
        );
        prop_assert!(src.is_char_boundary(d.span.start) && src.is_char_boundary(d.span.end));
    }
    // Rendering never panics either.
    let _ = err.to_string();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn format_then_parse_is_the_identity(doc in strategies::any_document()) {
        let printed = read::to_dsl(&doc);
        let parsed = read::dsl(&printed).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        prop_assert_eq!(&parsed, &doc);
        // And the formatter is idempotent on its own output.
        prop_assert_eq!(read::reformat_dsl(&printed).unwrap(), printed);
    }

    #[test]
    fn json_then_text_then_json_is_the_identity(doc in strategies::any_document()) {
        let via_text = read::dsl(&read::to_dsl(&read::json(&read::to_fgac_json(&doc)).unwrap())).unwrap();
        prop_assert_eq!(read::to_fgac_json(&via_text), read::to_fgac_json(&doc));
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_text(src in "[ -~\n\t\u{e9}\u{202e}\u{feff}]{0,120}") {
        if let Err(e) = read::dsl(&src) {
            spans_are_sound(&src, &e)?;
        }
    }

    #[test]
    fn the_parser_never_panics_on_mutated_documents(src in mutated_example()) {
        match fgac::Authorizer::from_source(&src) {
            Ok(authz) => {
                // Whatever still compiles still decides, and agrees with the reference.
                let doc = read::dsl(&src).unwrap();
                let valid = fgac::validate(&doc, &fgac::Limits::default()).unwrap();
                for c in &doc.credentials {
                    let r = Resource::item("sessions", b"user:1");
                    let now = Timestamp::from_unix_seconds(1_795_651_200);
                    prop_assert_eq!(
                        common::engine_decides(&authz, &c.name, Operation::Get, r, now),
                        common::reference_decides(valid, &c.name, Operation::Get, r, now)
                    );
                }
            }
            Err(e) => spans_are_sound(&src, &e)?,
        }
    }
}

#[test]
fn the_decision_of_a_parsed_document_names_its_rule() {
    let authz = Authorizer::from_source(include_str!("../grammar/examples/checkout.fgac")).unwrap();
    let now = Timestamp::from_unix_seconds(1_795_651_200);
    let d = authz.credential("checkout-service").unwrap().authorize(
        Operation::Get,
        Resource::item("sessions", b"user:admin"),
        now,
    );
    assert_eq!(
        d,
        Decision::Deny(fgac::DenyReason::DeniedByRule(fgac::RuleId::new(1)))
    );
}
