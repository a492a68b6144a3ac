//! A formatter or converter never changes a decision.
//!
//! Generated documents are written in each form (the DSL, fgac's key-store JSON, Momento's scope
//! JSON and Momento's protobuf where they can hold the document), each text form with and without
//! a byte order mark and with LF and CRLF line ends. Each source is then reformatted (what `fgac fmt` writes) and converted to every
//! form (what `fgac convert` prints); every result that is produced must decide every generated
//! request exactly as the source does, and `reformat` must write the form it read. A conversion
//! may only be refused, naming what the target cannot express.

mod common;

use common::strategies::{self, OwnedRequest};
use fgac::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Effect, Expiry, Permissions,
};
use fgac::syntax::{self, Format, Reader};
use fgac::{Authorizer, ErrorKind, Limits};
use proptest::prelude::*;

/// `doc` as the first credential alone, made expressible in Momento's scope JSON: an API key named
/// `default` that never expires and may be used from anywhere, with its allow rules on named or
/// all caches.
fn momento_expressible(doc: &Document) -> Option<Document> {
    expressible(doc, false)
}

/// `doc` as the first credential alone, made expressible in Momento's v2 rules: as for v1, but
/// keeping its networks, account rights and grants on stores.
fn momento_v2_expressible(doc: &Document) -> Option<Document> {
    expressible(doc, true)
}

fn expressible(doc: &Document, v2: bool) -> Option<Document> {
    let mut c: CredentialDef = doc.credentials.first()?.clone();
    c.name = "default".into();
    c.kind = CredentialKind::ApiKey;
    c.expiry = Expiry::Never;
    c.token_id = None;
    if !v2 {
        c.networks.clear();
        c.account = fgac::AccountRights::NONE;
    }
    match &mut c.permissions {
        Permissions::Explicit(grants) => {
            grants.retain(|g| {
                g.effect == Effect::Allow
                    && !matches!(g.cache, CacheSelector::Prefix(_))
                    && (v2 || !g.resource.is_store())
            });
            if grants.is_empty() && c.account.is_empty() {
                return None;
            }
        }
        Permissions::SuperUser { .. } => c.account = fgac::AccountRights::NONE,
    }
    Some(Document::new(vec![c]))
}

/// The sources of `doc`: each format it can be written in, each text format with the layout
/// variants.
fn sources(doc: &Document) -> Vec<(Vec<u8>, Format)> {
    let mut forms = vec![
        (syntax::to_string(doc, Format::Dsl).unwrap(), Format::Dsl),
        (
            syntax::to_string(doc, Format::FgacJson).unwrap(),
            Format::FgacJson,
        ),
    ];
    if let Some(scope) = momento_expressible(doc) {
        forms.push((
            syntax::to_string(&scope, Format::MomentoJson).unwrap(),
            Format::MomentoJson,
        ));
    }
    if let Some(scope) = momento_v2_expressible(doc) {
        let text = syntax::to_string(&scope, Format::MomentoV2Json).unwrap();
        // A v2 super user with no conditions is the same text as v1's, and read as v1.
        let form = if text.starts_with("{\"super_user\": true}") {
            Format::MomentoJson
        } else {
            Format::MomentoV2Json
        };
        forms.push((text, form));
    }
    let mut out = Vec::new();
    for (text, form) in forms {
        let crlf = text.replace('\n', "\r\n");
        out.push((format!("\u{feff}{text}").into_bytes(), form));
        out.push((format!("\u{feff}{crlf}").into_bytes(), form));
        out.push((crlf.into_bytes(), form));
        out.push((text.into_bytes(), form));
    }
    #[cfg(feature = "protobuf")]
    if let Some(scope) = momento_expressible(doc) {
        out.push((
            syntax::to_bytes(&scope, Format::MomentoProtobuf).unwrap(),
            Format::MomentoProtobuf,
        ));
    }
    #[cfg(feature = "protobuf")]
    if let Some(scope) = momento_v2_expressible(doc) {
        out.push((
            syntax::to_bytes(&scope, Format::MomentoV2Protobuf).unwrap(),
            Format::MomentoV2Protobuf,
        ));
    }
    out
}

/// The reader for `format`: the binary formats only by name, the text formats by content.
fn reader(format: Format) -> Reader {
    Reader::new().format(format.is_binary().then_some(format))
}

/// Every request, asked of every credential `a` holds and of one it does not.
fn same_decisions(
    a: &Authorizer,
    b: &Authorizer,
    requests: &[OwnedRequest],
    what: &str,
) -> Result<(), TestCaseError> {
    let mut names: Vec<&str> = a.credentials().map(|c| c.name()).collect();
    names.push("nobody");
    for name in names {
        for r in requests {
            let (da, db) = (
                common::engine_decides(a, name, r.op, r.resource(), r.now),
                common::engine_decides(b, name, r.op, r.resource(), r.now),
            );
            prop_assert_eq!(da, db, "{}: {} {:?}", what, name, r);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn reformatting_and_converting_keep_every_decision(
        doc in strategies::document(),
        requests in proptest::collection::vec(strategies::request(), 1..30),
    ) {
        let limits = Limits::default();
        for (source, form) in sources(&doc) {
            let read = reader(form).limits(limits.clone()).read(&source)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{source:?}")))?;
            prop_assert_eq!(read.format, form);
            let authz = Authorizer::compile(&read.document).unwrap();

            // What `fgac convert` prints, to every format: the same decisions, or a refusal.
            for to in Format::ALL {
                match syntax::to_bytes(&read.document, to) {
                    Ok(printed) => {
                        let back = reader(to).read(&printed).unwrap();
                        let compiled = Authorizer::compile(&back.document).unwrap();
                        same_decisions(&authz, &compiled, &requests, &format!("convert to {to:?}"))?;
                    }
                    Err(e) => {
                        prop_assert!(matches!(to, Format::MomentoJson | Format::MomentoV2Json | Format::MomentoProtobuf | Format::MomentoV2Protobuf), "only Momento's formats refuse: {}", e);
                        prop_assert!(e.diagnostics().iter().all(|d| d.kind == ErrorKind::Unsupported), "{}", e);
                    }
                }
            }

            // What `fgac fmt` writes: the same format, the same decisions. (A binary message has
            // no layout to format.)
            if form.is_binary() {
                continue;
            }
            let source = String::from_utf8(source).unwrap();
            let formatted = Reader::new().reformat(&source).unwrap();
            let again = Reader::new().read_str(&formatted).unwrap();
            prop_assert_eq!(again.format, form, "reformat wrote another format:\n{}", formatted);
            same_decisions(&authz, &Authorizer::compile(&again.document).unwrap(), &requests, "fmt")?;
            // And formatting is idempotent, and keeps to the format when it is named.
            prop_assert_eq!(&Reader::new().format(form).reformat(&formatted).unwrap(), &formatted);
        }
    }
}
