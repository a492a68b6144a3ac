//! Reading a document in whichever form it is written (one parse, which says what it read), and
//! writing a document in any form, refusing what a form cannot say.

use super::json;
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::limits::Limits;
use crate::model::{CredentialDef, Document, Span, TestFile};

/// The languages documents are written in. The two text languages are told apart by their first
/// significant character (JSON starts with `{`, which no DSL document can); the binary one is
/// only ever read when asked for by name (a file extension, a flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    /// fgac's permission language (`.fgac`).
    Dsl,
    /// Momento's scope JSON or fgac's key-store JSON (`.json`).
    Json,
    /// Momento's v1 `Permissions` protobuf message (`.binpb`, `.pb`; feature `protobuf`).
    Protobuf,
    /// Momento's v2 `PermissionSet` protobuf message (`.v2.binpb`, `.v2.pb`; feature `protobuf`).
    ProtobufV2,
}

impl Language {
    /// The language `text` is written in (a byte order mark and leading blanks aside).
    #[must_use]
    pub fn detect(text: &str) -> Language {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        if body.trim_start().starts_with('{') {
            Language::Json
        } else {
            Language::Dsl
        }
    }
}

/// The exact form a document is written in: the language, and for JSON which of its two forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    /// fgac's permission language.
    Dsl,
    /// fgac's key-store JSON: named credentials with their kind, expiry and token id.
    KeyStoreJson,
    /// Momento's scope JSON: one credential's permissions, read as an API key named `default`
    /// that never expires.
    MomentoJson,
    /// Momento's v1 `Permissions` protobuf message: one credential's permissions, read as
    /// Momento's scope JSON is (feature `protobuf`).
    MomentoProtobuf,
    /// Momento's v2 permission rules as JSON (`{"rules": [...]}`): one credential, read as
    /// Momento's scope JSON is, which may also hold networks and account rights.
    MomentoV2Json,
    /// Momento's v2 `PermissionSet` protobuf message: what [`Form::MomentoV2Json`] says, binary
    /// (feature `protobuf`).
    MomentoV2Protobuf,
}

impl Form {
    /// The language of the form.
    #[must_use]
    pub fn language(self) -> Language {
        match self {
            Form::Dsl => Language::Dsl,
            Form::KeyStoreJson | Form::MomentoJson | Form::MomentoV2Json => Language::Json,
            Form::MomentoProtobuf => Language::Protobuf,
            Form::MomentoV2Protobuf => Language::ProtobufV2,
        }
    }
}

/// What one parse of a file yields: the document, the form it was written in (so that a
/// formatter writes it back in that form), and its policy tests (DSL files only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The document.
    pub document: Document,
    /// The form it was written in.
    pub form: Form,
    /// The file's `test` blocks and `policy` line; empty for JSON.
    pub tests: TestFile,
}

/// Parses a document in either language with the default [`Limits`] (see [`Language::detect`]).
///
/// ```
/// let a = fgac::syntax::parse(r#"{"permissions": [{"role": "readonly", "cache": "c"}]}"#)?;
/// let b = fgac::syntax::parse(r#"key "default" { expires never  allow readonly cache "c" }"#)?;
/// assert_eq!(a, b);
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn parse(text: &str) -> Result<Document, Error> {
    parse_with(text, &Limits::default())
}

/// Parses a document in either language under `limits`.
pub fn parse_with(text: &str, limits: &Limits) -> Result<Document, Error> {
    read(text, Language::detect(text), limits).map(|l| l.document)
}

/// Parses `bytes` (a file's contents) in `language` (or, for `None`, the language
/// [`Language::detect`] finds) under `limits`, saying which form the document was in. Bytes that
/// are not UTF-8 are an error at the first bad byte: documents are text, and item keys that are
/// not UTF-8 are written with escapes (`\xNN` in the DSL, `keyBase64` in JSON).
///
/// ```
/// let err = fgac::syntax::read_bytes(b"key \"k\" { expires never\n allow readonly cache \"\xff\" }", None, &fgac::Limits::default()).unwrap_err();
/// assert!(err.to_string().starts_with("error: invalid UTF-8 at byte 47\n --> <input>:2:24"));
/// ```
pub fn read_bytes(
    bytes: &[u8],
    language: Option<Language>,
    limits: &Limits,
) -> Result<Loaded, Error> {
    if let Some(binary @ (Language::Protobuf | Language::ProtobufV2)) = language {
        return read_binary(bytes, binary, limits);
    }
    let text = utf8(bytes, limits)?;
    read(text, language.unwrap_or(Language::detect(text)), limits)
}

/// `bytes` as the text of a document: at most `limits.max_document_bytes` long, and UTF-8 (an
/// error at the first bad byte otherwise).
pub fn utf8<'b>(bytes: &'b [u8], limits: &Limits) -> Result<&'b str, Error> {
    if bytes.len() > limits.max_document_bytes {
        return Err(Error::one(Diagnostic::limit(
            "max_document_bytes",
            limits.max_document_bytes,
            Span::new(0, 0),
            format!("document of {} bytes is too large", bytes.len()),
        )));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        // Render against the valid prefix: the bad byte sits just past its end.
        let shown = String::from_utf8_lossy(&bytes[..at]);
        Error::one(
            Diagnostic::new(
                ErrorKind::Syntax,
                Span::new(at, at),
                format!("invalid UTF-8 at byte {at}"),
            )
            .with_help("documents are UTF-8 text; write key bytes that are not UTF-8 as `\\xNN` (DSL) or `keyBase64` (JSON)"),
        )
        .with_source(&shown)
    })
}

/// Reads `bytes` as Momento's v1 `Permissions` or v2 `PermissionSet` protobuf message.
fn read_binary(bytes: &[u8], language: Language, limits: &Limits) -> Result<Loaded, Error> {
    #[cfg(feature = "protobuf")]
    {
        let (document, form) = if language == Language::ProtobufV2 {
            (
                super::protobuf::parse_v2_with(bytes, limits)?,
                Form::MomentoV2Protobuf,
            )
        } else {
            (
                super::protobuf::parse_with(bytes, limits)?,
                Form::MomentoProtobuf,
            )
        };
        Ok(Loaded {
            document,
            form,
            tests: TestFile::default(),
        })
    }
    #[cfg(not(feature = "protobuf"))]
    {
        let _ = (bytes, language, limits);
        Err(without_protobuf())
    }
}

#[cfg(not(feature = "protobuf"))]
fn without_protobuf() -> Error {
    Error::one(
        Diagnostic::new(
            ErrorKind::Unsupported,
            Span::default(),
            "Momento's protobuf form needs fgac's `protobuf` feature, which this build leaves out",
        )
        .with_help("build fgac with `--features protobuf`"),
    )
}

/// Parses `text` as a document in `language` under `limits`, saying which form it was in. Text
/// is never protobuf: [`Language::Protobuf`] is refused here; read bytes with [`read_bytes`].
pub fn read(text: &str, language: Language, limits: &Limits) -> Result<Loaded, Error> {
    match language {
        Language::Protobuf | Language::ProtobufV2 => Err(binary(
            "Momento's protobuf form is binary, not text",
            "read the file's bytes with `fgac::syntax::read_bytes`",
        )),
        Language::Json => {
            let (document, form) = json::read_form(text, limits)?;
            Ok(Loaded {
                document,
                form: match form {
                    json::JsonForm::KeyStore => Form::KeyStoreJson,
                    json::JsonForm::MomentoScope => Form::MomentoJson,
                    json::JsonForm::MomentoV2 => Form::MomentoV2Json,
                },
                tests: TestFile::default(),
            })
        }
        Language::Dsl => {
            let (document, tests) = super::dsl::parse_with_tests(text, limits)?;
            Ok(Loaded {
                document,
                form: Form::Dsl,
                tests,
            })
        }
    }
}

/// Rewrites `text`, a document in `language`, in the canonical layout of the form it is written
/// in: the DSL keeps its comments and `test` blocks; each JSON form is printed in that same form.
/// The result means exactly what `text` means: a formatter never changes a decision.
///
/// ```
/// let scope = r#"{"permissions":[{"role":"readonly","cache":"c"}]}"#;
/// let out = fgac::syntax::reformat(scope, fgac::syntax::Language::Json, &fgac::Limits::default())?;
/// assert_eq!(out, "{\"permissions\": [\n  {\"role\": \"readonly\", \"cache\": \"c\", \"item\": \"*\"}\n]}\n");
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn reformat(text: &str, language: Language, limits: &Limits) -> Result<String, Error> {
    match language {
        Language::Dsl => super::dsl::format_source_with(text, limits),
        Language::Protobuf | Language::ProtobufV2 => Err(binary(
            "Momento's protobuf form is binary: it has no layout to format",
            "convert it to a text form with `fgac::syntax::encode`",
        )),
        Language::Json => {
            let loaded = read(text, Language::Json, limits)?;
            convert(&loaded.document, loaded.form).map_err(|e| e.with_source(text))
        }
    }
}

/// Writes `doc` in `form`: the text forms as [`convert`] prints them, and Momento's protobuf
/// form as its binary message. Refuses, one diagnostic each, what the form cannot express.
pub fn encode(doc: &Document, form: Form) -> Result<Vec<u8>, Error> {
    match form {
        Form::MomentoProtobuf | Form::MomentoV2Protobuf => {
            let v2 = form == Form::MomentoV2Protobuf;
            let one = single(
                doc,
                if v2 {
                    "Momento's v2 protobuf"
                } else {
                    "Momento's protobuf"
                },
            )?;
            #[cfg(feature = "protobuf")]
            {
                if v2 {
                    super::protobuf::to_v2_bytes(one)
                } else {
                    super::protobuf::to_bytes(one)
                }
            }
            #[cfg(not(feature = "protobuf"))]
            {
                let _ = (one, v2);
                Err(without_protobuf())
            }
        }
        _ => convert(doc, form).map(String::into_bytes),
    }
}

/// The one credential of `doc`, which `form` (one of Momento's) holds exactly one of.
fn single<'d>(doc: &'d Document, form: &str) -> Result<&'d CredentialDef, Error> {
    match doc.credentials.as_slice() {
        [one] => Ok(one),
        _ => Err(Error::one(
            Diagnostic::new(
                ErrorKind::Unsupported,
                Span::default(),
                format!(
                    "the document holds {} credentials; {form} holds one",
                    doc.credentials.len()
                ),
            )
            .with_help("print fgac's key-store JSON instead"),
        )),
    }
}

/// Prints `doc` in `form` (ending in a line break). The DSL and fgac's key-store JSON say
/// everything a document means (comments aside); Momento's JSON holds one credential that is an
/// API key named `default` that never expires, without deny rules or cache prefixes, and
/// anything else is refused with one diagnostic for each thing it cannot express. Momento's
/// protobuf form is binary: write it with [`encode`].
pub fn convert(doc: &Document, form: Form) -> Result<String, Error> {
    match form {
        Form::Dsl => Ok(super::dsl::format(doc)),
        Form::KeyStoreJson => Ok(json::to_string(doc) + "\n"),
        Form::MomentoJson => {
            json::to_momento_scope(single(doc, "Momento's JSON")?).map(|s| s + "\n")
        }
        Form::MomentoV2Json => {
            json::to_momento_v2(single(doc, "Momento's v2 JSON")?).map(|s| s + "\n")
        }
        Form::MomentoProtobuf | Form::MomentoV2Protobuf => Err(binary(
            "Momento's protobuf form is binary, not text",
            "write it with `fgac::syntax::encode`",
        )),
    }
}

/// The refusal of a text operation on a binary form.
fn binary(message: &str, help: &str) -> Error {
    Error::one(Diagnostic::new(ErrorKind::Unsupported, Span::default(), message).with_help(help))
}
