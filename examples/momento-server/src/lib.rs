//! A Momento-compatible gRPC server that embeds fgac: the reference embedding.
//!
//! It speaks Momento's own wire protocol (the `momento-protos` services), so Momento's
//! unmodified SDKs drive it, and authorizes every call with fgac: the `authorization` header is
//! resolved through a [`fgac::credentials::Keyring`] (signed API keys and disposable tokens,
//! expiry, revocation, the peer's address against the credential's networks), and each RPC is
//! decided as the operation its row of [`rpc::RPCS`] names. Data lives in memory.

pub mod auth;
pub mod call;
pub mod control;
pub mod data;
pub mod mint;
pub mod observe;
pub mod pubsub;
pub mod rpc;
pub mod scs;
pub mod setup;
pub mod topics;

use fgac::credentials::{Keyring, WatchEvent};
use momento_protos::auth::auth_server::AuthServer;
use momento_protos::cache_client::pubsub::pubsub_server::PubsubServer;
use momento_protos::cache_client::scs_server::ScsServer;
use momento_protos::control_client::scs_control_server::ScsControlServer;
use momento_protos::token::token_server::TokenServer;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

/// How a server runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Caches that exist from the start.
    pub caches: Vec<String>,
    /// The time to live of an item written without one.
    pub default_ttl: Duration,
    /// How often a live subscription is re-authorized.
    pub recheck: Duration,
    /// How often the trust's files are checked for changes.
    pub watch: Duration,
    /// The endpoint minted credentials are told to use.
    pub endpoint: String,
    /// What an item may hold and a call may read.
    pub limits: data::Limits,
    /// What topics keep and accept.
    pub topics: pubsub::TopicLimits,
    /// The largest request message the transport decodes: larger ones are refused as Momento's
    /// request size limit.
    pub max_request_bytes: usize,
    /// The decision log and the shadow (the key ring counts its own metrics).
    pub observers: observe::Observers,
    /// A fleet's shared store (its etcd), where revocations made by RPC and credentials minted
    /// are written: acknowledged only once it answers. `None`: the key ring's files.
    pub shared: Option<Shared>,
}

/// A future a [`Shared`] store answers with: `Err` says why nothing was recorded.
pub type Recorded = std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Where a fleet shares what its servers write (its etcd): revocations made by RPC, and what
/// the minting RPCs issue. Each answers once the store has committed it.
pub trait SharedState: Send + Sync {
    /// Records a revocation.
    fn revoke(&self, record: fgac::credentials::RevocationRecord) -> Recorded;
    /// Records an issued credential (so that a revocation can say until when it matters).
    fn issued(&self, issued: fgac::credentials::Issued) -> Recorded;
}

/// A fleet's shared store, for [`Options::shared`].
#[derive(Clone)]
pub struct Shared(pub Arc<dyn SharedState>);

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

/// Says what the key ring's watcher saw, on stderr, escaped for a terminal (a rendered error
/// keeps its lines).
fn tell(event: WatchEvent<'_>) {
    let line = match event {
        WatchEvent::Reloaded { generation } => {
            format!("fgac: trust file reloaded (generation {generation})")
        }
        WatchEvent::Kept(e) => {
            format!("fgac: trust file edit refused, the last good trust stays in force:\n{e}")
        }
        WatchEvent::Revocations { applied } => format!("fgac: {applied} revocations applied"),
        WatchEvent::LogFailed(e) => format!("fgac: {e}"),
        WatchEvent::LogRecovered => {
            "fgac: the revocation log holds every revocation in force again".to_owned()
        }
        _ => return,
    };
    eprintln!("{}", fgac::escape_lines_for_terminal(line.trim_end()));
}

/// Serves on `listener` until `shutdown` completes, deciding with `ring`.
pub async fn serve(
    ring: Arc<Keyring>,
    listener: TcpListener,
    options: Options,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let data = Arc::new(data::Data::new(options.default_ttl, options.limits));
    for c in &options.caches {
        control::cache_name(c)
            .and_then(|c| data.create(c))
            .map_err(|s| s.message().to_owned())?;
    }
    // Live policy: an edit of the store, its document or its keys takes effect on the next
    // request; a broken edit keeps the last good store and says why.
    let _watcher = ring.watch(options.watch, tell);
    let gate = auth::Gate::new(ring).with_observers(options.observers.clone());
    let minting = mint::MintService::new(gate.clone(), options.endpoint.clone())
        .with_shared(options.shared.clone());
    tonic::transport::Server::builder()
        .layer(call::CallLayer {
            max_request_bytes: options.max_request_bytes,
        })
        .add_service(
            ScsServer::new(scs::ScsService::new(gate.clone(), Arc::clone(&data)))
                .max_decoding_message_size(options.max_request_bytes)
                .max_encoding_message_size(usize::MAX),
        )
        .add_service(
            PubsubServer::new({
                let service = pubsub::PubsubService::new(
                    gate.clone(),
                    Arc::clone(&data),
                    options.recheck,
                    options.topics,
                );
                match &options.observers.topics {
                    Some(stats) => service.with_stats(Arc::clone(stats)),
                    None => service,
                }
            })
            .max_decoding_message_size(options.max_request_bytes),
        )
        .add_service(ScsControlServer::new(
            control::ControlService::new(gate, data).with_shared(options.shared.clone()),
        ))
        .add_service(TokenServer::new(minting.clone()))
        .add_service(AuthServer::new(minting))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
