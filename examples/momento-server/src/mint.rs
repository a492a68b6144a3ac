//! Minting (`token.Token` and `auth.Auth`): disposable tokens and API keys through fgac's
//! `mint`, which signs a credential only when it is within its parent: the caller gets at most
//! what it holds, and a request for more is refused with a request the caller may not make as
//! the counterexample.
//!
//! A refresh token is the API key's refresh secret: random, handed out once with the key, kept in
//! the key only as its SHA-256. RefreshApiToken goes through `Keyring::refresh`, the library's one
//! refresh rule: the successor is within the caller and the key, lives as long as the key did but
//! never past the key's parent (nor past another caller), and is revoked with the key.
//!
//! The permissions of `GenerateDisposableToken` and `GenerateApiToken` are read from the bytes
//! the client sent ([`crate::strict`]) with fgac's strict reader, never through prost's lenient
//! decoding: the server mints exactly what `fgac convert` would read.

use crate::auth::{Caller, Gate, unauthenticated};
use crate::call::{RawMessage, permissions_field};
use crate::rpc::Id;
use fgac::credentials::{MintError, Minted, Session, inspect};
use fgac::model::{CredentialDef, CredentialKind, Expiry, Permissions};
use fgac::{Operation as O, Resource, Timestamp};
use momento_protos::auth::auth_server::Auth;
use momento_protos::auth::{
    GenerateApiTokenRequest, GenerateApiTokenResponse, LoginRequest, LoginResponse,
    RefreshApiTokenRequest, RefreshApiTokenResponse, generate_api_token_request,
};
use momento_protos::token::token_server::Token;
use momento_protos::token::{GenerateDisposableTokenRequest, GenerateDisposableTokenResponse};
use std::pin::Pin;
use tonic::{Request, Response, Status};

/// The minting services (one value serves both).
#[derive(Clone)]
pub struct MintService {
    gate: Gate,
    endpoint: String,
    shared: Option<crate::Shared>,
}

impl MintService {
    /// Mints with the key ring of `gate`; `endpoint` is what responses tell clients to use.
    #[must_use]
    pub fn new(gate: Gate, endpoint: String) -> MintService {
        MintService {
            gate,
            endpoint,
            shared: None,
        }
    }

    /// The same service recording what it issues in `shared` (a fleet's etcd) before handing
    /// it out.
    #[must_use]
    pub fn with_shared(mut self, shared: Option<crate::Shared>) -> MintService {
        self.shared = shared;
        self
    }

    /// `minted`, once the fleet's store has recorded it (nothing is handed out otherwise).
    async fn recorded(&self, minted: Minted) -> Result<Minted, Status> {
        if let Some(shared) = &self.shared {
            shared.0.issued(minted.issued.clone()).await.map_err(|e| {
                Status::unavailable(format!("fgac: the issuance was not recorded: {e}"))
            })?;
        }
        Ok(minted)
    }

    /// The caller, authorized for `op`, and the time of the call; a token in the body must be
    /// the one presented.
    fn parent<T>(
        &self,
        req: &Request<T>,
        body_token: &str,
        op: O,
    ) -> Result<(Session, Timestamp), Status> {
        let caller: Caller = self.gate.control(req, op, Resource::Account)?;
        let header = req
            .metadata()
            .get(crate::auth::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !body_token.is_empty() && body_token != header {
            return Err(Status::unauthenticated(
                "fgac: the request's auth_token is not the credential presented",
            ));
        }
        let session = caller.session().cloned().ok_or_else(|| {
            Status::failed_precondition(
                "this server was built without authorization and mints nothing",
            )
        })?;
        Ok((session, caller.now()))
    }

    /// Mints `request` from `parent`, now.
    fn mint(
        &self,
        parent: &Session,
        request: &CredentialDef,
        now: Timestamp,
    ) -> Result<Minted, Status> {
        self.gate.ring().mint(parent, request, now).map_err(refused)
    }
}

/// The status of a refused mint: PERMISSION_DENIED (with the counterexample) when the request
/// exceeds the parent, UNAUTHENTICATED when the parent is no longer valid.
fn refused(e: MintError) -> Status {
    match e {
        MintError::Mint(why) => Status::permission_denied(format!("fgac: cannot mint: {why}")),
        MintError::NotValid(why) => unauthenticated(why),
        MintError::WrongRefreshSecret => Status::unauthenticated(format!("fgac: {e}")),
        MintError::NotAnApiKey | MintError::BadId(_) => {
            Status::invalid_argument(format!("fgac: {e}"))
        }
        other => Status::failed_precondition(format!("fgac: cannot mint: {other}")),
    }
}

/// The permissions of a mint request, read by fgac's strict reader from the bytes the client
/// sent: `field` is the permissions' field number in the request, whose fields are `known`.
fn permissions<T>(
    gate: &Gate,
    req: &Request<T>,
    field: u32,
    known: &[u32],
) -> Result<Permissions, Status> {
    let raw = req.extensions().get::<RawMessage>().ok_or_else(|| {
        Status::invalid_argument(
            "fgac: a mint request is read as one uncompressed message, which this one is not",
        )
    })?;
    let bytes = permissions_field(&raw.0, field, known)?;
    fgac::syntax::protobuf::read_permissions(bytes, gate.ring().trust().limits()).map_err(|e| {
        Status::invalid_argument(format!(
            "fgac: the permissions do not read: {}",
            fgac::escape_lines_for_terminal(&e.to_string())
        ))
    })
}

fn expires_at(now: Timestamp, valid_for_seconds: u32) -> Result<Timestamp, Status> {
    if valid_for_seconds == 0 {
        return Err(Status::invalid_argument(
            "valid_for_seconds must be at least 1",
        ));
    }
    Ok(now.saturating_add(u64::from(valid_for_seconds)))
}

fn valid_until(expiry: Expiry) -> u64 {
    match expiry {
        Expiry::At(t) => t.unix_seconds(),
        Expiry::Never => 0,
    }
}

#[tonic::async_trait]
impl Token for MintService {
    async fn generate_disposable_token(
        &self,
        req: Request<GenerateDisposableTokenRequest>,
    ) -> Result<Response<GenerateDisposableTokenResponse>, Status> {
        let r = req.get_ref();
        let (parent, now) = self.parent(&req, &r.auth_token, O::GenerateDisposableToken)?;
        let secs = r.expires.map(|e| e.valid_for_seconds).unwrap_or_default();
        let mut request = CredentialDef::new(
            "disposable-token",
            CredentialKind::Token,
            Expiry::At(expires_at(now, secs)?),
            // GenerateDisposableTokenRequest: expires 1, auth_token 2, permissions 3, token_id 4.
            permissions(&self.gate, &req, 3, &[1, 2, 3, 4])?,
        );
        request.token_id = (!r.token_id.is_empty()).then(|| r.token_id.clone());
        request.networks = parent.credential().networks().to_vec();
        let minted = self.recorded(self.mint(&parent, &request, now)?).await?;
        Ok(Response::new(GenerateDisposableTokenResponse {
            api_key: minted.credential,
            endpoint: self.endpoint.clone(),
            valid_until: valid_until(minted.expiry),
        }))
    }
}

type LoginStream = Pin<Box<dyn tokio_stream::Stream<Item = Result<LoginResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Auth for MintService {
    type LoginStream = LoginStream;

    async fn login(&self, _req: Request<LoginRequest>) -> Result<Response<LoginStream>, Status> {
        // Refused before any authorization (see the RPC table): a browser login has no
        // credential to decide it with.
        Err(Status::unimplemented(format!(
            "{} is not served: an interactive browser login has no credential to authorize",
            Id::Login.rpc().path
        )))
    }

    async fn generate_api_token(
        &self,
        req: Request<GenerateApiTokenRequest>,
    ) -> Result<Response<GenerateApiTokenResponse>, Status> {
        use generate_api_token_request::Expiry as E;
        let r = req.get_ref();
        let (parent, now) = self.parent(&req, &r.auth_token, O::GenerateApiKey)?;
        if !r.token_id.is_empty() {
            return Err(Status::invalid_argument(
                "a token id is for disposable tokens; an API key has none",
            ));
        }
        let expiry = match r.expiry {
            Some(E::Never(_)) => Expiry::Never,
            Some(E::Expires(e)) => Expiry::At(expires_at(now, e.valid_for_seconds)?),
            None => {
                return Err(Status::invalid_argument(
                    "an API key needs an expiry (or never)",
                ));
            }
        };
        let name = if r.description.is_empty() {
            "api-key".to_owned()
        } else {
            r.description.clone()
        };
        // GenerateApiTokenRequest: never 1 | expires 2, auth_token 3, permissions 4, token_id 5,
        // description 6.
        let permissions = permissions(&self.gate, &req, 4, &[1, 2, 3, 4, 5, 6])?;
        let mut request = CredentialDef::new(name, CredentialKind::ApiKey, expiry, permissions);
        request.networks = parent.credential().networks().to_vec();
        let minted = self.recorded(self.mint(&parent, &request, now)?).await?;
        Ok(Response::new(GenerateApiTokenResponse {
            refresh_token: minted.refresh_secret.unwrap_or_default(),
            api_key: minted.credential,
            endpoint: self.endpoint.clone(),
            valid_until: valid_until(minted.expiry),
        }))
    }

    async fn refresh_api_token(
        &self,
        req: Request<RefreshApiTokenRequest>,
    ) -> Result<Response<RefreshApiTokenResponse>, Status> {
        let r = req.get_ref();
        // The caller is authorized to refresh; the key refreshed is the one in the body, which
        // must itself be live from this address; the rule is the library's (see the module docs).
        let caller = self
            .gate
            .control(&req, O::RefreshApiKey, Resource::Account)?;
        let now = caller.now();
        let parent = caller.session().cloned().ok_or_else(|| {
            Status::failed_precondition(
                "this server was built without authorization and mints nothing",
            )
        })?;
        let key = self.gate.resolve(&req, &r.api_key, now)?;
        // The successor asks to live as long as the key did (Momento's behaviour); the rule
        // keeps it within the key's parent and the caller.
        let claims = inspect(&r.api_key, None, self.gate.ring().trust().limits())
            .ok()
            .and_then(|i| i.claims.ok())
            .ok_or_else(|| Status::unauthenticated("fgac: the API key does not read"))?;
        let wanted = match claims.credential.expiry {
            Expiry::Never => Expiry::Never,
            Expiry::At(t) => Expiry::At(
                now.saturating_add(
                    t.unix_seconds()
                        .saturating_sub(claims.issued_at.unix_seconds()),
                ),
            ),
        };
        let minted = self
            .gate
            .ring()
            .refresh(&parent, &key, &r.refresh_token, wanted, now)
            .map_err(refused)?;
        let minted = self.recorded(minted).await?;
        Ok(Response::new(RefreshApiTokenResponse {
            refresh_token: minted.refresh_secret.unwrap_or_default(),
            api_key: minted.credential,
            endpoint: self.endpoint.clone(),
            valid_until: valid_until(minted.expiry),
        }))
    }
}
