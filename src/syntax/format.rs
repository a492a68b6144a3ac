//! The formats a document is written in, by one name each.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The format a document is written in: fgac's language, fgac's JSON, or one of Momento's four
/// forms. The text formats are told apart by their content (JSON starts with `{`, which no DSL
/// document can; the three JSON formats by their top-level field); the binary ones are only ever
/// read when named (a file extension, a flag).
///
/// Each has one name, which the command line takes (`fgac convert --to momento-v2-json`) and
/// [`Format::name`] gives; [`Format::from_str`] also takes the older names scripts may use
/// (`json`, `momento`, `momento-v2`, `fgac`, `momento-pb`, `momento-v2-pb`).
///
/// ```
/// use fgac::syntax::Format;
/// assert_eq!("momento-v2-json".parse::<Format>(), Ok(Format::MomentoV2Json));
/// assert_eq!("momento".parse::<Format>(), Ok(Format::MomentoJson));
/// assert_eq!(Format::FgacJson.to_string(), "fgac-json");
/// assert_eq!(Format::for_path("keys/svc.v2.binpb".as_ref()), Some(Format::MomentoV2Protobuf));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// fgac's permission language (`.fgac`; grammar in `grammar/fgac.ebnf`): named credentials,
    /// comments and policy tests.
    Dsl,
    /// fgac's JSON (`{"credentials": [...]}`): named credentials with their kind, expiry and
    /// token id; says everything the DSL says but comments and tests.
    FgacJson,
    /// Momento's v1 scope JSON (`{"permissions": [...]}`): one credential's permissions, read as
    /// an API key named `default` that never expires.
    MomentoJson,
    /// Momento's v2 permission rules as JSON (`{"rules": [...]}`): read as Momento's scope JSON
    /// is, and may also hold networks and account rights.
    MomentoV2Json,
    /// Momento's v1 `Permissions` protobuf message (`.binpb`, `.pb`; feature `protobuf`): what
    /// [`Format::MomentoJson`] says, binary.
    MomentoProtobuf,
    /// Momento's v2 `PermissionSet` protobuf message (`.v2.binpb`, `.v2.pb`; feature
    /// `protobuf`): what [`Format::MomentoV2Json`] says, binary.
    MomentoV2Protobuf,
}

/// Each format with its name and the older names it answers to.
const NAMES: &[(Format, &str, &[&str])] = &[
    (Format::Dsl, "dsl", &["fgac"]),
    (Format::FgacJson, "fgac-json", &["json"]),
    (Format::MomentoJson, "momento-json", &["momento"]),
    (Format::MomentoV2Json, "momento-v2-json", &["momento-v2"]),
    (Format::MomentoProtobuf, "momento-protobuf", &["momento-pb"]),
    (
        Format::MomentoV2Protobuf,
        "momento-v2-protobuf",
        &["momento-v2-pb"],
    ),
];

impl Format {
    /// Every format, in the order of [`Format::name`]s the command line lists.
    pub const ALL: [Format; 6] = [
        Format::Dsl,
        Format::FgacJson,
        Format::MomentoJson,
        Format::MomentoV2Json,
        Format::MomentoProtobuf,
        Format::MomentoV2Protobuf,
    ];

    /// The format's one name.
    #[must_use]
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("dsl", |(_, name, _)| name)
    }

    /// The older names the format answers to.
    #[must_use]
    pub fn aliases(self) -> &'static [&'static str] {
        NAMES
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or(&[], |(_, _, aliases)| aliases)
    }

    /// Whether the format is a binary message rather than text.
    #[must_use]
    pub fn is_binary(self) -> bool {
        matches!(self, Format::MomentoProtobuf | Format::MomentoV2Protobuf)
    }

    /// Whether the format is one of the three JSON formats.
    #[must_use]
    pub fn is_json(self) -> bool {
        matches!(
            self,
            Format::FgacJson | Format::MomentoJson | Format::MomentoV2Json
        )
    }

    /// The format a file's name says: `.fgac` the DSL, `.binpb` and `.pb` Momento's v1
    /// protobuf, `.v2.binpb` and `.v2.pb` its v2 protobuf. `None` otherwise (`.json` among
    /// them): the content tells the text formats apart.
    #[must_use]
    pub fn for_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".v2.binpb") || name.ends_with(".v2.pb") {
            return Some(Format::MomentoV2Protobuf);
        }
        match path.extension()?.to_str()? {
            "fgac" => Some(Format::Dsl),
            "binpb" | "pb" => Some(Format::MomentoProtobuf),
            _ => None,
        }
    }

    /// What the format is called in messages ("Momento's v2 JSON").
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Format::Dsl => "fgac's language",
            Format::FgacJson => "fgac's JSON",
            Format::MomentoJson => "Momento's JSON",
            Format::MomentoV2Json => "Momento's v2 JSON",
            Format::MomentoProtobuf => "Momento's protobuf",
            Format::MomentoV2Protobuf => "Momento's v2 protobuf",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no format's: it says which names there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFormat {
    /// The name given.
    pub name: String,
}

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown format `{}`; the formats are ", self.name)?;
        for (i, format) in Format::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}`{format}`")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Format, UnknownFormat> {
        NAMES
            .iter()
            .find(|(_, n, aliases)| *n == name || aliases.contains(&name))
            .map(|(f, _, _)| *f)
            .ok_or_else(|| UnknownFormat {
                name: name.to_owned(),
            })
    }
}

/// Whether `text` is JSON rather than the DSL: its first significant character (a byte order
/// mark and blanks aside) opens a JSON object or array, which no DSL document can start with.
pub(crate) fn looks_like_json(text: &str) -> bool {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    matches!(body.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_is_named_once_and_read_back_by_each_of_its_names() {
        let mut seen = std::collections::HashSet::new();
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>(), Ok(format));
            assert!(seen.insert(format.name()));
            for alias in format.aliases() {
                assert_eq!(alias.parse::<Format>(), Ok(format));
                assert!(seen.insert(alias), "`{alias}` names two formats");
            }
        }
        assert_eq!(NAMES.len(), Format::ALL.len());
        let err = "yaml".parse::<Format>().unwrap_err().to_string();
        assert!(err.starts_with("unknown format `yaml`; the formats are `dsl`, `fgac-json`"));
    }

    #[test]
    fn file_names_name_only_what_their_content_cannot_tell() {
        let of = |p: &str| Format::for_path(Path::new(p));
        assert_eq!(of("a.fgac"), Some(Format::Dsl));
        assert_eq!(of("a.binpb"), Some(Format::MomentoProtobuf));
        assert_eq!(of("a.pb"), Some(Format::MomentoProtobuf));
        assert_eq!(of("a.v2.binpb"), Some(Format::MomentoV2Protobuf));
        assert_eq!(of("a.v2.pb"), Some(Format::MomentoV2Protobuf));
        assert_eq!(of("a.json"), None);
        assert_eq!(of("a"), None);
    }

    #[test]
    fn json_is_told_from_the_dsl_by_its_first_character() {
        assert!(looks_like_json("\u{feff}  {}"));
        assert!(looks_like_json("[1]"));
        assert!(!looks_like_json("# {\nkey \"k\" {}"));
        assert!(!looks_like_json(""));
    }
}
