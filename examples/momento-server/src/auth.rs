//! Authorization of every call: the credential in the `authorization` header is resolved
//! through fgac's key ring (signature, expiry, revocation, the peer's address against the
//! credential's networks), then the call is decided as the operation its RPC's row allows.
//!
//! Built with the `no-authz` feature (the overhead benchmark only), a [`Gate`] allows every call
//! without reading a credential.

use crate::call::Call;
use crate::observe::Observers;
use crate::rpc::Id;
use fgac::credentials::{Keyring, Session};
use fgac::{AuthFailure, DenyReason, Operation, Resource, Timestamp};
#[cfg(not(feature = "no-authz"))]
use fgac::{BatchDecision, Decision, Outcome};
use std::net::IpAddr;
use std::sync::Arc;
use tonic::{Request, Status};

/// The metadata header Momento's SDKs send the credential in (the raw key, no scheme).
pub const AUTHORIZATION: &str = "authorization";
/// The metadata header Momento's SDKs send the cache name of a data-plane call in.
pub const CACHE: &str = "cache";

/// The caller of one call: its resolved credential, the row of the RPC table it came in on, and
/// the time the call is decided at (read once per call).
#[derive(Clone)]
pub struct Caller {
    rpc: Id,
    #[cfg(not(feature = "no-authz"))]
    session: Session,
    #[cfg(not(feature = "no-authz"))]
    now: Timestamp,
    #[cfg(feature = "no-authz")]
    session: Option<Session>,
}

impl Caller {
    /// The row of the RPC table the call came in on.
    #[must_use]
    pub fn rpc(&self) -> Id {
        self.rpc
    }

    /// The time the call is decided at.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        #[cfg(not(feature = "no-authz"))]
        return self.now;
        #[cfg(feature = "no-authz")]
        return Timestamp::now();
    }

    /// Moves the caller's time to now: for a long-lived call (a subscription) deciding again.
    pub fn renew(&mut self) {
        #[cfg(not(feature = "no-authz"))]
        {
            self.now = Timestamp::now();
        }
    }

    /// The caller's session (`None` only with authorization compiled out).
    #[must_use]
    pub fn session(&self) -> Option<&Session> {
        #[cfg(not(feature = "no-authz"))]
        return Some(&self.session);
        #[cfg(feature = "no-authz")]
        return self.session.as_ref();
    }
}

/// What decides each call: the key ring, shared by every connection, and what observes the
/// decisions (the decision log, the shadow; the key ring counts its own metrics).
#[derive(Clone)]
pub struct Gate {
    ring: Arc<Keyring>,
    observers: Observers,
}

/// The status a refused credential gets: UNAUTHENTICATED (the SDKs' authentication error).
#[must_use]
pub fn unauthenticated(why: AuthFailure) -> Status {
    Status::unauthenticated(format!("fgac: credential refused: {why}"))
}

/// The status of a decision that is not an allow: UNAUTHENTICATED when the credential itself is
/// no longer good (revoked, expired), else PERMISSION_DENIED with fgac's reason and rule id.
#[must_use]
pub fn denied(reason: DenyReason, op: Operation, resource: &Resource<'_>) -> Status {
    match reason {
        DenyReason::Unauthenticated(why) => unauthenticated(why),
        DenyReason::Expired => unauthenticated(AuthFailure::Expired),
        other => Status::permission_denied(format!("fgac: {op} on {resource} denied: {other}")),
    }
}

impl Gate {
    /// A gate over `ring`.
    #[must_use]
    pub fn new(ring: Arc<Keyring>) -> Gate {
        Gate {
            ring,
            observers: Observers::default(),
        }
    }

    /// The gate, its decisions logged and shadowed as `observers` say.
    #[must_use]
    pub fn with_observers(mut self, observers: Observers) -> Gate {
        self.observers = observers;
        self
    }

    /// Writes `decision` to the decision log, if there is one (a denial, or a sampled allow).
    #[cfg(not(feature = "no-authz"))]
    fn log(&self, caller: &Caller, op: Operation, resource: Resource<'_>, decision: Decision) {
        if let Some(log) = &self.observers.log {
            let id = caller.session.id();
            log.record(
                caller.now,
                id,
                op,
                resource,
                decision,
                self.ring.generation(),
            );
        }
    }

    /// Logs `decision` and offers it to the shadow: a key that
    /// refers to the document by name is decided by the candidate document's credential of
    /// that name too, and a request it would decide otherwise is reported (the item key left
    /// out) and counted.
    #[cfg(not(feature = "no-authz"))]
    fn observe(&self, caller: &Caller, op: Operation, resource: Resource<'_>, decision: Decision) {
        self.log(caller, op, resource, decision);
        if let Some(shadow) = &self.observers.shadow
            && caller.session.is_reference()
            && let Some(change) = shadow.compare(
                caller.session.subject(),
                op,
                resource,
                caller.now,
                Outcome::Decided(decision),
            )
        {
            let whom = match resource {
                Resource::Item { cache, .. } | Resource::Topic { cache, .. } => {
                    format!(" in cache `{}`", fgac::escape_for_terminal(cache))
                }
                _ => String::new(),
            };
            eprintln!(
                "fgac: shadow: {op} by `{}`{whom}: {} now, {} by the candidate",
                fgac::escape_for_terminal(caller.session.subject()),
                change.live,
                change.candidate
            );
        }
    }

    /// The key ring.
    #[must_use]
    pub fn ring(&self) -> &Arc<Keyring> {
        &self.ring
    }

    /// The credential a request presents, resolved for the peer's address, and the row of the
    /// table the call came in on (a call without one, which did not come through
    /// [`crate::call::CallLayer`], is refused).
    pub fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        let rpc = req
            .extensions()
            .get::<Call>()
            .map(|c| c.0)
            .ok_or_else(|| Status::internal("fgac: the call has no row in the RPC table"))?;
        #[cfg(feature = "no-authz")]
        {
            Ok(Caller { rpc, session: None })
        }
        #[cfg(not(feature = "no-authz"))]
        {
            let token = match req.metadata().get(AUTHORIZATION) {
                None => {
                    return Err(Status::unauthenticated(
                        "fgac: no credential: send the API key or token in the `authorization` header",
                    ));
                }
                Some(v) => v
                    .to_str()
                    .map_err(|_| unauthenticated(AuthFailure::Malformed))?,
            };
            let now = Timestamp::now();
            let session = self.resolve(req, token, now)?;
            Ok(Caller { rpc, session, now })
        }
    }

    /// Resolves `token`, presented on `req`, for the request's peer address.
    pub fn resolve<T>(
        &self,
        req: &Request<T>,
        token: &str,
        now: Timestamp,
    ) -> Result<Session, Status> {
        // A peer address is what a credential's networks are checked against; a transport
        // without one is refused rather than guessed.
        let peer: IpAddr = req
            .remote_addr()
            .map(|a| a.ip())
            .ok_or_else(|| Status::unauthenticated("fgac: the connection has no peer address"))?;
        self.ring.resolve(token, peer, now).map_err(unauthenticated)
    }

    /// Decides one operation on `resource` for `caller`: refused when `op` is not in the row of
    /// the RPC the call came in on (fail closed) or fgac denies it.
    pub fn check(
        &self,
        caller: &Caller,
        op: Operation,
        resource: Resource<'_>,
    ) -> Result<(), Status> {
        in_row(caller.rpc, op)?;
        #[cfg(feature = "no-authz")]
        {
            let _ = (caller, resource);
            Ok(())
        }
        #[cfg(not(feature = "no-authz"))]
        {
            let decision = caller.session.authorize(op, resource, caller.now);
            self.observe(caller, op, resource, decision);
            match decision {
                Decision::Allow => Ok(()),
                Decision::Deny(reason) => Err(denied(reason, op, &resource)),
            }
        }
    }

    /// Decides a multi-key operation: allowed only when every key is.
    pub fn check_batch<'k>(
        &self,
        caller: &Caller,
        op: Operation,
        cache: &str,
        keys: impl IntoIterator<Item = &'k [u8]> + Clone,
    ) -> Result<(), Status> {
        in_row(caller.rpc, op)?;
        #[cfg(feature = "no-authz")]
        {
            let _ = (caller, cache, keys);
            Ok(())
        }
        #[cfg(not(feature = "no-authz"))]
        match caller
            .session
            .authorize_batch(op, cache, keys.clone(), caller.now)
        {
            BatchDecision::Allow => {
                // Logged as its first key (a sampled allow).
                let first = keys.into_iter().next().unwrap_or_default();
                self.log(caller, op, Resource::item(cache, first), Decision::Allow);
                Ok(())
            }
            BatchDecision::Deny { index, reason } => {
                let key = keys.into_iter().nth(index).unwrap_or_default();
                let resource = Resource::item(cache, key);
                self.log(caller, op, resource, Decision::Deny(reason));
                Err(denied(reason, op, &resource))
            }
            BatchDecision::Empty => Err(Status::invalid_argument(format!(
                "fgac: {op} names no key: there is nothing to authorize"
            ))),
        }
    }

    /// Resolves the caller and decides a control-plane operation on the account or one cache.
    pub fn control<T>(
        &self,
        req: &Request<T>,
        op: Operation,
        resource: Resource<'_>,
    ) -> Result<Caller, Status> {
        let caller = self.caller(req)?;
        self.check(&caller, op, resource)?;
        Ok(caller)
    }
}

/// Refuses an operation its RPC's row does not list: a handler cannot authorize a call as
/// anything the table does not say.
fn in_row(rpc: Id, op: Operation) -> Result<(), Status> {
    if rpc.rpc().ops.contains(&op) {
        Ok(())
    } else {
        Err(Status::internal(format!(
            "fgac: {} is not authorized as {op}",
            rpc.rpc().path
        )))
    }
}

/// The cache a data-plane call names in its `cache` header.
pub fn cache_header<T>(req: &Request<T>) -> Result<&str, Status> {
    match req.metadata().get(CACHE).map(|v| v.to_str()) {
        Some(Ok(name)) if !name.is_empty() => Ok(name),
        Some(_) => Err(Status::invalid_argument(
            "the `cache` header is not a cache name",
        )),
        None => Err(Status::invalid_argument(
            "a data-plane call names its cache in the `cache` header",
        )),
    }
}
