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
use fgac::syntax::{self, Form, Language};
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
    Some(Document {
        credentials: vec![c],
    })
}

/// The sources of `doc`: each form it can be written in, each text form with the layout variants.
fn sources(doc: &Document) -> Vec<(Vec<u8>, Form)> {
    let mut forms = vec![
        (syntax::convert(doc, Form::Dsl).unwrap(), Form::Dsl),
        (
            syntax::convert(doc, Form::KeyStoreJson).unwrap(),
            Form::KeyStoreJson,
        ),
    ];
    if let Some(scope) = momento_expressible(doc) {
        forms.push((
            syntax::convert(&scope, Form::MomentoJson).unwrap(),
            Form::MomentoJson,
        ));
    }
    if let Some(scope) = momento_v2_expressible(doc) {
        let text = syntax::convert(&scope, Form::MomentoV2Json).unwrap();
        // A v2 super user with no conditions is the same text as v1's, and read as v1.
        let form = if text.starts_with("{\"super_user\": true}") {
            Form::MomentoJson
        } else {
            Form::MomentoV2Json
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
            syntax::encode(&scope, Form::MomentoProtobuf).unwrap(),
            Form::MomentoProtobuf,
        ));
    }
    #[cfg(feature = "protobuf")]
    if let Some(scope) = momento_v2_expressible(doc) {
        out.push((
            syntax::encode(&scope, Form::MomentoV2Protobuf).unwrap(),
            Form::MomentoV2Protobuf,
        ));
    }
    out
}

/// The language to read `form` in: the binary form only by name, the text forms by content.
fn named(form: Form) -> Option<Language> {
    match form {
        Form::MomentoProtobuf => Some(Language::Protobuf),
        Form::MomentoV2Protobuf => Some(Language::ProtobufV2),
        _ => None,
    }
}

/// Every request, asked of every credential `a` holds and of one it does not.
fn same_decisions(
    a: &Authorizer,
    b: &Authorizer,
    requests: &[OwnedRequest],
    what: &str,
) -> Result<(), TestCaseError> {
    let mut names: Vec<&str> = a.credentials().iter().map(|c| c.name()).collect();
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
            let read = syntax::read_bytes(&source, named(form), &limits)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{source:?}")))?;
            prop_assert_eq!(read.form, form);
            let authz = Authorizer::compile(&read.document).unwrap();

            // What `fgac convert` prints, to every form: the same decisions, or a refusal.
            for to in [Form::Dsl, Form::KeyStoreJson, Form::MomentoJson, Form::MomentoV2Json, Form::MomentoProtobuf, Form::MomentoV2Protobuf] {
                match syntax::encode(&read.document, to) {
                    Ok(printed) => {
                        let back = syntax::read_bytes(&printed, named(to), &limits).unwrap();
                        let compiled = Authorizer::compile(&back.document).unwrap();
                        same_decisions(&authz, &compiled, &requests, &format!("convert to {to:?}"))?;
                    }
                    Err(e) => {
                        prop_assert!(matches!(to, Form::MomentoJson | Form::MomentoV2Json | Form::MomentoProtobuf | Form::MomentoV2Protobuf), "only Momento's forms refuse: {}", e);
                        prop_assert!(e.diagnostics().iter().all(|d| d.kind == ErrorKind::Unsupported), "{}", e);
                    }
                }
            }

            // What `fgac fmt` writes: the same form, the same decisions. (A binary message has no
            // layout to format.)
            if matches!(form, Form::MomentoProtobuf | Form::MomentoV2Protobuf) {
                continue;
            }
            let source = String::from_utf8(source).unwrap();
            let formatted = syntax::reformat(&source, form.language(), &limits).unwrap();
            let again = syntax::read(&formatted, form.language(), &limits).unwrap();
            prop_assert_eq!(again.form, form, "reformat wrote another form:\n{}", formatted);
            same_decisions(&authz, &Authorizer::compile(&again.document).unwrap(), &requests, "fmt")?;
            // And formatting is idempotent.
            prop_assert_eq!(&syntax::reformat(&formatted, form.language(), &limits).unwrap(), &formatted);
        }
    }
}
