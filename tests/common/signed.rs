//! Signed credentials for the tests: a fixed signing key, tokens forged with exact claims (what
//! fgac's own minting never writes), key rings over it, and scratch directories.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fgac::AuthFailure;
use fgac::Timestamp;
use fgac::credentials::{Keyring, SigningKey, Trust};
use std::net::IpAddr;
use std::path::PathBuf;

pub const NOW: u64 = 1_795_651_200;
pub const SECRET: [u8; 32] = [7; 32];

pub fn now() -> Timestamp {
    Timestamp::from_unix_seconds(NOW)
}

pub fn peer() -> IpAddr {
    "10.1.2.3".parse().unwrap()
}

pub fn signer() -> SigningKey {
    SigningKey::from_secret_bytes("k1", &SECRET).unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS of exactly `header` and `claims`, signed with `secret`: the tests forge what
/// fgac's own minting never writes.
pub fn forge(header: &str, claims: &str, secret: &[u8; 32]) -> String {
    use ed25519_dalek::Signer as _;
    let key = ed25519_dalek::SigningKey::from_bytes(secret);
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

pub const HEADER: &str = r#"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#;

/// Claims of a token of `grants` (JSON permission objects), valid for an hour from NOW.
pub fn token_claims(id: &str, grants: &str) -> String {
    format!(
        r#"{{"sub":"browser","jti":"{id}","iat":{NOW},"exp":{},"kind":"token","permissions":[{grants}]}}"#,
        NOW + 3600
    )
}

pub const READ_C: &str = r#"{"role":"readonly","cache":"c"}"#;

pub fn ring_with(
    build: impl FnOnce(fgac::credentials::TrustBuilder) -> fgac::credentials::TrustBuilder,
) -> Keyring {
    Keyring::new(
        build(Trust::builder().key(signer().public_key()))
            .build()
            .unwrap(),
    )
    .unwrap()
}

pub fn resolve(ring: &Keyring, token: &str) -> Result<fgac::credentials::Session, AuthFailure> {
    ring.resolve(token, peer(), now())
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fgac-credentials-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
