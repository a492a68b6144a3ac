//! Ed25519 signing keys and their public halves, as JSON Web Keys (RFC 8037):
//! `{"kty": "OKP", "crv": "Ed25519", "kid": "...", "x": "<public>", "d": "<private>"}`, keys as
//! unpadded base64url. A public key file leaves `d` out.

use super::base64url;
use super::claims::valid_id;
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::model::Span;
use crate::syntax::json::fields::{Object, span_of, value};
use ed25519_dalek::Signer as _;
use serde_json::value::RawValue;
use std::fmt;

/// An Ed25519 signing key with its key id (`kid`): what mints credentials. Its `Debug` shows the
/// key id and the public key only.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: ed25519_dalek::SigningKey,
}

/// The public half of a signing key, with its key id: what verifies credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: String,
    key: ed25519_dalek::VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field(
                "public",
                &base64url::encode(self.key.verifying_key().as_bytes()),
            )
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("x", &base64url::encode(self.key.as_bytes()))
            .finish()
    }
}

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The operating system's random source failed.
    #[error("the system's random number generator failed: {0}")]
    Random(String),
    /// The key id is not 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`.
    #[error("`{0}` is not a key id: use 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`")]
    BadKid(String),
}

impl SigningKey {
    /// A new key from the operating system's random source. Without `kid`, the key id is taken
    /// from the public key (`ed25519-` and its first 12 base64url characters), so that two keys
    /// never share one by chance.
    pub fn generate(kid: Option<&str>) -> Result<SigningKey, KeyError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&secret);
        let kid = match kid {
            Some(k) if valid_id(k) => k.to_owned(),
            Some(k) => return Err(KeyError::BadKid(k.to_owned())),
            None => {
                let x = base64url::encode(key.verifying_key().as_bytes());
                format!("ed25519-{}", &x[..12])
            }
        };
        Ok(SigningKey { kid, key })
    }

    /// The key from its 32 secret bytes (RFC 8032's seed), with `kid`.
    pub fn from_secret_bytes(kid: &str, secret: &[u8; 32]) -> Result<SigningKey, KeyError> {
        if !valid_id(kid) {
            return Err(KeyError::BadKid(kid.to_owned()));
        }
        Ok(SigningKey {
            kid: kid.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(secret),
        })
    }

    /// The key id.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// Signs `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The private key as a JWK (with `d`: keep it secret).
    #[must_use]
    pub fn to_jwk(&self) -> String {
        jwk_text(
            &self.kid,
            self.key.verifying_key().as_bytes(),
            Some(self.key.as_bytes()),
        )
    }

    /// Reads a private key file (a JWK, as `fgac keygen` writes it). Refused when the file can be
    /// read by anyone but its owner (as ssh refuses such keys); errors name the file and carry
    /// line and column.
    pub fn from_file(path: &std::path::Path) -> Result<SigningKey, Error> {
        SigningKey::from_file_bytes(path, &read_bytes(path)?)
    }

    /// As [`SigningKey::from_file`], for the `bytes` already read from `path`.
    pub(crate) fn from_file_bytes(
        path: &std::path::Path,
        bytes: &[u8],
    ) -> Result<SigningKey, Error> {
        check_private_file(path)?;
        let text = std::str::from_utf8(bytes).map_err(|_| not_text(path))?;
        SigningKey::from_jwk(text).map_err(|e| e.with_origin(path.display().to_string()))
    }

    /// Writes the private key to `path` (created, never overwritten, readable by its owner
    /// only) and the public key beside it with `.pub` before the extension (`k1.jwk`,
    /// `k1.pub.jwk`); both synced to disk. Returns the public key's path.
    pub fn write_files(&self, path: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut private = options.open(path)?;
        private.write_all(self.to_jwk().as_bytes())?;
        private.sync_all()?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let public_path = path.with_file_name(match path.extension() {
            Some(ext) => format!("{stem}.pub.{}", ext.to_string_lossy()),
            None => format!("{stem}.pub"),
        });
        let mut public = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&public_path)?;
        public.write_all(self.public_key().to_jwk().as_bytes())?;
        public.sync_all()?;
        Ok(public_path)
    }

    /// Reads a private key JWK; errors carry line and column. The public key it states (`x`)
    /// must be the one its secret (`d`) derives.
    pub fn from_jwk(text: &str) -> Result<SigningKey, Error> {
        let jwk = read_jwk(text)?;
        let Some((d, d_span)) = jwk.d else {
            return Err(problem(
                text,
                Span::new(0, text.len()),
                "this is a public key: it has no `d`",
                "give the private key file that `fgac keygen` wrote (NAME.jwk, not NAME.pub.jwk)",
            ));
        };
        let key = ed25519_dalek::SigningKey::from_bytes(&d);
        if key.verifying_key() != jwk.public {
            return Err(problem(
                text,
                d_span,
                "the private key `d` does not derive the public key `x`",
                "the file is corrupt or was edited; use the key pair as `fgac keygen` wrote it",
            ));
        }
        Ok(SigningKey { kid: jwk.kid, key })
    }
}

impl PublicKey {
    /// The key id.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    #[must_use]
    pub fn to_jwk(&self) -> String {
        jwk_text(&self.kid, self.key.as_bytes(), None)
    }

    /// Reads a public key file (a JWK); errors name the file and carry line and column.
    pub fn from_file(path: &std::path::Path) -> Result<PublicKey, Error> {
        let text = read_text(path)?;
        PublicKey::from_jwk(&text).map_err(|e| e.with_origin(path.display().to_string()))
    }

    /// Reads a public key JWK (a private one is refused: a verifier has no use for the secret).
    pub fn from_jwk(text: &str) -> Result<PublicKey, Error> {
        let jwk = read_jwk(text)?;
        if let Some((_, span)) = jwk.d {
            return Err(problem(
                text,
                span,
                "this is a private key: a verifier takes the public key only",
                "give NAME.pub.jwk, and keep NAME.jwk where tokens are minted",
            ));
        }
        Ok(PublicKey {
            kid: jwk.kid,
            key: jwk.public,
        })
    }

    /// Reads a public key from a JWK already parsed as a field of a larger JSON file (the key
    /// trust's `keys`): `raw` is a slice of `text`, and errors point into `text`.
    pub(crate) fn from_raw(text: &str, raw: &RawValue) -> Result<(PublicKey, bool), Error> {
        let jwk = jwk_fields(
            &Object::read_value(text, raw, "a JSON Web Key", JWK_FIELDS)?,
            true,
        )?;
        if let Some((_, span)) = jwk.d {
            return Err(problem(
                text,
                span,
                "a trust file holds public keys only",
                "remove `d`: the private key stays where tokens are minted",
            ));
        }
        Ok((
            PublicKey {
                kid: jwk.kid,
                key: jwk.public,
            },
            jwk.retired,
        ))
    }

    /// Whether `signature` is this key's strict Ed25519 signature of `message` (RFC 8032's
    /// checks, and no small-order or non-canonical keys and signatures).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.key.verify_strict(message, &signature).is_ok()
    }
}

/// A file's bytes, or an error naming it.
pub(crate) fn read_bytes(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| {
        Error::one(Diagnostic::new(
            ErrorKind::Json,
            Span::default(),
            format!("cannot read `{}`: {e}", path.display()),
        ))
    })
}

/// A key file's text, or an error naming it.
fn read_text(path: &std::path::Path) -> Result<String, Error> {
    String::from_utf8(read_bytes(path)?).map_err(|_| not_text(path))
}

fn not_text(path: &std::path::Path) -> Error {
    Error::one(Diagnostic::new(
        ErrorKind::Json,
        Span::default(),
        format!("`{}` is not UTF-8 text", path.display()),
    ))
}

/// Refuses a private key file others can read, as ssh does: a signing key readable by the group
/// or the world is a leaked key.
fn check_private_file(path: &std::path::Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    Span::default(),
                    format!(
                        "the signing key `{}` can be read by others (mode {:o})",
                        path.display(),
                        meta.permissions().mode() & 0o777
                    ),
                )
                .with_help(format!("run `chmod 600 {}`", path.display())),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn jwk_text(kid: &str, x: &[u8; 32], d: Option<&[u8; 32]>) -> String {
    let mut out = format!(
        "{{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"{kid}\", \"x\": \"{}\"",
        base64url::encode(x)
    );
    if let Some(d) = d {
        out += &format!(", \"d\": \"{}\"", base64url::encode(d));
    }
    out += "}\n";
    out
}

fn problem(text: &str, span: Span, message: &str, help: &str) -> Error {
    Error::one(Diagnostic::new(ErrorKind::Json, span, message).with_help(help.to_owned()))
        .with_source(text)
}

struct Jwk {
    kid: String,
    public: ed25519_dalek::VerifyingKey,
    d: Option<([u8; 32], Span)>,
    retired: bool,
}

const JWK_FIELDS: &[&str] = &["kty", "crv", "kid", "x", "d", "retired"];

fn read_jwk(text: &str) -> Result<Jwk, Error> {
    Object::read(text, text, "a JSON Web Key", JWK_FIELDS)
        .and_then(|j| jwk_fields(&j, false))
        .map_err(|e| e.with_source(text))
}

/// The fields of the JWK `j`; `retired` is allowed only in a trust file.
fn jwk_fields(j: &Object<'_>, in_trust: bool) -> Result<Jwk, Error> {
    let text = j.text();
    let exactly = |field: &RawValue, wanted: &str, help: &str| -> Result<(), Error> {
        let got: String = value(text, field)?;
        if got == wanted {
            Ok(())
        } else {
            Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span_of(text, field),
                    format!("`{got}` is not `{wanted}`"),
                )
                .with_help(help.to_owned()),
            ))
        }
    };
    exactly(
        j.required_raw("kty")?,
        "OKP",
        "fgac keys are Ed25519 keys: `\"kty\": \"OKP\"`",
    )?;
    exactly(
        j.required_raw("crv")?,
        "Ed25519",
        "fgac keys are Ed25519 keys: `\"crv\": \"Ed25519\"`",
    )?;
    let kid_raw = j.required_raw("kid")?;
    let kid: String = value(text, kid_raw)?;
    if !valid_id(&kid) {
        return Err(Error::one(
            Diagnostic::new(
                ErrorKind::Json,
                span_of(text, kid_raw),
                format!("`{kid}` is not a key id"),
            )
            .with_help("a `kid` is 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`"),
        ));
    }
    let bytes = |field: &RawValue, what: &str| -> Result<[u8; 32], Error> {
        let coded: String = value(text, field)?;
        base64url::decode(&coded)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                Error::one(
                    Diagnostic::new(
                        ErrorKind::Json,
                        span_of(text, field),
                        format!("`{what}` is not 32 bytes of unpadded base64url"),
                    )
                    .with_help("an Ed25519 key is 43 characters of `A-Z a-z 0-9 - _`"),
                )
            })
    };
    let x_raw = j.required_raw("x")?;
    let x = bytes(x_raw, "x")?;
    let public = ed25519_dalek::VerifyingKey::from_bytes(&x).map_err(|_| {
        Error::one(Diagnostic::new(
            ErrorKind::Json,
            span_of(text, x_raw),
            "`x` is not an Ed25519 public key",
        ))
    })?;
    if public.is_weak() {
        return Err(Error::one(Diagnostic::new(
            ErrorKind::Json,
            span_of(text, x_raw),
            "`x` is a weak (small-order) Ed25519 key, which any signature could verify against",
        )));
    }
    let d = match j.raw("d")? {
        Some(raw) => Some((bytes(raw, "d")?, span_of(text, raw))),
        None => None,
    };
    let retired = match j.raw("retired")? {
        Some(raw) if !in_trust => {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span_of(text, raw),
                    "`retired` belongs in a trust file's `keys`",
                )
                .with_help("retire a key in the trust file, not in its key file"),
            ));
        }
        Some(raw) => value::<bool>(text, raw)?,
        None => false,
    };
    Ok(Jwk {
        kid,
        public,
        d,
        retired,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_as_jwk_and_refuse_the_wrong_half() {
        let key = SigningKey::generate(Some("k1")).unwrap();
        let again = SigningKey::from_jwk(&key.to_jwk()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let public = PublicKey::from_jwk(&key.public_key().to_jwk()).unwrap();
        assert_eq!(public, key.public_key());
        assert!(
            PublicKey::from_jwk(&key.to_jwk())
                .unwrap_err()
                .to_string()
                .contains("this is a private key")
        );
        assert!(
            SigningKey::from_jwk(&public.to_jwk())
                .unwrap_err()
                .to_string()
                .contains("this is a public key")
        );
        // A JWK whose `d` is not the secret of its `x`.
        let other = SigningKey::generate(None).unwrap();
        let forged = key.to_jwk().replace(
            &base64url::encode(key.key.as_bytes()),
            &base64url::encode(other.key.as_bytes()),
        );
        assert!(
            SigningKey::from_jwk(&forged)
                .unwrap_err()
                .to_string()
                .contains("does not derive")
        );
        assert!(other.kid().starts_with("ed25519-"));
        assert!(matches!(
            SigningKey::generate(Some("a b")),
            Err(KeyError::BadKid(_))
        ));
        assert!(!format!("{key:?}").contains(&base64url::encode(key.key.as_bytes())));
    }

    #[test]
    fn signatures_verify_strictly() {
        let key = SigningKey::generate(None).unwrap();
        let sig = key.sign(b"message");
        assert!(key.public_key().verify(b"message", &sig));
        assert!(!key.public_key().verify(b"messagf", &sig));
        let mut flipped = sig;
        flipped[10] ^= 1;
        assert!(!key.public_key().verify(b"message", &flipped));
    }
}
