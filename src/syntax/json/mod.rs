//! The JSON formats: Momento's documented permission JSON (v1 scopes and v2 rules), and fgac's
//! JSON; and the strict object reader every JSON shape fgac reads goes through.
//!
//! The three JSON [`Format`]s are told apart by their top-level field:
//!
//! * **Momento's JSON** (one credential): `{"permissions": [...]}` or `{"super_user": true}`. It
//!   is read as an API key named [`DEFAULT_CREDENTIAL_NAME`] that never expires. fgac reads its
//!   extensions here too (deny rules, cache prefixes, and a top-level `"networks"` allowlist);
//!   writing it refuses them, as Momento cannot read them.
//! * **fgac's JSON** (many credentials): `{"credentials": [{"name": "svc", "kind": "api_key",
//!   "expires_at": 1798761600, "permissions": [...]}]}`, where `kind` is `api_key` or `token`,
//!   `expires_at` is epoch seconds or `"never"` (required: an expiry is never implied), and a
//!   credential has `permissions` or `"super_user": true`, and optionally a `token_id` and
//!   `networks` (CIDR strings; left out, every address), and `account_rights` (Momento's v2
//!   management and list rights by name: `["resource_write", "cache_list"]`).
//! * **Momento's v2 JSON** (one credential): `{"rules": [...], "conditions": [...]}`, read as
//!   Momento's JSON is, with networks and account rights (written `{"type": "resource_management",
//!   "permissions": ["write"]}` and an `ip_filter` condition).
//!
//! A permission is `{"role": ..., "cache": ..., "item": ...}` or `{"role": ..., "cache": ...,
//! "topic": ...}`, or on the items of stores `{"role": ..., "store": ..., "item": ...}` (stores
//! spelt as caches are), with an optional `"effect": "deny"` (fgac's extension; `allow` when left
//! out).
//! The selectors are spelt:
//!
//! | selector | all | a name / key | a prefix |
//! | --- | --- | --- | --- |
//! | `cache` | `"*"`, `{"all": true}` | `"name"`, `{"name": "..."}` | `{"namePrefix": "..."}` |
//! | `topic` | `"*"`, `{"all": true}`, left out | `"name"`, `{"name": "..."}` | `{"namePrefix": "..."}` |
//! | `item` | `"*"`, `{"all": true}`, left out | `{"key": "..."}`, `{"keyBase64": "..."}` | `{"keyPrefix": "..."}`, `{"keyPrefixBase64": "..."}` |
//!
//! Unknown fields, duplicated fields, `null` (which never means "left out") and numbers where
//! strings belong are errors, each underlining the value at fault with its line and column.

mod document;
mod object;
mod read;
mod v2;
mod write;

/// The strict object reader and the field readers of the JSON forms, for the other JSON fgac
/// reads (signed credentials' claims, key stores, signing keys).
#[cfg(feature = "credentials")]
pub(crate) mod fields {
    pub(crate) use super::object::Object;
    pub(crate) use super::read::{account_rights, networks, permission_set, span_of, value};
    pub(crate) use super::write::{PermissionOut, compact, permission_out};
}

pub use object::Object;
pub(crate) use v2::to_momento_v2;
pub use write::to_line;
pub(crate) use write::{to_momento_scope, to_momento_scope_as_read, to_string};

use crate::error::Error;
use crate::limits::Limits;
use crate::model::Document;
use crate::syntax::Format;

pub use crate::syntax::momento::DEFAULT_CREDENTIAL_NAME;

/// Separates a message from its help line inside a serde error message.
const HELP_MARK: &str = "\nhelp: ";

/// Key bytes from standard padded base64 (`+`, `/`, `=` padding, no stray bits): the one spelling
/// fgac's JSON forms (`keyBase64`) and request lines (`item_b64`) give bytes that are not UTF-8.
///
/// ```
/// assert_eq!(fgac::syntax::json::key_from_base64("/w=="), Some(vec![0xff]));
/// assert_eq!(fgac::syntax::json::key_from_base64("/w"), None);
/// ```
#[must_use]
pub fn key_from_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Parses a JSON document (any of the three formats) with the default [`Limits`].
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Result<Document, Error> {
    read(text, &Limits::default()).map(|(doc, _)| doc)
}

/// Whether `doc`, read from Momento's v1 JSON, is also v2's text: a super user with nothing
/// beside it (`{"super_user": true}`), which both versions spell alike.
pub(crate) fn says_the_same_in_v2(doc: &Document) -> bool {
    matches!(doc.credentials.as_slice(), [c] if matches!(c.permissions, crate::model::Permissions::SuperUser { .. }) && c.networks.is_empty())
}

/// Parses a JSON document (any of the three formats) under `limits`, saying which it was in.
/// Errors carry line and column.
pub(crate) fn read(text: &str, limits: &Limits) -> Result<(Document, Format), Error> {
    document::read(text, limits).map_err(|e| e.with_source(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        CredentialKind, Expiry, ItemSelector, Permissions, ResourceSelector, TopicSelector,
    };

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_momentos_documented_example() {
        let doc = parse(
            r#"{"permissions": [
              {"role": "readonly", "cache": "data", "item": {"key": "foo"}},
              {"role": "readwrite", "cache": "data", "item": {"keyPrefix": "user:"}},
              {"role": "subscribeonly", "cache": "data", "topic": "bar"}
            ]}"#,
        )
        .unwrap();
        let Permissions::Explicit(grants) = &doc.credentials[0].permissions else {
            panic!("explicit")
        };
        assert_eq!(grants.len(), 3);
        assert_eq!(
            grants[1].resource,
            ResourceSelector::Items(ItemSelector::Prefix(b"user:".to_vec()))
        );
        assert_eq!(
            grants[2].resource,
            ResourceSelector::Topics(TopicSelector::Name("bar".into()))
        );
    }

    #[test]
    fn every_spelling_of_all_and_names_means_the_same() {
        let a = parse(r#"{"permissions":[{"role":"readwrite","cache":"*","item":"*"},{"role":"publishonly","cache":"x","topic":"t"}]}"#).unwrap();
        let b = parse(r#"{"permissions":[{"role":"readwrite","cache":{"all":true}},{"role":"publishonly","cache":{"name":"x"},"topic":{"name":"t"}}]}"#).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn spans_point_at_the_permission() {
        let text = r#"{"permissions": [ {"role":"readonly","cache":"c"} ]}"#;
        let doc = parse(text).unwrap();
        let Permissions::Explicit(grants) = &doc.credentials[0].permissions else {
            panic!()
        };
        let span = grants[0].span;
        assert_eq!(
            &text[span.start..span.end],
            r#"{"role":"readonly","cache":"c"}"#
        );
    }

    #[test]
    fn duplicate_fields_are_rejected_not_resolved() {
        let e = err(r#"{"permissions":[{"role":"readonly","role":"readwrite","cache":"c"}]}"#);
        assert!(e.contains("duplicate field `role`"), "{e}");
    }

    #[test]
    fn errors_have_line_column_and_help() {
        let e = err("{\"permissions\": [\n  {\"role\": \"readwrit\", \"cache\": \"c\"}\n]}");
        assert!(
            e.starts_with("error: unknown role `readwrit`\n --> <input>:2:"),
            "{e}"
        );
        assert!(e.contains("= help: did you mean `readwrite`?"), "{e}");
    }

    #[test]
    fn rejects_unknown_fields_numbers_and_odd_spellings() {
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":"c","itme":"*"}]}"#)
                .contains("unknown field `itme`")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":5}]}"#)
                .contains("invalid type: integer `5`")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":"c","item":"k"}]}"#)
                .contains("invalid value: string \"k\"")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":{"all":false}}]}"#)
                .contains("`all` can only be `true`")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":{"name":"a","namePrefix":"b"}}]}"#)
                .contains("exactly one field")
        );
        assert!(
            err(r#"{"permissions":[{"role":"readonly","cache":"c","item":{"keyBase64":"!!"}}]}"#)
                .contains("not standard padded base64")
        );
        assert!(err(r#"{"super_user": false}"#).contains("can only be `true`"));
        assert!(
            err(
                r#"{"credentials":[{"name":"a","kind":"token","expires_at":-1,"super_user":true}]}"#
            )
            .contains("epoch seconds")
        );
        assert!(
            err(r#"{"credentials":[{"name":"a","kind":"token","super_user":true}]}"#)
                .contains("missing field `expires_at`")
        );
        assert!(err(r#"{}"#).contains("expected `permissions`"));
    }

    #[test]
    fn networks_in_either_form_and_nowhere_else() {
        let scope = parse(
            r#"{"networks": ["10.0.0.0/8"], "permissions": [{"role": "readonly", "cache": "c"}]}"#,
        )
        .unwrap();
        assert_eq!(
            scope.credentials[0].networks,
            vec!["10.0.0.0/8".parse().unwrap()]
        );
        assert!(to_momento_scope(&scope.credentials[0]).is_err());
        let store = to_string(&scope);
        assert_eq!(parse(&store).unwrap(), scope);
        assert!(
            err(r#"{"credentials": [], "networks": ["10.0.0.0/8"]}"#)
                .contains("move `networks` into the credential")
        );
        assert!(
            err(r#"{"networks": null, "super_user": true}"#).contains("`null` is not a value here")
        );
    }

    #[test]
    fn key_store_round_trips_with_binary_keys() {
        let text = r#"{"credentials":[
            {"name":"svc","kind":"api_key","expires_at":"never","permissions":[
                {"effect":"deny","role":"readwrite","cache":{"namePrefix":"tmp-"},"item":{"keyPrefixBase64":"/w=="}},
                {"role":"readonly","cache":{"name":"*"},"item":{"key":"k"}}]},
            {"name":"t","kind":"token","expires_at":1700000000,"token_id":"u1","permissions":[
                {"role":"publishonly","cache":"chat","topic":{"namePrefix":"room-"}}]},
            {"name":"root","kind":"api_key","expires_at":1800000000,"super_user":true}]}"#;
        let doc = parse(text).unwrap();
        assert_eq!(parse(&to_string(&doc)).unwrap(), doc);
        assert!(
            to_momento_scope(&doc.credentials[0])
                .unwrap_err()
                .to_string()
                .contains("deny rule")
        );
        // A token with an expiry and an id is not what Momento's JSON loads: refused, naming all.
        let refused = to_momento_scope(&doc.credentials[1]).unwrap_err();
        let message = &refused.diagnostics()[0].message;
        for what in [
            "name `t`",
            "disposable token",
            "expiry (2023-11-14T22:13:20Z)",
            "token id `u1`",
        ] {
            assert!(message.contains(what), "{what}: {message}");
        }
        // As an API key named `default` that never expires, the same permissions print and read
        // back as the same credential.
        let mut key = doc.credentials[1].clone();
        (key.name, key.kind, key.expiry, key.token_id) = (
            "default".into(),
            CredentialKind::ApiKey,
            Expiry::Never,
            None,
        );
        let scope = to_momento_scope(&key).unwrap();
        assert_eq!(parse(&scope).unwrap().credentials[0], key);
    }
}
