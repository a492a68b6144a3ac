//! The document as a fleet stores it: its credentials sorted by name and cut into chunks at
//! boundaries that depend on the names only (a chunk ends after a credential whose name's
//! SHA-256 starts with a zero byte modulo 64, or once it holds 256 KiB), so that a change to one
//! credential changes one chunk and leaves the others, and their names, as they were. Each chunk
//! is a DSL document of its credentials, named by the SHA-256 of its text.

use crate::FleetError;
use fgac::Limits;
use fgac::model::{CredentialDef, Document};
use fgac::syntax::{Format, Reader};
use sha2::{Digest, Sha256};

/// The largest credential a fleet stores, in the DSL (etcd refuses a request over 1.5 MiB by
/// default; a chunk holding one such credential stays under it).
pub const MAX_CREDENTIAL_BYTES: usize = 1 << 20;
/// A chunk ends once it holds this much.
const CHUNK_BYTES: usize = 256 << 10;

/// A chunk of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The hex SHA-256 of its text: its name.
    pub sha: String,
    /// Its credentials, in the DSL.
    pub text: String,
}

/// The hex SHA-256 of `bytes`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `doc` in chunks; refuses a credential the DSL cannot write or over
/// [`MAX_CREDENTIAL_BYTES`].
pub fn split(doc: &Document) -> Result<Vec<Chunk>, FleetError> {
    let mut credentials: Vec<&CredentialDef> = doc.credentials.iter().collect();
    credentials.sort_by(|a, b| a.name.cmp(&b.name));
    let mut chunks = Vec::new();
    let mut text = String::new();
    for c in credentials {
        let one = fgac::syntax::to_string(&Document::new(vec![c.clone()]), Format::Dsl)
            .map_err(FleetError::Invalid)?;
        if one.len() > MAX_CREDENTIAL_BYTES {
            return Err(FleetError::TooLarge(format!(
                "credential `{}` is {} bytes in the DSL; a fleet stores credentials of at most {MAX_CREDENTIAL_BYTES} bytes each (etcd's request limit)",
                fgac::escape_for_terminal(&c.name),
                one.len()
            )));
        }
        if !text.is_empty() && text.len() + one.len() > CHUNK_BYTES {
            chunks.push(chunk(std::mem::take(&mut text)));
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&one);
        if Sha256::digest(c.name.as_bytes())[0] % 64 == 0 {
            chunks.push(chunk(std::mem::take(&mut text)));
        }
    }
    if !text.is_empty() {
        chunks.push(chunk(text));
    }
    Ok(chunks)
}

fn chunk(text: String) -> Chunk {
    Chunk {
        sha: sha256_hex(text.as_bytes()),
        text,
    }
}

/// The credentials of a chunk's text, read under `limits`; `key` names it in errors. Refuses
/// a text whose SHA-256 is not `sha` (a chunk is never rewritten: a different text is damage).
pub fn read(
    key: &str,
    sha: &str,
    text: &[u8],
    limits: &Limits,
) -> Result<Vec<CredentialDef>, FleetError> {
    if sha256_hex(text) != sha {
        return Err(FleetError::Corrupt {
            key: key.to_owned(),
            why: "its text does not hash to its name".to_owned(),
        });
    }
    Reader::new()
        .format(Format::Dsl)
        .limits(limits.clone())
        .read(text)
        .map(|loaded| loaded.document.credentials)
        .map_err(|e| FleetError::Corrupt {
            key: key.to_owned(),
            why: e.to_string(),
        })
}

/// The manifest of a published document: its chunks, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The chunks' names.
    pub chunks: Vec<String>,
}

impl Manifest {
    /// The manifest's JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::json!({ "format": 1, "chunks": self.chunks }).to_string()
    }

    /// Reads a manifest; `key` names it in errors.
    pub fn from_json(key: &str, text: &[u8]) -> Result<Manifest, FleetError> {
        let corrupt = |why: String| FleetError::Corrupt {
            key: key.to_owned(),
            why,
        };
        let value: serde_json::Value =
            serde_json::from_slice(text).map_err(|e| corrupt(e.to_string()))?;
        if value.get("format").and_then(serde_json::Value::as_u64) != Some(1) {
            return Err(corrupt("not a manifest of format 1".to_owned()));
        }
        let chunks = value
            .get("chunks")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| corrupt("no `chunks` list".to_owned()))?
            .iter()
            .map(|c| {
                c.as_str()
                    .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(str::to_owned)
                    .ok_or_else(|| corrupt(format!("`{c}` is not a chunk's SHA-256")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Manifest { chunks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: usize, variant: usize) -> Document {
        let text: String = (0..n)
            .map(|i| format!("key \"svc-{i}\" {{ expires never  allow readonly cache \"c{i}\" items prefix \"v{variant}:\" }}\n"))
            .collect();
        fgac::syntax::parse(&text).unwrap()
    }

    #[test]
    fn a_change_to_one_credential_changes_one_chunk() {
        let before = split(&doc(2_000, 0)).unwrap();
        let mut changed = doc(2_000, 0);
        changed.credentials[777] = doc(2_000, 1).credentials[777].clone();
        let after = split(&changed).unwrap();
        assert!(before.len() > 10, "{} chunks", before.len());
        assert_eq!(before.len(), after.len());
        let differ = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        assert_eq!(differ, 1);
        // Every chunk reads back as its credentials, and together they are the document.
        let limits = Limits::default();
        let mut names: Vec<String> = Vec::new();
        for c in &after {
            names.extend(
                read("k", &c.sha, c.text.as_bytes(), &limits)
                    .unwrap()
                    .into_iter()
                    .map(|d| d.name),
            );
        }
        let mut want: Vec<String> = changed.credentials.iter().map(|c| c.name.clone()).collect();
        want.sort();
        assert_eq!(names, want);
        assert!(matches!(
            read("k", &after[0].sha, b"key", &limits),
            Err(FleetError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_manifest_reads_back_and_refuses_what_is_not_one() {
        let m = Manifest {
            chunks: vec!["a".repeat(64), "0".repeat(64)],
        };
        assert_eq!(Manifest::from_json("v", m.to_json().as_bytes()).unwrap(), m);
        assert!(Manifest::from_json("v", br#"{"format":1,"chunks":["x"]}"#).is_err());
        assert!(Manifest::from_json("v", br#"{"chunks":[]}"#).is_err());
    }
}
