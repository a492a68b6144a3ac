//! Momento's `Permissions` protobuf, against the corpus Momento's own Python SDK wrote
//! (`tests/protobuf/generate.py`): each message reads as the same document as its scope JSON,
//! writes back byte for byte, and decides every request as the reference evaluator does.

mod common;

use fgac::model::{
    CacheSelector, CredentialKind, Document, ItemSelector, Permissions, ResourceSelector,
    TopicSelector,
};
use fgac::syntax::{self, Format, Reader};
use fgac::{Authorizer, Operation, Resource, Timestamp};
use std::path::PathBuf;

fn corpus() -> Vec<(String, Vec<u8>, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/protobuf");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "binpb") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let json = std::fs::read_to_string(path.with_extension("json")).unwrap();
            out.push((name, std::fs::read(&path).unwrap(), json));
        }
    }
    out.sort();
    assert!(out.len() >= 7, "the corpus is there");
    out
}

/// Names and keys around every selector of `doc`: each one, one byte longer, one byte shorter,
/// and one nothing selects.
fn probes(doc: &Document) -> (Vec<String>, Vec<Vec<u8>>) {
    let mut names = vec!["zz".to_owned(), String::new()];
    let mut keys: Vec<Vec<u8>> = vec![b"zz".to_vec(), Vec::new()];
    let mut name = |n: &str| {
        names.push(n.to_owned());
        names.push(format!("{n}x"));
        let mut shorter = n.to_owned();
        shorter.pop();
        names.push(shorter);
    };
    for c in &doc.credentials {
        let Permissions::Explicit(grants) = &c.permissions else {
            continue;
        };
        for g in grants {
            if let CacheSelector::Name(n) | CacheSelector::Prefix(n) = &g.cache {
                name(n);
            }
            match &g.resource {
                ResourceSelector::Items(ItemSelector::Key(k) | ItemSelector::Prefix(k)) => {
                    keys.push(k.clone());
                    keys.push([k.as_slice(), b"x"].concat());
                    keys.push(k[..k.len().saturating_sub(1)].to_vec());
                }
                ResourceSelector::Topics(TopicSelector::Name(n) | TopicSelector::Prefix(n)) => {
                    name(n)
                }
                _ => {}
            }
        }
    }
    (names, keys)
}

#[test]
fn the_sdk_corpus_reads_writes_back_and_decides_as_the_reference() {
    let now = Timestamp::from_unix_seconds(1_800_000_000);
    for (name, bytes, json) in corpus() {
        let read = Reader::new()
            .format(Format::MomentoProtobuf)
            .read(&bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(read.format, Format::MomentoProtobuf, "{name}");
        let from_json = syntax::parse(&json).unwrap();
        assert_eq!(
            read.document, from_json,
            "{name}: the binary and the JSON mean the same"
        );

        // Back to bytes, exactly as the SDK wrote them: API keys leave "every item" unset,
        // tokens write `all_items`.
        let credential = &read.document.credentials[0];
        let again = if name.starts_with("token") {
            fgac::syntax::protobuf::write_permissions(
                &credential.permissions,
                CredentialKind::Token,
            )
            .unwrap()
        } else {
            syntax::to_bytes(&read.document, Format::MomentoProtobuf).unwrap()
        };
        assert_eq!(again, bytes, "{name}: written back byte for byte");

        // Every request around the selectors: the engine agrees with the reference.
        let compiled = Authorizer::builder()
            .format(Format::MomentoProtobuf)
            .read(&bytes)
            .unwrap();
        let (names, keys) = probes(&read.document);
        let mut asked = 0;
        for &op in Operation::ALL.iter() {
            for cache in &names {
                let mut resources = vec![Resource::Account, Resource::cache(cache)];
                resources.extend(keys.iter().map(|k| Resource::item(cache, k)));
                resources.extend(names.iter().map(|t| Resource::topic(cache, t)));
                for resource in resources {
                    asked += 1;
                    assert_eq!(
                        common::engine_decides(compiled.authorizer(), "default", op, resource, now),
                        common::reference_decides(compiled.valid(), "default", op, resource, now),
                        "{name}: {op:?} {resource:?}"
                    );
                }
            }
        }
        assert!(asked > 500, "{name}: {asked} requests");
    }
}

#[test]
fn what_the_message_cannot_say_is_refused_by_name() {
    let doc = syntax::parse(
        r#"token "t" { expires 2030-01-01T00:00:00Z
             allow readonly cache prefix "tenant-" items prefix "x"
             deny readonly cache "c" item "secret"
             allow readonly cache "c" }"#,
    )
    .unwrap();
    let err = syntax::to_bytes(&doc, Format::MomentoProtobuf).unwrap_err();
    let messages: Vec<&str> = err
        .diagnostics()
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "Momento's protobuf cannot express the name `t`, the kind (a disposable token), the expiry (2030-01-01T00:00:00Z) of `t`",
            "grant #0 of `t` selects caches by the prefix `tenant-`, which Momento's protobuf cannot express",
            "grant #1 of `t` is a deny rule, which Momento's protobuf cannot express",
        ]
    );
    // A super-user token cannot be written as a token's permissions.
    let su = Permissions::SuperUser {
        span: Default::default(),
    };
    assert!(fgac::syntax::protobuf::write_permissions(&su, CredentialKind::Token).is_err());
    assert!(fgac::syntax::protobuf::write_permissions(&su, CredentialKind::ApiKey).is_ok());
}

#[test]
fn errors_show_byte_offsets() {
    // `Permissions { explicit { permissions: [ cache_permissions { cache_selector "c" } ] } }`:
    // no role.
    let bytes = [
        0x12, 0x09, 0x0a, 0x07, 0x0a, 0x05, 0x1a, 0x03, 0x0a, 0x01, b'c',
    ];
    let err = Reader::new()
        .format(Format::MomentoProtobuf)
        .read(&bytes)
        .unwrap_err()
        .with_origin("scope.binpb");
    assert_eq!(
        err.to_string(),
        "error: `CachePermissions` has no role (on the wire, an unset role is the zero value, `*PermitNone`)\n --> scope.binpb: bytes 6..11\n  = help: set the role to one of CacheReadWrite (1), CacheReadOnly (2), CacheWriteOnly (3)\n"
    );
    // Validation errors of a message that reads (two grants with the same selectors) are offsets
    // too.
    let one = [
        0x0a, 0x09, 0x0a, 0x07, 0x08, 0x02, 0x1a, 0x03, 0x0a, 0x01, b'c',
    ];
    let mut twice = vec![0x12, 22];
    twice.extend(one);
    twice.extend(one);
    let err = Authorizer::builder()
        .format(Format::MomentoProtobuf)
        .read(&twice)
        .unwrap_err();
    assert!(
        err.to_string().contains(" --> <input>: bytes 13..24"),
        "{err}"
    );
}

/// The v2 corpus, written by momento-protos' own generated types (`tests/protobuf/v2/generate`):
/// each message reads as its v2 JSON does, and fgac writes it back byte for byte.
#[test]
fn the_v2_corpus_reads_and_writes_back() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/protobuf/v2");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "binpb") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let read = Reader::new()
            .format(Format::MomentoV2Protobuf)
            .read(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(read.format, Format::MomentoV2Protobuf);
        let json = std::fs::read_to_string(path.with_extension("json")).unwrap();
        assert_eq!(
            read.document,
            syntax::parse(&json).unwrap(),
            "{}",
            path.display()
        );
        let again = syntax::to_bytes(&read.document, Format::MomentoV2Protobuf).unwrap();
        assert_eq!(
            again,
            bytes,
            "{}: written back byte for byte",
            path.display()
        );
        // And it compiles and decides as the reference does on the account rights it holds.
        let compiled = Authorizer::builder()
            .format(Format::MomentoV2Protobuf)
            .read(&bytes)
            .unwrap();
        let now = Timestamp::from_unix_seconds(1_800_000_000);
        for &op in Operation::ALL {
            let resource = Resource::cache("c");
            assert_eq!(
                common::engine_decides(compiled.authorizer(), "default", op, resource, now),
                common::reference_decides(compiled.valid(), "default", op, resource, now),
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 4);
}

/// A length-delimited field: its key byte, its length, its body.
fn field(key: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![key, u8::try_from(body.len()).unwrap()];
    out.extend_from_slice(body);
    out
}

/// `PermissionSet { explicit { rules { <rule> } } }`, `rule` with its key.
fn one_rule(rule: &[u8]) -> Vec<u8> {
    field(0x12, &field(0x0a, rule))
}

#[test]
fn v2_messages_are_read_strictly() {
    let read = |bytes: &[u8]| Reader::new().format(Format::MomentoV2Protobuf).read(bytes);
    let first = |bytes: &[u8]| read(bytes).unwrap_err().diagnostics()[0].message.clone();
    let all_caches_all_items = [0x12, 0x00, 0x22, 0x00];
    // A cache rule with no permission.
    assert_eq!(
        first(&one_rule(&field(0x22, &all_caches_all_items))),
        "`CacheRule` has no permissions, so it permits nothing"
    );
    // With `CacheList` (0) packed, and unpacked: the zero value is a real permission.
    let packed = [&field(0x0a, &[0x00])[..], &all_caches_all_items].concat();
    let unpacked = [&[0x08, 0x00][..], &all_caches_all_items].concat();
    for body in [packed, unpacked] {
        let doc = read(&one_rule(&field(0x22, &body))).unwrap().document;
        assert_eq!(doc.credentials[0].account, fgac::AccountRights::CACHE_LIST);
    }
    // `CacheList` on one cache: list is total, so a selector beside it is refused.
    let one_cache = [
        &[0x08, 0x00][..],
        &field(0x1a, &field(0x0a, b"c")),
        &[0x22, 0x00],
    ]
    .concat();
    assert_eq!(
        first(&one_rule(&field(0x22, &one_cache))),
        "`list` is written with a selector, which cannot restrict it"
    );
    // A resource management rule without its `all_resources`.
    assert_eq!(
        first(&one_rule(&field(0x1a, &[0x08, 0x01]))),
        "`ResourceManagementRule` leaves its `resources` oneof unset"
    );
    // Account management with `AccountWrite` (1, MOMENTO.md's proto) reads.
    let doc = read(&one_rule(&field(0x0a, &[0x08, 0x01])))
        .unwrap()
        .document;
    assert_eq!(
        doc.credentials[0].account,
        fgac::AccountRights::ACCOUNT_WRITE
    );
    // A function rule.
    let err = read(&one_rule(&field(0x3a, &[]))).unwrap_err();
    assert_eq!(err.kind(), &fgac::ErrorKind::Unsupported);
    // An IPv6 range in the `ipv4` member.
    let range = field(0x0a, &field(0x0a, b"2001:db8::/32"));
    let condition = field(0x1a, &field(0x0a, &range));
    let super_user_from = [&[0x08, 0x00][..], &condition].concat();
    assert_eq!(
        first(&super_user_from),
        "`2001:db8::/32` is in the `ipv4` member, but is not of that family"
    );
}
