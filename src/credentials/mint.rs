//! Minting signed credentials (at most what the parent holds), refreshing API keys, and reading a
//! credential's claims to show them.

use super::base64url;
use super::jws;
use super::keyring::{Keyring, Session};
use super::keys::{PublicKey, SigningKey};
use crate::analysis::{MintError, mint as mint_within};
use crate::decision::AuthFailure;
use crate::engine::Credential;
use crate::error::Error;
use crate::limits::Limits;
use crate::model::{CredentialDef, CredentialKind, Expiry, Permissions, Span};
use crate::syntax::json::{ClaimsRead, read_claims, valid_id, write_claims};
use crate::time::Timestamp;

/// What a minted credential carries besides the requested credential.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MintOptions {
    /// The issuer (`iss`); a store that requires one refuses credentials without it.
    pub issuer: Option<String>,
    /// The credential's id (`jti`), what revocation names; without one, 128 random bits.
    pub id: Option<String>,
    /// Not valid before this time (`nbf`); without one, valid from its `iat`.
    pub not_before: Option<Timestamp>,
}

/// Why a credential was not minted or refreshed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The request is not within the parent, or not valid ([`MintError`], with a counterexample
    /// where the request exceeds the parent).
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The store has no signing key in force to sign with.
    #[error(
        "the store has no signing key in force (a signing key whose public key is listed and not retired)"
    )]
    NoSigner,
    /// The parent or the credential to refresh is no longer valid.
    #[error("the credential is not valid: {0}")]
    NotValid(AuthFailure),
    /// Only API keys are refreshed.
    #[error("only an API key is refreshed; mint a new disposable token instead")]
    NotAnApiKey,
    /// The requested id is not 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`.
    #[error("`{0}` is not a credential id: use 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`")]
    BadId(String),
    /// The operating system's random source failed.
    #[error("the system's random number generator failed: {0}")]
    Random(String),
    /// The signed credential would be longer than the verifier accepts.
    #[error("the signed credential would be {bytes} bytes, more than max_token_bytes ({max})")]
    TooLarge {
        /// Its length.
        bytes: usize,
        /// The limit.
        max: usize,
    },
}

/// 128 random bits in base64url: a fresh credential id.
fn random_id() -> Result<String, IssueError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| IssueError::Random(e.to_string()))?;
    Ok(base64url::encode(&bytes))
}

fn signed(claims: &ClaimsRead, signer: &SigningKey, limits: &Limits) -> Result<String, IssueError> {
    let token = jws::sign(&write_claims(claims), signer);
    if token.len() > limits.max_token_bytes {
        return Err(IssueError::TooLarge {
            bytes: token.len(),
            max: limits.max_token_bytes,
        });
    }
    Ok(token)
}

/// Mints `request` from `parent` at `now` as a signed credential: only when it is within the
/// parent ([`analysis::mint`](crate::analysis::mint): permissions, expiry, networks, the token
/// limits), signed by `signer`, with the permissions in its claims.
pub fn mint(
    parent: &Credential,
    request: &CredentialDef,
    signer: &SigningKey,
    options: &MintOptions,
    now: Timestamp,
    limits: &Limits,
) -> Result<String, IssueError> {
    mint_within(parent, request, now, limits)?;
    let claims = ClaimsRead {
        subject: request.name.clone(),
        kind: request.kind,
        expiry: request.expiry,
        token_id: request.token_id.clone(),
        networks: request.networks.clone(),
        account: request.account,
        permissions: Some(request.permissions.clone()),
        ..standard_claims(options, now)?
    };
    signed(&claims, signer, limits)
}

/// The standard claims of a new credential (its id, issuer, times) from `options`, around an
/// API key that refers to the document (what the callers then replace).
fn standard_claims(options: &MintOptions, now: Timestamp) -> Result<ClaimsRead, IssueError> {
    Ok(ClaimsRead {
        id: match &options.id {
            Some(id) if valid_id(id) => id.clone(),
            Some(id) => return Err(IssueError::BadId(id.clone())),
            None => random_id()?,
        },
        issuer: options.issuer.clone(),
        issued_at: now,
        not_before: options.not_before,
        subject: String::new(),
        kind: CredentialKind::ApiKey,
        expiry: Expiry::Never,
        token_id: None,
        networks: Vec::new(),
        account: crate::ops::AccountRights::NONE,
        permissions: None,
    })
}

/// Signs an API key that refers by name to a credential of the verifier's document and carries
/// no permissions of its own: what an account's administrator hands a service whose permissions
/// live in the policy document (and change with it). Expires at `expiry` or with the document's
/// credential, whichever is first.
pub fn sign_reference(
    name: &str,
    expiry: Expiry,
    signer: &SigningKey,
    options: &MintOptions,
    now: Timestamp,
    limits: &Limits,
) -> Result<String, IssueError> {
    let claims = ClaimsRead {
        subject: name.to_owned(),
        expiry,
        ..standard_claims(options, now)?
    };
    signed(&claims, signer, limits)
}

impl Keyring {
    /// Mints `request` from the credential of a live `parent` session, signed with the store's
    /// signer and carrying its issuer (see [`mint`]).
    pub fn mint(
        &self,
        parent: &Session,
        request: &CredentialDef,
        now: Timestamp,
    ) -> Result<String, IssueError> {
        if !parent.is_live() {
            return Err(IssueError::NotValid(AuthFailure::Revoked));
        }
        let store = self.store();
        let signer = store.signer().ok_or(IssueError::NoSigner)?;
        let options = MintOptions {
            issuer: store.issuer().map(str::to_owned),
            ..MintOptions::default()
        };
        mint(
            parent.credential(),
            request,
            signer,
            &options,
            now,
            store.limits(),
        )
    }

    /// Refreshes an API key (Momento's RefreshApiToken): a successor with the same permissions
    /// (or the same document reference), a new id and the expiry `expires`, signed with the
    /// store's signer. The old key stays valid until it expires or is revoked; revoke it by its
    /// id once its holder has switched. Refused for a session that is revoked or expired, for a
    /// disposable token, and for an expiry not after `now`.
    pub fn refresh(
        &self,
        session: &Session,
        expires: Expiry,
        now: Timestamp,
    ) -> Result<String, IssueError> {
        if !session.is_live() {
            return Err(IssueError::NotValid(AuthFailure::Revoked));
        }
        if session.credential().expiry().is_expired(now) {
            return Err(IssueError::NotValid(AuthFailure::Expired));
        }
        if session.credential().kind() != CredentialKind::ApiKey {
            return Err(IssueError::NotAnApiKey);
        }
        if let Expiry::At(at) = expires
            && at <= now
        {
            return Err(IssueError::Mint(MintError::AlreadyExpired {
                expiry: at,
                now,
            }));
        }
        let store = self.store();
        let signer = store.signer().ok_or(IssueError::NoSigner)?;
        // The session's token verified when it was resolved; read its claims again.
        let parts = jws::split(session.token(), usize::MAX).map_err(IssueError::NotValid)?;
        let text = jws::claims_text(&parts).map_err(IssueError::NotValid)?;
        let old = read_claims(&text, &Limits::unbounded())
            .map_err(|_| IssueError::NotValid(AuthFailure::InvalidClaims))?;
        let claims = ClaimsRead {
            id: random_id()?,
            issuer: store.issuer().map(str::to_owned).or(old.issuer),
            issued_at: now,
            not_before: None,
            expiry: expires,
            ..old
        };
        signed(&claims, signer, store.limits())
    }
}

/// A signed credential's claims, as [`inspect`] shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The credential's id (`jti`).
    pub id: String,
    /// The issuer (`iss`).
    pub issuer: Option<String>,
    /// When it was issued (`iat`).
    pub issued_at: Timestamp,
    /// Not valid before (`nbf`).
    pub not_before: Option<Timestamp>,
    /// The credential as written in the claims: its name (`sub`), kind, expiry (`exp`), token
    /// id, networks and permissions. For a key that refers to the verifier's document, its
    /// permissions are that credential's, not shown here (`None`).
    pub credential: CredentialDef,
    /// Whether it carries its permissions (`false`: it refers to the verifier's document).
    pub self_contained: bool,
}

impl From<ClaimsRead> for Claims {
    fn from(c: ClaimsRead) -> Claims {
        Claims {
            id: c.id,
            issuer: c.issuer,
            issued_at: c.issued_at,
            not_before: c.not_before,
            self_contained: c.permissions.is_some(),
            credential: CredentialDef {
                name: c.subject,
                kind: c.kind,
                expiry: c.expiry,
                token_id: c.token_id,
                permissions: c.permissions.unwrap_or(Permissions::Explicit(Vec::new())),
                account: c.account,
                networks: c.networks,
                span: Span::default(),
            },
        }
    }
}

/// What checking a signature against a given key found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// No key was given.
    NotChecked,
    /// The key given has another key id than the credential names.
    OtherKey,
    /// The signature verifies.
    Valid,
    /// The signature does not verify.
    Invalid,
}

/// A signed credential taken apart: its key id, its claims (or why they do not read), and its
/// signature checked against a key, if one was given. For people: a server resolves credentials
/// with a [`Keyring`], which refuses before reading the claims of anything not signed.
#[derive(Debug)]
pub struct Inspection {
    /// The signing key's id, from the header.
    pub kid: String,
    /// The claims, or why they are not a valid credential.
    pub claims: Result<Claims, Error>,
    /// The signature's check.
    pub signature: SignatureCheck,
}

/// Takes `token` apart (see [`Inspection`]), checking its signature against `key` when given.
/// Refuses what is not an fgac credential at all (the framing, the header, the algorithm).
pub fn inspect(
    token: &str,
    key: Option<&PublicKey>,
    limits: &Limits,
) -> Result<Inspection, AuthFailure> {
    let parts = jws::split(token, limits.max_token_bytes)?;
    let signature = match key {
        None => SignatureCheck::NotChecked,
        Some(k) if k.kid() != parts.kid => SignatureCheck::OtherKey,
        Some(k) if k.verify(parts.signed.as_bytes(), &parts.signature) => SignatureCheck::Valid,
        Some(_) => SignatureCheck::Invalid,
    };
    let claims = jws::claims_text(&parts)
        .map_err(|why| {
            Error::one(crate::error::Diagnostic::new(
                crate::error::ErrorKind::Json,
                Span::default(),
                format!("the claims are not UTF-8 text in base64url ({why})"),
            ))
        })
        .and_then(|text| read_claims(&text, limits))
        .map(Claims::from);
    Ok(Inspection {
        kid: parts.kid,
        claims,
        signature,
    })
}
