//! The compact JWS framing of fgac's signed credentials (RFC 7515, with EdDSA as RFC 8037 defines
//! it): `BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature)`.
//!
//! Exactly one header is accepted: `{"alg": "EdDSA", "kid": KID}`, optionally with `"typ":
//! "JWT"`, and no other field (no `crit`, no `jku`, no embedded `jwk`: the verifier alone says
//! which keys it trusts). Every other algorithm is refused before any key is looked at, so `none`
//! and HMAC with a public key as its secret are never tried. The signature is checked before the
//! claims are decoded: nothing but the header is parsed for a forger.

use super::base64url;
use super::claims::valid_id;
use super::keys::SigningKey;
use crate::decision::AuthFailure;
use crate::syntax::json::fields::Object;

/// The longest header accepted, in base64url characters: far more than `{"alg": "EdDSA", "kid":
/// (128 characters), "typ": "JWT"}` takes.
const MAX_HEADER_CHARS: usize = 512;
/// An Ed25519 signature: 64 bytes, 86 base64url characters.
pub(crate) const SIGNATURE_CHARS: usize = 86;

/// A presented credential split into its parts, the header read and the signature decoded; the
/// claims not yet decoded.
pub(crate) struct Parts<'a> {
    /// The signing input: `header "." claims`, as presented.
    pub(crate) signed: &'a str,
    /// The claims, base64url.
    pub(crate) claims: &'a str,
    /// The key id the header names.
    pub(crate) kid: String,
    pub(crate) signature: [u8; 64],
}

/// The fields a header may have.
const HEADER_FIELDS: &[&str] = &["alg", "kid", "typ"];

/// The signature segment of `token` (after its last `.`), for the cache to hash: a cheap,
/// allocation-free look that decides nothing.
#[inline]
pub(crate) fn signature_segment(token: &str) -> &str {
    let bytes = token.as_bytes();
    let start = bytes.len().saturating_sub(SIGNATURE_CHARS + 1);
    let tail = bytes.get(start..).unwrap_or_default();
    match tail.iter().rposition(|&b| b == b'.') {
        Some(dot) => token.get(start + dot + 1..).unwrap_or_default(),
        None => token,
    }
}

/// Splits `token` and reads its header. Refuses (in this order) more than `max_bytes`, anything
/// but three non-empty base64url parts, a header that is not exactly fgac's, an algorithm other
/// than EdDSA, and a signature that is not 64 bytes.
pub(crate) fn split(token: &str, max_bytes: usize) -> Result<Parts<'_>, AuthFailure> {
    if token.len() > max_bytes {
        return Err(AuthFailure::Oversized);
    }
    let mut pieces = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(AuthFailure::Malformed);
    };
    if header.is_empty() || claims.is_empty() || header.len() > MAX_HEADER_CHARS {
        return Err(AuthFailure::Malformed);
    }
    let header_bytes = base64url::decode(header).ok_or(AuthFailure::Malformed)?;
    let text = std::str::from_utf8(&header_bytes).map_err(|_| AuthFailure::Malformed)?;
    let h =
        Object::read(text, text, "a header", HEADER_FIELDS).map_err(|_| AuthFailure::Malformed)?;
    let alg: String = h.required("alg").map_err(|_| AuthFailure::Malformed)?;
    if alg != "EdDSA" {
        return Err(AuthFailure::UnsupportedAlgorithm);
    }
    let typ: Option<String> = h.optional("typ").map_err(|_| AuthFailure::Malformed)?;
    if typ.is_some_and(|t| t != "JWT") {
        return Err(AuthFailure::Malformed);
    }
    let kid = h
        .optional::<String>("kid")
        .ok()
        .flatten()
        .filter(|k| valid_id(k))
        .ok_or(AuthFailure::Malformed)?;
    if signature.len() != SIGNATURE_CHARS {
        return Err(AuthFailure::Malformed);
    }
    let signature: [u8; 64] = base64url::decode(signature)
        .and_then(|s| s.try_into().ok())
        .ok_or(AuthFailure::Malformed)?;
    Ok(Parts {
        signed: &token[..header.len() + 1 + claims.len()],
        claims,
        kid,
        signature,
    })
}

/// The claims of verified parts, as text.
pub(crate) fn claims_text(parts: &Parts<'_>) -> Result<String, AuthFailure> {
    base64url::decode(parts.claims)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(AuthFailure::InvalidClaims)
}

/// `claims` signed by `key`, as a compact JWS.
pub(crate) fn sign(claims: &str, key: &SigningKey) -> String {
    let header = format!(r#"{{"alg":"EdDSA","kid":"{}","typ":"JWT"}}"#, key.kid());
    let mut token = base64url::encode(header.as_bytes());
    token.push('.');
    token += &base64url::encode(claims.as_bytes());
    let signature = key.sign(token.as_bytes());
    token.push('.');
    token += &base64url::encode(&signature);
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> String {
        base64url::encode(json.as_bytes())
    }

    #[test]
    fn only_fgacs_header_and_algorithm_pass() {
        let key = SigningKey::generate(Some("k1")).unwrap();
        let token = sign(r#"{"sub":"s"}"#, &key);
        let parts = split(&token, 1 << 16).unwrap();
        assert_eq!(parts.kid, "k1");
        assert!(
            key.public_key()
                .verify(parts.signed.as_bytes(), &parts.signature)
        );
        assert_eq!(claims_text(&parts).unwrap(), r#"{"sub":"s"}"#);
        assert_eq!(signature_segment(&token).len(), SIGNATURE_CHARS);

        let (_, rest) = token.split_once('.').unwrap();
        let with = |h: &str| format!("{}.{rest}", header(h));
        for (h, why) in [
            (
                r#"{"alg":"none","kid":"k1"}"#,
                AuthFailure::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"HS256","kid":"k1"}"#,
                AuthFailure::UnsupportedAlgorithm,
            ),
            (r#"{"alg":"EdDSA"}"#, AuthFailure::Malformed),
            (
                r#"{"alg":"EdDSA","kid":"k1","crit":["exp"]}"#,
                AuthFailure::Malformed,
            ),
            (
                r#"{"alg":"EdDSA","kid":"k1","alg":"EdDSA"}"#,
                AuthFailure::Malformed,
            ),
            (
                r#"{"alg":"EdDSA","kid":"k1","typ":"JOSE+JSON"}"#,
                AuthFailure::Malformed,
            ),
            (
                r#"{"alg":"EdDSA","kid":"../../etc"}"#,
                AuthFailure::Malformed,
            ),
        ] {
            assert_eq!(split(&with(h), 1 << 16).err(), Some(why), "{h}");
        }
        assert_eq!(split(&token, 10).err(), Some(AuthFailure::Oversized));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            &format!("{}.", token),
            &token.replace('.', ".."),
            &format!("{}=", token),
        ] {
            assert_eq!(
                split(bad, 1 << 16).err(),
                Some(AuthFailure::Malformed),
                "{bad}"
            );
        }
    }
}
