//! Minting signed credentials (at most what the parent holds), refreshing API keys, and reading a
//! credential's claims to show them.
//!
//! **The refresh rule** ([`Keyring::refresh`], which the Momento-compatible server's
//! RefreshApiToken calls too): an API key is refreshed only
//!
//! * by its holder with its **refresh secret**, which is random, handed out once when the key is
//!   minted or refreshed, and kept in the key only as its SHA-256 (so holding the key, or reading
//!   its id, is not enough);
//! * into a successor that holds exactly the key's permissions, networks and account rights,
//!   refused unless they are **within the caller's** (and the key's): a caller cannot refresh its
//!   way to rights it does not hold;
//! * expiring no later than the key's **refresh horizon** (`refresh_until`: the expiry of the
//!   parent the key was minted from), and, when the caller is another credential than the key,
//!   than the caller;
//! * as the **next generation** of the key (`ID~N`), in the same lineage, so that revoking the key
//!   revokes the successor and everything after it ([`lineage`](super::lineage)).

use super::base64url;
use super::claims::{ClaimsRead, RefreshClaims, read_claims, valid_id, write_claims};
use super::jws;
use super::keyring::{Keyring, Session};
use super::keys::{PublicKey, SigningKey};
use super::ledger::{Issued, Ledger};
use super::lineage::{self, MAX_LINEAGE};
use super::revocations::LogError;
use crate::analysis::{DeriveError, compile_child, derive, within};
use crate::decision::AuthFailure;
use crate::engine::Credential;
use crate::error::Error;
use crate::limits::Limits;
use crate::model::{CredentialDef, CredentialKind, Expiry, Permissions, Span};
use crate::time::Timestamp;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

/// What a minted credential carries besides the requested credential.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MintOptions {
    /// The issuer (`iss`); a trust that requires one refuses credentials without it.
    pub issuer: Option<String>,
    /// The credential's id (`jti`), what revocation names; without one, 128 random bits.
    pub id: Option<String>,
    /// Not valid before this time (`nbf`); without one, valid from its `iat`.
    pub not_before: Option<Timestamp>,
}

/// Why a credential was not minted or refreshed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The request is not within the parent, or not valid ([`DeriveError`], with a counterexample
    /// where the request exceeds the parent).
    #[error(transparent)]
    Mint(#[from] DeriveError),
    /// The trust has no signing key in force to sign with.
    #[error(
        "the trust has no signing key in force (a signing key whose public key is listed and not retired)"
    )]
    NoSigner,
    /// The parent or the credential to refresh is no longer valid.
    #[error("the credential is not valid: {0}")]
    NotValid(AuthFailure),
    /// Only API keys are refreshed.
    #[error("only an API key is refreshed; mint a new disposable token instead")]
    NotAnApiKey,
    /// The requested id is not 1 to 128 characters from `A-Z a-z 0-9 . _ -` (`~` marks the
    /// generations of a refreshed key and is not chosen).
    #[error(
        "`{}` is not a credential id to choose: use 1 to 128 characters from `A-Z a-z 0-9 . _ -` (`~` is kept for refreshed keys)",
        crate::escape_for_terminal(.0)
    )]
    BadId(String),
    /// The key was not minted with a refresh secret (only API keys a key ring mints or refreshes
    /// are).
    #[error("this API key cannot be refreshed: it was not minted with a refresh secret")]
    NotRefreshable,
    /// The refresh secret given is not the key's.
    #[error("the refresh secret is not this API key's")]
    WrongRefreshSecret,
    /// Minting from this parent would make a lineage longer than [`MAX_LINEAGE`].
    #[error(
        "the parent is {MAX_LINEAGE} mints away from its root already; mint from an earlier credential"
    )]
    LineageTooLong,
    /// The key has been refreshed as many times as an id can count.
    #[error("this API key's line has no next generation; mint a new key")]
    NoNextGeneration,
    /// The trust's issuance ledger could not be written: nothing was handed out.
    #[error("{0}")]
    Ledger(LogError),
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

/// `N` random bytes in base64url.
fn random<const N: usize>() -> Result<String, MintError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| MintError::Random(e.to_string()))?;
    Ok(base64url::encode(&bytes))
}

/// 128 random bits in base64url: a fresh credential id.
fn random_id() -> Result<String, MintError> {
    random::<16>()
}

/// A fresh refresh secret (256 random bits) and what the key keeps of it.
fn refresh_secret(until: Expiry) -> Result<(String, RefreshClaims), MintError> {
    let secret = random::<32>()?;
    let claims = RefreshClaims {
        secret_sha256: sha256(&secret),
        until,
    };
    Ok((secret, claims))
}

fn sha256(text: &str) -> [u8; 32] {
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// A credential a key ring minted or refreshed.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Minted {
    /// The signed credential (what its holder presents).
    pub credential: String,
    /// Its id (`jti`): what revocation names.
    pub id: String,
    /// When it expires.
    pub expiry: Expiry,
    /// For an API key, the secret that refreshes it, handed out only here (the key keeps only
    /// its SHA-256).
    pub refresh_secret: Option<String>,
    /// What an issuance ledger records of it (written to the trust's ledger, if it names one,
    /// before it is handed out; a fleet records it in its shared store).
    pub issued: Issued,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credential or the secret: they are what a log must not hold.
        f.debug_struct("Minted")
            .field("id", &self.id)
            .field("expiry", &self.expiry)
            .field("refreshable", &self.refresh_secret.is_some())
            .finish_non_exhaustive()
    }
}

fn signed(claims: &ClaimsRead, signer: &SigningKey, limits: &Limits) -> Result<String, MintError> {
    let token = jws::sign(&write_claims(claims), signer);
    if token.len() > limits.max_token_bytes {
        return Err(MintError::TooLarge {
            bytes: token.len(),
            max: limits.max_token_bytes,
        });
    }
    Ok(token)
}

/// Mints `request` from `parent` at `now` as a signed credential: only when it is within the
/// parent ([`analysis::derive`](crate::analysis::derive): permissions, expiry, networks, the token
/// limits), signed by `signer`, with the permissions in its claims.
pub fn mint(
    parent: &Credential,
    request: &CredentialDef,
    signer: &SigningKey,
    options: &MintOptions,
    now: Timestamp,
    limits: &Limits,
) -> Result<String, MintError> {
    derive(parent, request, now, limits)?;
    signed(
        &claims_of(request, standard_claims(options, now)?),
        signer,
        limits,
    )
}

/// The claims of `request` as a self-contained credential, with `base`'s standard claims.
fn claims_of(request: &CredentialDef, base: ClaimsRead) -> ClaimsRead {
    ClaimsRead {
        subject: request.name.clone(),
        kind: request.kind,
        expiry: request.expiry,
        token_id: request.token_id.clone(),
        networks: request.networks.clone(),
        account: request.account,
        permissions: Some(request.permissions.clone()),
        ..base
    }
}

/// A credential id a minter chose, or a random one.
fn chosen_id(options: &MintOptions) -> Result<String, MintError> {
    match &options.id {
        Some(id) if valid_id(id) && !id.contains('~') => Ok(id.clone()),
        Some(id) => Err(MintError::BadId(id.clone())),
        None => random_id(),
    }
}

/// The standard claims of a new credential (its id, issuer, times) from `options`, around an
/// API key that refers to the document (what the callers then replace).
fn standard_claims(options: &MintOptions, now: Timestamp) -> Result<ClaimsRead, MintError> {
    Ok(ClaimsRead {
        id: chosen_id(options)?,
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
        lineage: Vec::new(),
        refresh: None,
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
) -> Result<String, MintError> {
    let claims = ClaimsRead {
        subject: name.to_owned(),
        expiry,
        ..standard_claims(options, now)?
    };
    signed(&claims, signer, limits)
}

impl Keyring {
    /// Mints `request` from the credential of a live `parent` session, signed with the trust's
    /// signer and carrying its issuer (see [`mint`]), in the parent's lineage: revoking the
    /// parent (or an earlier generation of it) revokes what it minted. An API key comes with a
    /// refresh secret, and may be refreshed until the parent's expiry. Recorded in the trust's
    /// issuance ledger, if it names one, before it is handed out.
    pub fn mint(
        &self,
        parent: &Session,
        request: &CredentialDef,
        now: Timestamp,
    ) -> Result<Minted, MintError> {
        if !parent.is_live() {
            return Err(MintError::NotValid(AuthFailure::Revoked));
        }
        let trust = self.trust();
        let signer = trust.signer().ok_or(MintError::NoSigner)?;
        if parent.lineage().len() >= MAX_LINEAGE {
            return Err(MintError::LineageTooLong);
        }
        derive(parent.credential(), request, now, trust.limits())?;
        let mut lineage: Vec<String> = parent.lineage().map(str::to_owned).collect();
        lineage.push(parent.id().to_owned());
        let (secret, refresh) = match request.kind {
            CredentialKind::ApiKey => {
                let (secret, refresh) = refresh_secret(parent.credential().expiry())?;
                (Some(secret), Some(refresh))
            }
            CredentialKind::Token => (None, None),
        };
        let base = ClaimsRead {
            issuer: trust.issuer().map(str::to_owned),
            lineage,
            refresh,
            ..standard_claims(&MintOptions::default(), now)?
        };
        self.issue(&trust, &claims_of(request, base), signer, secret)
    }

    /// Refreshes the API key of session `key` (Momento's RefreshApiToken) for `caller`, given
    /// the key's refresh secret: a successor with the key's permissions (or the same document
    /// reference), networks and account rights, as the key's next generation, with a new refresh
    /// secret. It expires at `wanted`, or at the latest the rule allows if that is earlier: the
    /// key's refresh horizon (the expiry of what it was minted from) and, when the caller is not
    /// the key itself, the caller's expiry. Refused when either session is revoked or expired,
    /// for a disposable token, for a key minted without a refresh secret, for another secret,
    /// and when the successor would be allowed a request, or an address, that the caller is not
    /// (with the counterexample). See the module docs for the rule.
    ///
    /// The key stays valid until it expires or is revoked; revoking it (by its id) revokes the
    /// successor too.
    pub fn refresh(
        &self,
        caller: &Session,
        key: &Session,
        secret: &str,
        wanted: Expiry,
        now: Timestamp,
    ) -> Result<Minted, MintError> {
        for s in [caller, key] {
            if !s.is_live() {
                return Err(MintError::NotValid(AuthFailure::Revoked));
            }
            if s.credential().expiry().is_expired(now) {
                return Err(MintError::NotValid(AuthFailure::Expired));
            }
        }
        if key.credential().kind() != CredentialKind::ApiKey {
            return Err(MintError::NotAnApiKey);
        }
        let refresh = key.entry().refresh.ok_or(MintError::NotRefreshable)?;
        if !bool::from(sha256(secret).ct_eq(&refresh.secret_sha256)) {
            return Err(MintError::WrongRefreshSecret);
        }
        let mut bound = refresh.until;
        if caller.id() != key.id() {
            bound = bound.earlier(caller.credential().expiry());
        }
        let expiry = wanted.earlier(bound);
        let trust = self.trust();
        let signer = trust.signer().ok_or(MintError::NoSigner)?;
        let id = lineage::next_generation(key.id()).ok_or(MintError::NoNextGeneration)?;
        // The key verified when it was resolved; read its claims again for the successor's.
        let parts = jws::split(key.token(), usize::MAX).map_err(MintError::NotValid)?;
        let text = jws::claims_text(&parts).map_err(MintError::NotValid)?;
        let old = read_claims(&text, &Limits::unbounded())
            .map_err(|_| MintError::NotValid(AuthFailure::InvalidClaims))?;
        // What the successor would be allowed, compiled, within both the caller and the key.
        let def = match &old.permissions {
            Some(permissions) => CredentialDef {
                name: old.subject.clone(),
                kind: old.kind,
                expiry,
                token_id: None,
                permissions: permissions.clone(),
                account: old.account,
                networks: old.networks.clone(),
                span: Span::default(),
            },
            None => {
                let mut def = trust
                    .document_def(&old.subject)
                    .cloned()
                    .ok_or(MintError::NotValid(AuthFailure::UnknownCredential))?;
                def.expiry = def.expiry.earlier(expiry);
                def
            }
        };
        let successor = compile_child(&def, now, trust.limits())?;
        within(&successor, caller.credential(), now)?;
        within(&successor, key.credential(), now)?;
        let (secret, refresh) = refresh_secret(refresh.until)?;
        let claims = ClaimsRead {
            id,
            issuer: trust.issuer().map(str::to_owned).or(old.issuer.clone()),
            issued_at: now,
            not_before: None,
            expiry,
            refresh: Some(refresh),
            ..old
        };
        self.issue(&trust, &claims, signer, Some(secret))
    }

    /// Signs `claims`, records them in the trust's ledger, and hands them out.
    fn issue(
        &self,
        trust: &super::Trust,
        claims: &ClaimsRead,
        signer: &SigningKey,
        refresh_secret: Option<String>,
    ) -> Result<Minted, MintError> {
        let credential = signed(claims, signer, trust.limits())?;
        let issued = Issued {
            id: claims.id.clone(),
            at: claims.issued_at,
            kind: claims.kind,
            expiry: claims.expiry,
            refresh_until: claims.refresh.map(|r| r.until),
            lineage: claims.lineage.clone(),
        };
        if let Some(path) = trust.issuance_ledger() {
            Ledger::append(path, &issued).map_err(MintError::Ledger)?;
        }
        Ok(Minted {
            credential,
            id: claims.id.clone(),
            expiry: claims.expiry,
            refresh_secret,
            issued,
        })
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
    /// The ids of the credentials it was minted from, root first.
    pub lineage: Vec<String>,
    /// For an API key minted with a refresh secret, the latest a refreshed successor may expire.
    pub refreshable_until: Option<Expiry>,
}

impl Claims {
    /// When everything a revocation of this credential covers has expired: the latest a
    /// refreshed successor may live for a key that can be refreshed, else its own expiry.
    #[must_use]
    pub fn covered_until(&self) -> Expiry {
        self.refreshable_until.unwrap_or(self.credential.expiry)
    }
}

impl From<ClaimsRead> for Claims {
    fn from(c: ClaimsRead) -> Claims {
        Claims {
            id: c.id,
            issuer: c.issuer,
            issued_at: c.issued_at,
            not_before: c.not_before,
            self_contained: c.permissions.is_some(),
            lineage: c.lineage,
            refreshable_until: c.refresh.map(|r| r.until),
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
