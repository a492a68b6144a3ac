//! Reading a document: one configuration (its [`Limits`], and its [`Format`] when the content
//! cannot tell it), one parse that says what it read.

use super::format::looks_like_json;
use super::{Format, json, write};
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::limits::Limits;
use crate::model::{Document, Span, TestFile};

/// What one read of a document yields: the document, the format it was written in (so that a
/// formatter writes it back in that format), and its policy tests (DSL files only).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Loaded {
    /// The document.
    pub document: Document,
    /// The format it was written in.
    pub format: Format,
    /// The file's `test` blocks and `policy` line; empty for every other format.
    pub tests: TestFile,
}

/// Reads documents: the one entry point to fgac's front ends, configured the way a builder is.
///
/// Left to itself a reader tells the text formats apart by their content (see [`Format`]);
/// [`Reader::format`] names the format instead, and a document in any other format is refused;
/// [`Reader::json`] reads JSON only, in whichever of the three JSON formats it is. The binary
/// formats are read only when named.
///
/// ```
/// use fgac::syntax::{Format, Reader};
/// let reader = Reader::new().limits(fgac::Limits { max_credentials: 10, ..fgac::Limits::default() });
/// let dsl = reader.read_str(r#"key "default" { expires never  allow readonly cache "c" }"#)?;
/// let json = reader.read_str(r#"{"permissions": [{"role": "readonly", "cache": "c"}]}"#)?;
/// assert_eq!((dsl.format, json.format), (Format::Dsl, Format::MomentoJson));
/// assert_eq!(dsl.document, json.document);
///
/// let err = reader.clone().format(Format::FgacJson).read_str(r#"{"super_user": true}"#).unwrap_err();
/// assert!(err.to_string().starts_with("error: the document is Momento's JSON, not fgac's JSON"));
/// assert!(reader.json().read_str(r#"key "k" { expires never }"#).is_err());
/// # Ok::<(), fgac::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Reader {
    limits: Limits,
    wanted: Wanted,
}

/// Which formats a reader reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Wanted {
    /// The text formats, told apart by their content.
    #[default]
    Text,
    /// The three JSON formats.
    Json,
    /// This format only.
    Exactly(Format),
}

impl Reader {
    /// A reader with the default [`Limits`] that tells the text formats by their content.
    pub fn new() -> Reader {
        Reader::default()
    }

    /// Read under `limits`.
    pub fn limits(mut self, limits: Limits) -> Reader {
        self.limits = limits;
        self
    }

    /// Read documents in `format` only (`None`: tell the text formats by their content).
    pub fn format(mut self, format: impl Into<Option<Format>>) -> Reader {
        self.wanted = format.into().map_or(Wanted::Text, Wanted::Exactly);
        self
    }

    /// Read JSON only: any of the three JSON formats, told apart by their top-level field.
    pub fn json(mut self) -> Reader {
        self.wanted = Wanted::Json;
        self
    }

    /// The reader for a file at `path`: the format its name says (see [`Format::for_path`]),
    /// JSON for a `.json` file, and otherwise what its content says.
    pub fn for_path(path: &std::path::Path) -> Reader {
        if path.extension().is_some_and(|e| e == "json") {
            Reader::new().json()
        } else {
            Reader::new().format(Format::for_path(path))
        }
    }

    /// The limits documents are read under.
    #[must_use]
    pub fn get_limits(&self) -> &Limits {
        &self.limits
    }

    /// The format named, if one is.
    #[must_use]
    pub fn get_format(&self) -> Option<Format> {
        match self.wanted {
            Wanted::Exactly(format) => Some(format),
            Wanted::Text | Wanted::Json => None,
        }
    }

    /// Reads `bytes` (a file's contents). Text must be UTF-8, an error at the first bad byte
    /// otherwise: documents are text, and item keys that are not UTF-8 are written with escapes
    /// (`\xNN` in the DSL, `keyBase64` in JSON).
    ///
    /// ```
    /// let err = fgac::syntax::Reader::new()
    ///     .read(b"key \"k\" { expires never\n allow readonly cache \"\xff\" }")
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("error: invalid UTF-8 at byte 47\n --> <input>:2:24"));
    /// ```
    pub fn read(&self, bytes: &[u8]) -> Result<Loaded, Error> {
        match self.wanted {
            Wanted::Exactly(binary) if binary.is_binary() => self.read_binary(bytes, binary),
            _ => self.read_str(utf8(bytes, &self.limits)?),
        }
    }

    /// Reads `text`. A binary format is refused here: read its bytes with [`Reader::read`].
    pub fn read_str(&self, text: &str) -> Result<Loaded, Error> {
        let json = match self.wanted {
            Wanted::Exactly(binary) if binary.is_binary() => {
                return Err(refusal(
                    &format!("{} is binary, not text", binary.description()),
                    "read the file's bytes with `fgac::syntax::Reader::read`",
                ));
            }
            Wanted::Exactly(format) => format.is_json(),
            Wanted::Json => true,
            Wanted::Text => looks_like_json(text),
        };
        if !json {
            let (document, tests) = super::dsl::parse_with_tests(text, &self.limits)?;
            return Ok(Loaded {
                document,
                format: Format::Dsl,
                tests,
            });
        }
        let (document, mut format) = json::read(text, &self.limits)?;
        if self.wanted == Wanted::Exactly(Format::MomentoV2Json)
            && format == Format::MomentoJson
            && json::says_the_same_in_v2(&document)
        {
            // `{"super_user": true}` is v1's text and v2's both.
            format = Format::MomentoV2Json;
        }
        if let Wanted::Exactly(wanted) = self.wanted
            && wanted != format
        {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Unsupported,
                    Span::new(0, 0),
                    format!(
                        "the document is {}, not {}",
                        format.description(),
                        wanted.description()
                    ),
                )
                .with_help(format!(
                    "read it without naming a format, or convert it with `fgac convert --to {wanted}`"
                )),
            )
            .with_source(text));
        }
        Ok(Loaded {
            document,
            format,
            tests: TestFile::default(),
        })
    }

    /// Rewrites `text` in the canonical layout of the format it is in: the DSL keeps its
    /// comments and `test` blocks (and formats a document whose syntax is sound even when it
    /// would not compile); each JSON format is printed in that same format. The result means
    /// exactly what `text` means: a formatter never changes a decision.
    ///
    /// ```
    /// let scope = r#"{"permissions":[{"role":"readonly","cache":"c"}]}"#;
    /// let out = fgac::syntax::Reader::new().reformat(scope)?;
    /// assert_eq!(out, "{\"permissions\": [\n  {\"role\": \"readonly\", \"cache\": \"c\", \"item\": \"*\"}\n]}\n");
    /// # Ok::<(), fgac::Error>(())
    /// ```
    pub fn reformat(&self, text: &str) -> Result<String, Error> {
        match self.wanted {
            Wanted::Exactly(binary) if binary.is_binary() => Err(refusal(
                &format!(
                    "{} is binary: it has no layout to format",
                    binary.description()
                ),
                "convert it to a text format with `fgac::syntax::to_bytes`",
            )),
            Wanted::Exactly(Format::Dsl) => super::dsl::format_source_with(text, &self.limits),
            Wanted::Text if !looks_like_json(text) => {
                super::dsl::format_source_with(text, &self.limits)
            }
            _ => {
                let loaded = self.read_str(text)?;
                write::reformatted(&loaded.document, loaded.format).map_err(|e| e.with_source(text))
            }
        }
    }

    /// Reads `bytes` as Momento's v1 `Permissions` or v2 `PermissionSet` protobuf message.
    fn read_binary(&self, bytes: &[u8], format: Format) -> Result<Loaded, Error> {
        #[cfg(feature = "protobuf")]
        {
            let document = if format == Format::MomentoV2Protobuf {
                super::protobuf::read_document_v2(bytes, &self.limits)?
            } else {
                super::protobuf::read_document(bytes, &self.limits)?
            };
            Ok(Loaded {
                document,
                format,
                tests: TestFile::default(),
            })
        }
        #[cfg(not(feature = "protobuf"))]
        {
            let _ = (bytes, format);
            Err(without_protobuf())
        }
    }
}

/// `bytes` as the text of a document: at most `limits.max_document_bytes` long, and UTF-8 (an
/// error at the first bad byte otherwise).
pub(crate) fn utf8<'b>(bytes: &'b [u8], limits: &Limits) -> Result<&'b str, Error> {
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

/// The refusal of what a build without the `protobuf` feature cannot do.
#[cfg(not(feature = "protobuf"))]
pub(super) fn without_protobuf() -> Error {
    Error::one(
        Diagnostic::new(
            ErrorKind::Unsupported,
            Span::default(),
            "Momento's protobuf formats need fgac's `protobuf` feature, which this build leaves out",
        )
        .with_help("build fgac with `--features protobuf`"),
    )
}

/// The refusal of an operation a format does not support.
pub(super) fn refusal(message: &str, help: &str) -> Error {
    Error::one(Diagnostic::new(ErrorKind::Unsupported, Span::default(), message).with_help(help))
}
