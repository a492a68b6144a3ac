//! The bodies of the fuzz targets, shared by the cargo-fuzz binaries in `fuzz_targets/` and by the
//! replay test (`tests/fuzz_replay.rs`), which runs them over the committed corpus and every
//! regression file in `cargo test`. Each panics on a finding.

use arbitrary::{Arbitrary, Unstructured};
use fgac::Timestamp;
use fgac::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Effect, Expiry, Grant, ItemSelector,
    Permissions, ResourceSelector, Role, TopicSelector,
};
use fgac::syntax::{self, Format, Reader};
use fgac::{Authorizer, Error, Limits, Operation, Resource, reference};
use std::hint::black_box;

/// A target: its name and its body.
pub type Target = (&'static str, fn(&[u8]));

/// The targets, by name: the names of the cargo-fuzz binaries and of the corpus folders.
pub const TARGETS: &[Target] = &[
    ("parse_dsl", parse_dsl),
    ("parse_json", parse_json),
    ("roundtrip", roundtrip),
    ("differential", differential),
    ("mutated_document", mutated_document),
    ("analysis", analysis),
    #[cfg(feature = "credentials")]
    ("credentials", credentials),
    #[cfg(feature = "protobuf")]
    ("protobuf", protobuf),
];

/// Small limits, so that every input is parsed in bounded time and memory.
fn limits() -> Limits {
    Limits {
        max_document_bytes: 1 << 20,
        max_credentials: 1_000,
        max_grants_per_key: 10_000,
        max_grants_per_token: 20,
        max_name_bytes: 1_024,
        max_compiled_bytes: 64 << 20,
        max_token_lifetime_seconds: 25 * 3600,
        max_networks_per_credential: 64,
        max_token_bytes: 16 << 10,
    }
}

/// Every error's span lies inside `src`, on char boundaries, and the error renders with every
/// character that could drive a terminal or reorder text escaped.
fn check_error(src: &str, e: &Error) {
    assert!(!e.diagnostics().is_empty(), "an error without a diagnostic");
    for d in e.diagnostics() {
        assert!(
            d.span.start <= d.span.end && d.span.end <= src.len(),
            "span {:?} outside {} bytes",
            d.span,
            src.len()
        );
        assert!(
            src.is_char_boundary(d.span.start) && src.is_char_boundary(d.span.end),
            "span {:?} splits a character",
            d.span
        );
    }
    let rendered = e.clone().with_source(src).to_string();
    if let Some(c) = rendered.chars().find(|&c| {
        c != '\n' && c != '\t' && (c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c))
    }) {
        panic!(
            "the rendered error holds U+{:04X} raw:\n{rendered}",
            u32::from(c)
        );
    }
}

/// A source that parsed: reformatting it (what `fgac fmt` writes) keeps its form and its model.
fn check_reformat(src: &str, reader: Reader) {
    let reader = reader.limits(Limits::unbounded());
    let read = reader.read_str(src).expect("the source parsed");
    let formatted = reader
        .reformat(src)
        .unwrap_or_else(|e| panic!("a parsed source does not reformat: {e}"));
    let again = reader
        .read_str(&formatted)
        .unwrap_or_else(|e| panic!("reformatted source does not parse: {e}\n{formatted}"));
    assert_eq!(
        again.format, read.format,
        "reformat changed the format\n{formatted}"
    );
    assert_eq!(
        again.document, read.document,
        "reformat changed the document\n{formatted}"
    );
}

/// `doc` printed in the text format `format`, which says everything a document means.
fn written(doc: &Document, format: Format) -> String {
    syntax::to_string(doc, format).unwrap_or_else(|e| panic!("{format} refused a document: {e}"))
}

/// `text` read in `format` without limits.
fn read_unbounded(text: &str, format: Format) -> Result<Document, fgac::Error> {
    Reader::new()
        .format(format)
        .limits(Limits::unbounded())
        .read_str(text)
        .map(|loaded| loaded.document)
}

/// Whether a JSON value holds `null` anywhere.
fn holds_null(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Array(items) => items.iter().any(holds_null),
        serde_json::Value::Object(map) => map.values().any(holds_null),
        _ => false,
    }
}

/// A document that parsed: it formats and prints back to itself, and if it compiles, the engine
/// agrees with the reference on a few requests.
fn check_document(doc: &Document) {
    let formatted = written(doc, Format::Dsl);
    let reparsed = read_unbounded(&formatted, Format::Dsl)
        .unwrap_or_else(|e| panic!("formatted document does not parse: {e}\n{formatted}"));
    assert_eq!(&reparsed, doc, "format then parse changed the model");
    let printed = written(doc, Format::FgacJson);
    assert_eq!(
        &read_unbounded(&printed, Format::FgacJson).expect("printed JSON parses"),
        doc
    );
    if let Ok(authz) = Authorizer::builder().limits(limits()).compile(doc) {
        let valid = fgac::validate(doc, &limits()).expect("it compiled");
        let probes: [(Operation, Resource<'_>); 4] = [
            (Operation::Get, Resource::item("sessions", b"user:1")),
            (Operation::Set, Resource::item("a", b"a")),
            (Operation::Publish, Resource::topic("chat", "room-1")),
            (Operation::CreateCache, Resource::cache("new")),
        ];
        for c in valid.credentials() {
            let compiled = authz.credential(&c.name).expect("compiled");
            for (op, r) in probes {
                let now = Timestamp::from_unix_seconds(1_795_651_200);
                assert_eq!(
                    compiled.authorize(op, r, now),
                    reference::decide(c, op.need(), r, now)
                );
            }
        }
    }
}

/// `parse_dsl`: arbitrary text through the DSL parser.
pub fn parse_dsl(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let dsl = Reader::new().format(Format::Dsl);
    match black_box(dsl.clone().limits(limits()).read_str(src)) {
        Ok(loaded) => {
            check_document(&loaded.document);
            check_reformat(src, dsl.clone());
            // The formatter is idempotent on whatever parses.
            if let Ok(once) = dsl.reformat(src) {
                assert_eq!(dsl.reformat(&once).expect("formatted source parses"), once);
            }
        }
        Err(e) => check_error(src, &e),
    }
}

/// `parse_json`: arbitrary text through the JSON front end.
pub fn parse_json(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match black_box(Reader::new().json().limits(limits()).read_str(src)) {
        Ok(loaded) => {
            check_document(&loaded.document);
            check_reformat(src, Reader::new().json());
            // `null` is never "absent": a document holding one is refused.
            let body = src.strip_prefix('\u{feff}').unwrap_or(src);
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
                assert!(
                    !holds_null(&value),
                    "accepted a document holding null: {src}"
                );
            }
        }
        Err(e) => check_error(src, &e),
    }
}

/// `roundtrip`: an arbitrary model prints to the DSL and to JSON and parses back to itself.
pub fn roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(doc) = Document::arbitrary(&mut u) else {
        return;
    };
    let formatted = written(&doc, Format::Dsl);
    match read_unbounded(&formatted, Format::Dsl) {
        Ok(parsed) => assert_eq!(parsed, doc, "DSL round trip\n{formatted}"),
        Err(e) => panic!("formatted model does not parse: {e}\n{formatted}"),
    }
    let printed = written(&doc, Format::FgacJson);
    match read_unbounded(&printed, Format::FgacJson) {
        Ok(parsed) => assert_eq!(parsed, doc, "JSON round trip\n{printed}"),
        Err(e) => panic!("printed model does not parse: {e}\n{printed}"),
    }
}

/// A valid document over a tiny universe, so that selectors and requests collide often: caches
/// `a`, `ab`, `b` and prefixes of them, keys over {a, b, 0xff} of length 0 to 3.
fn small_document(u: &mut Unstructured<'_>) -> arbitrary::Result<Document> {
    let n = u.int_in_range(1..=3)?;
    let mut credentials = Vec::new();
    for i in 0..n {
        let kind = if u.arbitrary()? {
            CredentialKind::Token
        } else {
            CredentialKind::ApiKey
        };
        let expiry = match (u.int_in_range(0..=3)?, kind) {
            (0, CredentialKind::ApiKey) => Expiry::Never,
            (_, _) => Expiry::At(Timestamp::from_unix_seconds(u.int_in_range(900..=1100)?)),
        };
        let super_user = kind == CredentialKind::ApiKey && u.ratio(1, 10)?;
        let mut grants: Vec<Grant> = Vec::new();
        for _ in 0..u.int_in_range(1..=8)? {
            let role = *u.choose(&Role::ALL)?;
            let cache = match u.int_in_range(0..=2)? {
                0 => CacheSelector::All,
                1 => CacheSelector::Name(small_name(u)?),
                _ => CacheSelector::Prefix(small_name(u)?),
            };
            let resource = if role.is_topic_role() {
                ResourceSelector::Topics(match u.int_in_range(0..=2)? {
                    0 => TopicSelector::All,
                    1 => TopicSelector::Name(small_name(u)?),
                    _ => TopicSelector::Prefix(small_name(u)?),
                })
            } else {
                let item = match u.int_in_range(0..=2)? {
                    0 => ItemSelector::All,
                    1 => ItemSelector::Key(small_key(u)?),
                    _ => ItemSelector::Prefix(small_key(u)?.into_iter().chain([b'a']).collect()),
                };
                // Stores share the names' alphabet: a store grant must not reach the cache.
                if u.ratio(1, 4)? {
                    ResourceSelector::StoreItems(item)
                } else {
                    ResourceSelector::Items(item)
                }
            };
            let effect = if u.ratio(1, 4)? {
                Effect::Deny
            } else {
                Effect::Allow
            };
            let g = Grant::new(effect, role, cache, resource);
            if !grants
                .iter()
                .any(|h| h.effect == g.effect && h.cache == g.cache && h.resource == g.resource)
            {
                grants.push(g);
            }
        }
        let mut account = fgac::AccountRights::NONE;
        if !super_user && u.ratio(1, 4)? {
            for &(right, _) in fgac::AccountRights::NAMED {
                let keep = u.ratio(1, 3)?
                    && (kind == CredentialKind::ApiKey
                        || !fgac::AccountRights::MANAGEMENT.contains(right));
                if keep {
                    account = account.union(right);
                }
            }
        }
        credentials.push({
            let mut c = CredentialDef::new(
                format!("k{i}"),
                kind,
                expiry,
                if super_user {
                    Permissions::super_user()
                } else {
                    Permissions::Explicit(grants)
                },
            );
            c.account = account;
            c
        });
    }
    Ok(Document::new(credentials))
}

fn small_name(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok((*u.choose(&["a", "ab", "b", "ba", "abb"])?).to_owned())
}

fn small_key(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let len = u.int_in_range(0..=3)?;
    (0..len)
        .map(|_| u.choose(&[b'a', b'b', 0xff]).copied())
        .collect()
}

/// `differential`: the compiled engine and the reference evaluator decide every request alike.
pub fn differential(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(doc) = small_document(&mut u) else {
        return;
    };
    let authz = match Authorizer::builder().limits(limits()).compile(&doc) {
        Ok(a) => a,
        Err(e) => panic!("a valid small document does not compile: {e}"),
    };
    let valid = fgac::validate(&doc, &limits()).expect("it compiled");
    // `Unstructured` yields defaults once its data runs out, so the loop stops on that, and after
    // at most 64 requests.
    for _ in 0..64 {
        if u.is_empty() {
            break;
        }
        let (Ok(key), Ok(op), Ok(kind), Ok(cache), Ok(target), Ok(now)) = (
            u.choose(&["k0", "k1", "k2", "nobody"]),
            u.choose(Operation::ALL),
            u.int_in_range(0u8..=4),
            u.choose(&["", "a", "ab", "abc", "b", "ba", "bab"]),
            small_key(&mut u),
            u.int_in_range(900u64..=1100),
        ) else {
            break;
        };
        let topic = String::from_utf8_lossy(&target);
        let resource = match kind {
            0 => Resource::item(cache, &target),
            1 => Resource::topic(cache, &topic),
            2 => Resource::cache(cache),
            3 => Resource::Account,
            _ => Resource::store_item(cache, &target),
        };
        let now = Timestamp::from_unix_seconds(now);
        let engine = black_box(
            authz
                .credential(key)
                .map(|c| c.authorize(*op, resource, now)),
        );
        let reference = valid
            .credential(key)
            .map(|c| reference::decide(c, op.need(), resource, now));
        assert_eq!(
            engine,
            reference,
            "{key} {op} {resource} at {}\n{}",
            now.unix_seconds(),
            written(&doc, Format::Dsl)
        );
    }
    // And a batch over the first credential.
    let keys: Vec<&[u8]> = [&b"a"[..], b"ab", b"\xff"].into_iter().collect();
    let c = valid.credentials().next().expect("a credential");
    let compiled = authz.credential(&c.name).expect("compiled");
    for op in [Operation::GetBatch, Operation::SetBatch] {
        assert_eq!(
            compiled.authorize_batch(
                op,
                "a",
                keys.iter().copied(),
                Timestamp::from_unix_seconds(950)
            ),
            reference::decide_batch(
                c,
                op,
                "a",
                keys.iter().copied(),
                Timestamp::from_unix_seconds(950)
            )
        );
    }
}

/// The example documents that `mutated_document` starts from.
const EXAMPLES: &[&str] = &[
    include_str!("../grammar/examples/checkout.fgac"),
    include_str!("../grammar/examples/binary-keys.fgac"),
    include_str!("../grammar/examples/chat.fgac"),
    include_str!("../grammar/examples/comments.fgac"),
    include_str!("../grammar/examples/multi-tenant.fgac"),
    include_str!("../grammar/examples/service-mesh.fgac"),
    include_str!("../examples/saas.fgac"),
    include_str!("../grammar/examples/checkout.json"),
    include_str!("../grammar/examples/momento-documented.json"),
];

/// `mutated_document`: valid documents with arbitrary edits, parsed (either language), compiled
/// and queried.
pub fn mutated_document(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(base) = u.choose(EXAMPLES) else { return };
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..u.int_in_range(1..=4).unwrap_or(1) {
        let (Ok(at), Ok(len), Ok(how)) = (
            u.int_in_range(0..=bytes.len()),
            u.int_in_range(0..=16usize),
            u.int_in_range(0..=3u8),
        ) else {
            break;
        };
        let end = (at + len).min(bytes.len());
        match how {
            0 => {
                bytes.drain(at..end);
            }
            1 => {
                let copy = bytes[at..end].to_vec();
                bytes.splice(end..end, copy);
            }
            2 => {
                let insert: Vec<u8> = (0..len).map_while(|_| u.arbitrary::<u8>().ok()).collect();
                bytes.splice(at..at, insert);
            }
            _ => {
                let token = u
                    .choose(&[
                        "{", "}", "\"", "#", "\\", "*", "deny ", "allow ", "prefix ", "cache ",
                        "\n", "\u{202e}",
                    ])
                    .copied()
                    .unwrap_or("");
                bytes.splice(at..at, token.bytes());
            }
        }
    }
    let Ok(src) = std::str::from_utf8(&bytes) else {
        return;
    };
    match black_box(Reader::new().limits(limits()).read_str(src)) {
        Ok(loaded) => {
            check_document(&loaded.document);
            check_reformat(src, Reader::new());
        }
        Err(e) => check_error(src, &e),
    }
}

/// Every string over `alphabet` up to `max` long, each also continued by `c` (a byte no selector of
/// the small documents holds): a universe that reaches every region of two small documents.
fn strings(alphabet: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    let mut last = vec![Vec::new()];
    for _ in 0..max {
        last = last
            .iter()
            .flat_map(|w: &Vec<u8>| alphabet.iter().map(move |&b| [&w[..], &[b]].concat()))
            .collect();
        out.extend(last.iter().cloned());
    }
    let continued: Vec<Vec<u8>> = out.iter().map(|w| [&w[..], b"c"].concat()).collect();
    out.extend(continued);
    out
}

/// `analysis`: containment and diff of two small documents agree with enumerating every request
/// of a universe that reaches every region, and every witness reproduces on both sides.
pub fn analysis(data: &[u8]) {
    use fgac::analysis::{Change, DiffOptions, contains, diff};
    use fgac::{Credential, Outcome};
    let mut u = Unstructured::new(data);
    let (Ok(a), Ok(b)) = (small_document(&mut u), small_document(&mut u)) else {
        return;
    };
    let compile = |d: &Document| {
        Authorizer::builder()
            .limits(limits())
            .compile(d)
            .unwrap_or_else(|e| panic!("a valid small document does not compile: {e}"))
    };
    let (a, b) = (compile(&a), compile(&b));
    let now = Timestamp::from_unix_seconds(u.int_in_range(900u64..=1100).unwrap_or(950));
    let text = |w: Vec<u8>| String::from_utf8(w).expect("ASCII");
    let caches: Vec<String> = strings(b"ab", 3).into_iter().map(text).collect();
    let keys = strings(&[b'a', b'b', 0xff], 4);
    let each = |f: &mut dyn FnMut(Operation, Resource<'_>)| {
        // Every operation on the account: one or more for each account right.
        for &op in Operation::ALL {
            if matches!(op.need(), fgac::Need::Account(_)) {
                f(op, Resource::Account);
            }
        }
        for cache in &caches {
            for key in &keys {
                for op in [Operation::Get, Operation::Set, Operation::Increment] {
                    f(op, Resource::item(cache, key));
                }
                // The same names as stores, another namespace.
                for op in [Operation::StoreGet, Operation::StorePut] {
                    f(op, Resource::store_item(cache, key));
                }
            }
            for topic in &caches {
                for op in [Operation::Publish, Operation::Subscribe] {
                    f(op, Resource::topic(cache, topic));
                }
            }
        }
    };
    let decide = |c: Option<&Credential>, op: Operation, r: Resource<'_>| match c {
        Some(c) => Outcome::Decided(c.authorize(op, r, now)),
        None => Outcome::UnknownCredential,
    };
    // Containment of one credential of `a` in one of `b`.
    let pick = |u: &mut Unstructured<'_>, authz: &Authorizer| {
        let n = authz.credentials().len();
        u.int_in_range(0..=n - 1).unwrap_or(0)
    };
    let (i, j) = (pick(&mut u, &a), pick(&mut u, &b));
    let inner = a
        .credentials()
        .nth(i)
        .expect("a credential picked in range");
    let outer = b
        .credentials()
        .nth(j)
        .expect("a credential picked in range");
    let mut truth = true;
    each(&mut |op, r| {
        if inner.authorize(op, r, now).is_allowed() && !outer.authorize(op, r, now).is_allowed() {
            truth = false;
        }
    });
    match contains(inner, outer, now) {
        Ok(()) => assert!(truth, "reported contained, but a request is not"),
        Err(c) => {
            assert!(!truth, "contained, but a counterexample was reported: {c}");
            let r = c.resource.as_resource();
            assert_eq!(inner.authorize(c.op, r, now), c.inner);
            assert_eq!(outer.authorize(c.op, r, now), c.outer);
        }
    }
    // The diff of the two documents: witnesses reproduce; "no change" agrees with enumeration.
    let d = diff(&a, &b, now, DiffOptions { reasons: true });
    for cd in &d.credentials {
        let (o, n) = (a.credential(&cd.name), b.credential(&cd.name));
        for change in &cd.changes {
            if let Change::Decision(dc) = change {
                let r = dc.resource.as_resource();
                assert_eq!(decide(o, dc.op, r), dc.old, "{}", dc.region);
                assert_eq!(decide(n, dc.op, r), dc.new, "{}", dc.region);
            }
        }
    }
    let mut changed = false;
    for name in ["k0", "k1", "k2"] {
        let (o, n) = (a.credential(name), b.credential(name));
        each(&mut |op, r| {
            changed |= decide(o, op, r).is_allowed() != decide(n, op, r).is_allowed()
        });
    }
    assert_eq!(
        d.decisions_unchanged(),
        !changed,
        "the diff and the enumeration disagree on whether anything changed"
    );
}

/// Signed credentials, three ways by the first byte: arbitrary text presented to a key ring; a
/// valid token with arbitrary byte edits; arbitrary claims signed with the ring's own key. Never
/// a panic; text resolves only when it is exactly a signed token; and signed claims resolve
/// exactly when `inspect` reads them as a valid, current, self-contained credential, which then
/// decides as its claims compiled as a document.
#[cfg(feature = "credentials")]
pub fn credentials(data: &[u8]) {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::Signer as _;
    use fgac::AuthFailure;
    use fgac::credentials::{Keyring, SignatureCheck, SigningKey, Trust, inspect};
    const SECRET: [u8; 32] = [7; 32];
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let signer = SigningKey::from_secret_bytes("k1", &SECRET).expect("a key");
    let store = Trust::builder()
        .key(signer.public_key())
        .limits(limits())
        .build()
        .expect("a store");
    let ring = Keyring::new(store).expect("a key ring");
    let now = Timestamp::from_unix_seconds(1000);
    let peer: std::net::IpAddr = "10.1.2.3".parse().expect("an address");
    let sign = |claims: &str| {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.as_bytes())
        );
        let signature = ed25519_dalek::SigningKey::from_bytes(&SECRET).sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    };
    match mode % 3 {
        0 => {
            let text = String::from_utf8_lossy(rest);
            assert!(
                ring.resolve(&text, peer, now).is_err(),
                "arbitrary text resolved"
            );
        }
        1 => {
            let base = sign(
                r#"{"sub":"t","jti":"a","iat":900,"exp":2000,"kind":"token","permissions":[{"role":"readonly","cache":"c"}]}"#,
            );
            assert!(ring.resolve(&base, peer, now).is_ok());
            let mut bytes = base.clone().into_bytes();
            for edit in rest.chunks(3) {
                match edit {
                    [0, ..] if !bytes.is_empty() => {
                        bytes.truncate(
                            usize::from(edit.get(1).copied().unwrap_or(0)) * 8 % bytes.len(),
                        );
                    }
                    [_, at, byte] if !bytes.is_empty() => {
                        let i = usize::from(*at) * bytes.len() / 256;
                        bytes[i] = *byte;
                    }
                    _ => {}
                }
            }
            let edited = String::from_utf8_lossy(&bytes);
            if edited != base {
                assert!(
                    ring.resolve(&edited, peer, now).is_err(),
                    "an edited token resolved: {edited}"
                );
            }
        }
        _ => {
            let claims = String::from_utf8_lossy(rest);
            let token = sign(&claims);
            let resolved = ring.resolve(&token, peer, now);
            let seen = match inspect(&token, Some(&signer.public_key()), &limits()) {
                // Too long, or no claims at all: the framing refuses, the same way both times.
                Err(why) => {
                    assert_eq!(resolved.err(), Some(why), "{claims}");
                    return;
                }
                Ok(seen) => seen,
            };
            assert_eq!(seen.signature, SignatureCheck::Valid);
            let c = match seen.claims {
                Err(e) => {
                    check_error(&claims, &e);
                    assert_eq!(resolved.err(), Some(AuthFailure::InvalidClaims), "{claims}");
                    return;
                }
                Ok(c) => c,
            };
            let doc = Document::new(vec![c.credential.clone()]);
            // What the ring must answer, in the order it checks.
            let started = c.not_before.map_or(c.issued_at, |n| n.max(c.issued_at)) <= now;
            let expected = if c.credential.expiry.is_expired(now) {
                Err(AuthFailure::Expired)
            } else if !c.self_contained {
                Err(AuthFailure::UnknownCredential)
            } else if fgac::validate(&doc, &limits()).is_err() {
                Err(AuthFailure::InvalidClaims)
            } else if !started {
                Err(AuthFailure::NotYetValid)
            } else if !c.credential.networks.is_empty()
                && !c.credential.networks.iter().any(|n| n.contains(peer))
            {
                Err(AuthFailure::NetworkNotAllowed)
            } else {
                Ok(())
            };
            match (&resolved, expected) {
                (Ok(session), Ok(())) => {
                    let authz = Authorizer::builder()
                        .limits(limits())
                        .compile(&doc)
                        .expect("validated");
                    let cred = authz.credentials().next().expect("the one credential");
                    for cache in ["", "a", "c", "ab"] {
                        for key in [&b""[..], b"a", b"k", b"ab\xff"] {
                            for op in [Operation::Get, Operation::Set, Operation::ListCaches] {
                                let r = Resource::item(cache, key);
                                assert_eq!(
                                    session.authorize(op, r, now),
                                    cred.authorize(op, r, now)
                                );
                            }
                        }
                    }
                }
                (Err(got), Err(want)) => assert_eq!(*got, want, "{claims}"),
                (got, want) => panic!(
                    "{claims}: resolved {:?}, expected {want:?}",
                    got.as_ref().map(|_| ())
                ),
            }
        }
    }
}

/// Momento's `Permissions` protobuf: any bytes read or are refused with spans inside them and an
/// error that renders escaped, in bounded time; what reads writes back (when Momento's message can
/// say it) to bytes that read as the same permissions, and compiles to an engine that decides as
/// the reference does. With a leading 0xff, the rest builds a model instead, which must survive
/// being written and read back; with a leading 0xfe, the rest is a v2 `PermissionSet`, held to
/// the same.
#[cfg(feature = "protobuf")]
pub fn protobuf(data: &[u8]) {
    use fgac::syntax::protobuf;
    let limits = limits();
    let v1 = Reader::new()
        .format(Format::MomentoProtobuf)
        .limits(limits.clone());
    let v2 = Reader::new()
        .format(Format::MomentoV2Protobuf)
        .limits(limits.clone());
    if let Some((0xfe, rest)) = data.split_first() {
        match v2.read(rest).map(|loaded| loaded.document) {
            Ok(doc) => {
                let written = syntax::to_bytes(&doc, Format::MomentoV2Protobuf)
                    .expect("a v2 message that reads writes back");
                let again = v2.read(&written).expect("written bytes read").document;
                assert_eq!(again, doc, "written and read back, the meaning changed");
                // v2 JSON says the same.
                let json = syntax::to_string(&doc, Format::MomentoV2Json)
                    .expect("v2 JSON says what v2 protobuf says");
                assert_eq!(syntax::parse(&json).expect("v2 JSON reads"), doc);
                if let Ok(authz) = Authorizer::builder().limits(limits).compile(&doc) {
                    let valid = fgac::validate(&doc, &Limits::unbounded()).expect("it compiled");
                    let credential = valid.credential("default").expect("the one credential");
                    let compiled = authz.credential("default").expect("the one credential");
                    let now = Timestamp::from_unix_seconds(1000);
                    for &op in Operation::ALL {
                        for resource in [Resource::Account, Resource::cache("c")] {
                            assert_eq!(
                                compiled.authorize(op, resource, now),
                                reference::decide(credential, op.need(), resource, now),
                            );
                        }
                    }
                }
            }
            Err(e) => {
                for d in e.diagnostics() {
                    assert!(d.span.start <= d.span.end && d.span.end <= rest.len());
                }
            }
        }
        return;
    }
    if let Some((0xff, rest)) = data.split_first() {
        let Ok(permissions) = Permissions::arbitrary(&mut Unstructured::new(rest)) else {
            return;
        };
        for kind in [CredentialKind::ApiKey, CredentialKind::Token] {
            if let Ok(bytes) = protobuf::write_permissions(&permissions, kind) {
                let back = protobuf::read_permissions(&bytes, &Limits::unbounded())
                    .unwrap_or_else(|e| panic!("written permissions do not read back: {e}"));
                assert_eq!(
                    back, permissions,
                    "written and read back, the meaning changed"
                );
            }
        }
        return;
    }
    let doc = match v1.read(data) {
        Ok(loaded) => loaded.document,
        Err(e) => {
            for d in e.diagnostics() {
                assert!(
                    d.span.start <= d.span.end && d.span.end <= data.len(),
                    "span {:?} outside {} bytes",
                    d.span,
                    data.len()
                );
            }
            let rendered = e.with_origin("fuzz.binpb").to_string();
            assert!(
                !rendered.chars().any(
                    |c| c != '\n' && (c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c))
                ),
                "the rendered error holds a raw control character:\n{rendered}"
            );
            return;
        }
    };
    let written =
        syntax::to_bytes(&doc, Format::MomentoProtobuf).expect("a message that reads writes back");
    let again = v1.read(&written).expect("written bytes read").document;
    assert_eq!(again, doc, "written and read back, the meaning changed");
    let Ok(authz) = Authorizer::builder().limits(limits).compile(&doc) else {
        return;
    };
    let valid = fgac::validate(&doc, &Limits::unbounded()).expect("it compiled");
    let credential = valid.credential("default").expect("the one credential");
    let compiled = authz.credential("default").expect("the one credential");
    let now = Timestamp::from_unix_seconds(1000);
    // Requests on the names and keys the message holds, and one beside each.
    let mut names: Vec<String> = vec![String::new(), "x".into()];
    let mut keys: Vec<Vec<u8>> = vec![Vec::new(), b"x".to_vec()];
    if let Permissions::Explicit(grants) = &credential.permissions {
        for g in grants.iter().take(8) {
            if let CacheSelector::Name(n) = &g.cache {
                names.push(n.clone());
                names.push(format!("{n}x"));
            }
            match &g.resource {
                ResourceSelector::Items(ItemSelector::Key(k) | ItemSelector::Prefix(k)) => {
                    keys.push(k.clone());
                    keys.push([k.as_slice(), b"x"].concat());
                }
                ResourceSelector::Topics(TopicSelector::Name(t) | TopicSelector::Prefix(t)) => {
                    names.push(t.clone());
                    names.push(format!("{t}x"));
                }
                _ => {}
            }
        }
    }
    for &op in &[
        Operation::Get,
        Operation::Set,
        Operation::Increment,
        Operation::Publish,
        Operation::Subscribe,
        Operation::CreateCache,
    ] {
        for cache in &names {
            let mut resources = vec![Resource::cache(cache)];
            resources.extend(keys.iter().map(|k| Resource::item(cache, k)));
            resources.extend(names.iter().map(|t| Resource::topic(cache, t)));
            for resource in resources {
                assert_eq!(
                    compiled.authorize(op, resource, now),
                    reference::decide(credential, op.need(), resource, now),
                    "engine and reference disagree on {op:?} {resource:?}"
                );
            }
        }
    }
}
