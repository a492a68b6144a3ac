//! Writing a document in any format, refusing what a format cannot say.

use super::Format;
use super::reader::refusal;
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::model::{CredentialDef, Document, Span};

/// Prints `doc` in the text format `format` (ending in a line break). The DSL and fgac's JSON say
/// everything a document means (comments aside); Momento's formats hold one credential that is
/// an API key named `default` that never expires, without deny rules or cache prefixes, and
/// anything else is refused with one diagnostic for each thing it cannot express. The binary
/// formats are written with [`to_bytes`].
///
/// ```
/// use fgac::syntax::{self, Format};
/// let doc = syntax::parse(r#"key "svc" { expires never allow readonly cache "c" }"#)?;
/// assert_eq!(
///     syntax::to_string(&doc, Format::Dsl)?,
///     "key \"svc\" {\n    expires never\n    allow readonly cache \"c\"\n}\n"
/// );
/// let err = syntax::to_string(&doc, Format::MomentoJson).unwrap_err();
/// assert_eq!(err.diagnostics()[0].message, "Momento's JSON cannot express the name `svc` of `svc`");
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn to_string(doc: &Document, format: Format) -> Result<String, Error> {
    match format {
        Format::Dsl => Ok(super::dsl::format(doc)),
        Format::FgacJson => Ok(super::json::to_string(doc) + "\n"),
        Format::MomentoJson => {
            super::json::to_momento_scope(single(doc, format)?).map(|s| s + "\n")
        }
        Format::MomentoV2Json => super::json::to_momento_v2(single(doc, format)?).map(|s| s + "\n"),
        Format::MomentoProtobuf | Format::MomentoV2Protobuf => Err(refusal(
            &format!("{} is binary, not text", format.description()),
            "write it with `fgac::syntax::to_bytes`",
        )),
    }
}

/// `doc`, read from `format`, written back in it for reformatting: as [`to_string`] writes it,
/// except that Momento's JSON keeps the extensions fgac reads in it (deny rules, cache
/// prefixes, stores, `networks`) instead of refusing them, so that formatting a document fgac
/// accepted never fails and never changes a decision.
pub(crate) fn reformatted(doc: &Document, format: Format) -> Result<String, Error> {
    match format {
        Format::MomentoJson => {
            super::json::to_momento_scope_as_read(single(doc, format)?).map(|s| s + "\n")
        }
        _ => to_string(doc, format),
    }
}

/// Writes `doc` in `format`: the text formats as [`to_string`] prints them, and Momento's
/// protobuf formats as their binary messages. Refuses, one diagnostic each, what the format
/// cannot express.
pub fn to_bytes(doc: &Document, format: Format) -> Result<Vec<u8>, Error> {
    if !format.is_binary() {
        return to_string(doc, format).map(String::into_bytes);
    }
    let one = single(doc, format)?;
    #[cfg(feature = "protobuf")]
    {
        if format == Format::MomentoV2Protobuf {
            super::protobuf::to_v2_bytes(one)
        } else {
            super::protobuf::to_bytes(one)
        }
    }
    #[cfg(not(feature = "protobuf"))]
    {
        let _ = one;
        Err(super::reader::without_protobuf())
    }
}

/// The one credential of `doc`, which `format` (one of Momento's) holds exactly one of.
fn single(doc: &Document, format: Format) -> Result<&CredentialDef, Error> {
    match doc.credentials.as_slice() {
        [one] => Ok(one),
        _ => Err(Error::one(
            Diagnostic::new(
                ErrorKind::Unsupported,
                Span::default(),
                format!(
                    "the document holds {} credentials; {} holds one",
                    doc.credentials.len(),
                    format.description()
                ),
            )
            .with_help("print fgac's JSON instead"),
        )),
    }
}
