//! The control plane (`control_client.ScsControl`): caches, and the signing keys of the key
//! store.

use crate::auth::Gate;
use crate::data::Data;
use crate::rpc::Id;
use fgac::credentials::{Revocation, RevocationRecord};
use fgac::{Operation as O, Resource, Timestamp};
use momento_protos::control_client::scs_control_server::ScsControl;
use momento_protos::control_client::*;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// The control-plane service.
pub struct ControlService {
    gate: Gate,
    data: Arc<Data>,
    shared: Option<crate::Shared>,
}

impl ControlService {
    /// A service deciding with `gate` over `data`.
    #[must_use]
    pub fn new(gate: Gate, data: Arc<Data>) -> ControlService {
        ControlService {
            gate,
            data,
            shared: None,
        }
    }

    /// The same service writing revocations through `shared` (a fleet's etcd) before applying
    /// them here.
    #[must_use]
    pub fn with_shared(mut self, shared: Option<crate::Shared>) -> ControlService {
        self.shared = shared;
        self
    }
}

/// The status of an RPC that is authorized but not served (listed in the guide,
/// `docs/src/momento.md`).
pub fn unimplemented(rpc: Id) -> Status {
    Status::unimplemented(format!(
        "{} is authorized but not served by this server",
        rpc.rpc().path
    ))
}

/// The longest cache name.
pub const MAX_CACHE_NAME: usize = 255;

/// A cache name a cache may be made with: 1 to 255 ASCII letters, digits, `-`, `_` and `.`.
/// Momento's documents state no rule; its SDKs refuse only the empty name. This is the rule the
/// guide's list of differences gives (`docs/src/momento.md`): names that survive a URL, a log
/// line and a shell unquoted, so that nothing reads them two ways.
pub fn cache_name(name: &str) -> Result<&str, Status> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > MAX_CACHE_NAME {
        return Err(Status::invalid_argument(format!(
            "a cache name is 1 to {MAX_CACHE_NAME} characters; this one is {}",
            name.len()
        )));
    }
    if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
        return Err(Status::invalid_argument(format!(
            "a cache name is ASCII letters, digits, `-`, `_` and `.`; this one has `{}`",
            bad.escape_default()
        )));
    }
    Ok(name)
}

/// The `expires_at` of a signing key that does not expire (fgac's keys do not): the end of
/// 9999-12-30 UTC, the latest second every SDK's date type holds in every time zone (Python's
/// `datetime.fromtimestamp` stops at the year 9999, local time).
pub const NEVER_EXPIRES_AT: u64 = 253_402_214_399;

#[tonic::async_trait]
impl ScsControl for ControlService {
    async fn create_cache(
        &self,
        req: Request<CreateCacheRequest>,
    ) -> Result<Response<CreateCacheResponse>, Status> {
        let name = req.get_ref().cache_name.as_str();
        self.gate
            .control(&req, O::CreateCache, Resource::cache(name))?;
        let name = cache_name(name)?;
        self.data.create(name)?;
        Ok(Response::new(CreateCacheResponse {}))
    }

    async fn delete_cache(
        &self,
        req: Request<DeleteCacheRequest>,
    ) -> Result<Response<DeleteCacheResponse>, Status> {
        let name = req.get_ref().cache_name.as_str();
        self.gate
            .control(&req, O::DeleteCache, Resource::cache(name))?;
        let name = cache_name(name)?;
        self.data.delete(name)?;
        Ok(Response::new(DeleteCacheResponse {}))
    }

    async fn list_caches(
        &self,
        req: Request<ListCachesRequest>,
    ) -> Result<Response<ListCachesResponse>, Status> {
        self.gate.control(&req, O::ListCaches, Resource::Account)?;
        let cache = self
            .data
            .names()
            .into_iter()
            .map(|name| Cache {
                cache_id: name.clone(),
                cache_name: name,
                cache_limits: None,
                topic_limits: None,
            })
            .collect();
        Ok(Response::new(ListCachesResponse {
            cache,
            next_token: String::new(),
        }))
    }

    async fn flush_cache(
        &self,
        req: Request<FlushCacheRequest>,
    ) -> Result<Response<FlushCacheResponse>, Status> {
        let name = req.get_ref().cache_name.as_str();
        self.gate
            .control(&req, O::FlushCache, Resource::cache(name))?;
        let name = cache_name(name)?;
        self.data.cache(name)?.flush();
        Ok(Response::new(FlushCacheResponse {}))
    }

    async fn create_signing_key(
        &self,
        req: Request<CreateSigningKeyRequest>,
    ) -> Result<Response<CreateSigningKeyResponse>, Status> {
        let caller = self
            .gate
            .control(&req, O::CreateSigningKey, Resource::Account)?;
        Err(unimplemented(caller.rpc()))
    }

    async fn revoke_signing_key(
        &self,
        req: Request<RevokeSigningKeyRequest>,
    ) -> Result<Response<RevokeSigningKeyResponse>, Status> {
        self.gate
            .control(&req, O::RevokeSigningKey, Resource::Account)?;
        let kid = &req.get_ref().key_id;
        if !self
            .gate
            .ring()
            .trust()
            .keys()
            .iter()
            .any(|k| k.key.kid() == kid)
        {
            return Err(Status::not_found(format!("no signing key {kid:?}")));
        }
        if let Some(shared) = &self.shared {
            // A fleet: acknowledged only once etcd has committed it; applied here at once too
            // (every other server applies it from etcd).
            let record = RevocationRecord::forever(Revocation::Key(kid.clone()), Timestamp::now());
            shared.0.revoke(record.clone()).await.map_err(|e| {
                Status::unavailable(format!("the revocation was not recorded: {e}"))
            })?;
            self.gate.ring().apply_revocations([record]);
            return Ok(Response::new(RevokeSigningKeyResponse {}));
        }
        // Acknowledged only once the revocation is on disk (the key ring's log).
        self.gate
            .ring()
            .revoke(Revocation::Key(kid.clone()), Timestamp::now())
            .map_err(|e| Status::internal(format!("the revocation was not recorded: {e}")))?;
        Ok(Response::new(RevokeSigningKeyResponse {}))
    }

    async fn list_signing_keys(
        &self,
        req: Request<ListSigningKeysRequest>,
    ) -> Result<Response<ListSigningKeysResponse>, Status> {
        self.gate
            .control(&req, O::ListSigningKeys, Resource::Account)?;
        let signing_key = self
            .gate
            .ring()
            .trust()
            .keys()
            .iter()
            .filter(|k| !k.retired)
            .map(|k| SigningKey {
                key_id: k.key.kid().to_owned(),
                expires_at: NEVER_EXPIRES_AT,
            })
            .collect();
        Ok(Response::new(ListSigningKeysResponse {
            signing_key,
            next_token: String::new(),
        }))
    }

    async fn create_index(
        &self,
        req: Request<CreateIndexRequest>,
    ) -> Result<Response<CreateIndexResponse>, Status> {
        let caller = self.gate.control(&req, O::CreateIndex, Resource::Account)?;
        Err(unimplemented(caller.rpc()))
    }

    async fn delete_index(
        &self,
        req: Request<DeleteIndexRequest>,
    ) -> Result<Response<DeleteIndexResponse>, Status> {
        let caller = self.gate.control(&req, O::DeleteIndex, Resource::Account)?;
        Err(unimplemented(caller.rpc()))
    }

    async fn list_indexes(
        &self,
        req: Request<ListIndexesRequest>,
    ) -> Result<Response<ListIndexesResponse>, Status> {
        let caller = self.gate.control(&req, O::ListIndexes, Resource::Account)?;
        Err(unimplemented(caller.rpc()))
    }
}
