//! `fgac-momento-server`: a Momento-compatible gRPC server that authorizes every call with fgac.

use clap::Parser;
use fgac::Timestamp;
use fgac::credentials::{Keyring, RevocationLog, SigningKey, Trust};
use fgac_etcd::{FollowOptions, Follower};
use fgac_momento_server::observe::{self, Observers};
use fgac_momento_server::pubsub::TopicLimits;
use fgac_momento_server::topics::HistoryLimits;
use fgac_momento_server::{Options, data, serve, setup};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What a server of a fleet does once it has not heard from etcd for too long.
#[derive(Clone, Copy, clap::ValueEnum)]
enum WhenStale {
    /// Refuse every credential until it hears from etcd again.
    Refuse,
    /// Keep serving on the last state it read.
    KeepServing,
}

#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// A trust file (JSON: keys, signing_keys, document, revocations), as fgac reads it. Also
    /// `--store`, its older name.
    #[arg(
        long,
        alias = "store",
        conflicts_with_all = ["policy", "etcd"],
        required_unless_present_any = ["policy", "etcd"]
    )]
    trust: Option<PathBuf>,
    /// Serve a fleet's state from etcd instead of files: the etcd cluster's client URLs,
    /// comma-separated. The server serves nothing before it has read the whole state, and
    /// applies every change from then on.
    #[arg(long, value_name = "URLS", value_delimiter = ',', conflicts_with_all = ["policy", "state"])]
    etcd: Vec<String>,
    /// The fleet's prefix in etcd.
    #[arg(long, value_name = "P", default_value = "/fgac", requires = "etcd")]
    prefix: String,
    /// This server's id in the fleet's status [default: the listening address].
    #[arg(long, value_name = "ID", requires = "etcd")]
    server_id: Option<String>,
    /// A private signing key file (JWK) this server mints and refreshes with, in a fleet (it
    /// stays on the server). Repeat for several; the last one in force signs.
    #[arg(long = "signing-key", value_name = "FILE", requires = "etcd")]
    signing_keys: Vec<PathBuf>,
    /// How long without hearing from etcd before --when-stale applies, in seconds.
    #[arg(long, default_value_t = 300, requires = "etcd")]
    max_staleness_seconds: u64,
    /// What to do past --max-staleness-seconds: refuse every credential (the default: a
    /// revocation may have been made that this server cannot see), or keep serving.
    #[arg(long, value_enum, default_value_t = WhenStale::Refuse, requires = "etcd")]
    when_stale: WhenStale,
    /// A document (in any format): the server keeps a trust file for it in --state, creating a
    /// signing key the first time.
    #[arg(long, requires = "state")]
    policy: Option<PathBuf>,
    /// The directory of the trust file made for --policy.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Sign an API key for the document credential NAME and write it to PATH (a new file, mode
    /// 0600): how the first (super-user) key is handed out. Repeat for several.
    #[arg(long = "issue", value_name = "NAME=PATH")]
    issue: Vec<String>,
    /// The address to listen on; port 0 picks one. The bound address is printed.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// A cache that exists from the start. Repeat for several.
    #[arg(long = "cache", value_name = "NAME")]
    caches: Vec<String>,
    /// The time to live of an item written without one, in seconds.
    #[arg(long, default_value_t = 86_400)]
    default_ttl_seconds: u64,
    /// How often a live subscription is re-authorized, in milliseconds.
    #[arg(long, default_value_t = 250)]
    recheck_ms: u64,
    /// How often the trust's files are checked for edits, in milliseconds.
    #[arg(long, default_value_t = 250)]
    watch_ms: u64,
    /// The endpoint minted credentials name (default: the bound address).
    #[arg(long)]
    endpoint: Option<String>,
    /// Create the store's revocation log if it does not exist. Without it, a server refuses to
    /// start on a store whose log is missing: it may have been moved or deleted with the
    /// revocations it held.
    #[arg(long)]
    create_log: bool,
    /// The largest item, its key included, in bytes (Momento's item size limit: 5 MB).
    #[arg(long, default_value_t = data::MAX_ITEM_BYTES)]
    max_item_bytes: usize,
    /// The largest collection element, in bytes (Momento's: 128 KB).
    #[arg(long, default_value_t = data::MAX_ELEMENT_BYTES)]
    max_element_bytes: usize,
    /// The longest time to live of an item or collection, in seconds (Momento's: 24 hours).
    #[arg(long, default_value_t = data::MAX_TTL.as_secs())]
    max_ttl_seconds: u64,
    /// The largest request message, in bytes [default: the item size limit and 1 MiB more, so
    /// that an item past its limit is refused as that].
    #[arg(long)]
    max_request_bytes: Option<usize>,
    /// The largest published topic message, in bytes (Momento's: 4 KB).
    #[arg(long, default_value_t = TopicLimits::default().max_message_bytes)]
    max_message_bytes: usize,
    /// The most live subscriptions to the topics of one cache (Momento's: 100).
    #[arg(long, default_value_t = TopicLimits::default().max_subscriptions_per_cache)]
    max_subscriptions_per_cache: usize,
    /// The most messages one topic's history keeps for subscribers that start or resume.
    #[arg(long, default_value_t = HistoryLimits::default().messages)]
    topic_history_messages: usize,
    /// The most bytes one topic's history keeps.
    #[arg(long, default_value_t = HistoryLimits::default().bytes)]
    topic_history_bytes: usize,
    /// The most bytes all topics' histories keep together (the oldest message goes first).
    #[arg(long, default_value_t = HistoryLimits::default().total_bytes)]
    topic_history_total_bytes: usize,
    /// The messages a subscriber may fall behind before it is skipped forward (and told so with
    /// a discontinuity).
    #[arg(long, default_value_t = HistoryLimits::default().subscriber_buffer)]
    subscriber_buffer: usize,
    /// Serve `/metrics` (OpenMetrics) and `/status` (JSON) on this address; port 0 picks one.
    /// The bound address is printed (`metrics on ADDR`).
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
    /// Write the decision log (JSON lines: every denial, and allows as --decision-log-allows
    /// says) to this file, appending.
    #[arg(long, value_name = "FILE")]
    decision_log: Option<PathBuf>,
    /// Redact item keys in the decision log as an HMAC-SHA-256 keyed with this file's bytes
    /// (without it, as a prefix of --decision-log-prefix bytes and the key's length).
    #[arg(long, value_name = "FILE", requires = "decision_log")]
    decision_log_secret_file: Option<PathBuf>,
    /// How many leading bytes of an item key the decision log keeps when it has no secret.
    #[arg(long, default_value_t = 0, requires = "decision_log")]
    decision_log_prefix: usize,
    /// Write item keys into the decision log as they are (only for a log that may hold what the
    /// caches hold).
    #[arg(long, requires = "decision_log", conflicts_with_all = ["decision_log_secret_file"])]
    decision_log_raw_keys: bool,
    /// Log one allow in this many too (0: denials only).
    #[arg(long, default_value_t = 0, requires = "decision_log")]
    decision_log_allows: u64,
    /// A candidate document (any format) deciding beside the live one: every request by a key
    /// that refers to a document credential is decided by the candidate's credential of that
    /// name too, and each it would decide otherwise is reported on stderr and counted.
    #[arg(long, value_name = "DOCUMENT")]
    shadow: Option<PathBuf>,
}

/// The decision log, the shadow and the counters the options ask for.
fn observers(args: &Args, metrics: &Arc<fgac::metrics::Metrics>) -> Observers {
    use fgac::decision_log::{DecisionLog, LogConfig, Redaction};
    let log = args.decision_log.as_ref().map(|path| {
        let redaction = if args.decision_log_raw_keys {
            Redaction::Raw
        } else if let Some(secret) = &args.decision_log_secret_file {
            let bytes = std::fs::read(secret)
                .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", secret.display())));
            if bytes.len() < 16 {
                fail("the decision log's secret file holds fewer than 16 bytes");
            }
            Redaction::KeyedHash(bytes)
        } else {
            Redaction::Prefix(args.decision_log_prefix)
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| fail(&format!("cannot open {}: {e}", path.display())));
        let config = LogConfig::new(redaction).allow_one_in(args.decision_log_allows);
        Arc::new(DecisionLog::start(file, config))
    });
    let shadow = args.shadow.as_ref().map(|path| {
        let text = std::fs::read(path)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
        let doc = fgac::syntax::Reader::for_path(path)
            .read(&text)
            .map_err(|e| {
                e.with_source(&String::from_utf8_lossy(&text))
                    .with_origin(path.display().to_string())
                    .to_string()
            })
            .unwrap_or_else(|e| fail(&e));
        let candidate =
            fgac::Authorizer::compile(&doc.document).unwrap_or_else(|e| fail(&e.to_string()));
        Arc::new(fgac::shadow::Shadow::new(candidate, 1).with_metrics(Arc::clone(metrics)))
    });
    Observers {
        metrics: Some(Arc::clone(metrics)),
        log,
        shadow,
        topics: Some(Arc::new(fgac_momento_server::pubsub::TopicStats::default())),
        fleet: None,
    }
}

fn fail(message: &str) -> ! {
    // A rendered error keeps its lines; everything else that does not show is escaped.
    eprintln!(
        "error: {}",
        fgac::escape_lines_for_terminal(message.trim_end())
    );
    std::process::exit(2)
}

/// A fleet's etcd, as the server's RPCs write to it.
#[derive(Clone)]
struct Etcd {
    endpoints: Vec<String>,
    layout: fgac_etcd::Layout,
    ring: Arc<Keyring>,
}

impl Etcd {
    /// Runs `op` on a member that answers (trying each for up to 10 s in all).
    fn write<F, Fut>(&self, op: F) -> fgac_momento_server::Recorded
    where
        F: Fn(etcd_client::Client, Etcd) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<i64, fgac_etcd::FleetError>> + Send + 'static,
    {
        let me = self.clone();
        Box::pin(async move {
            let endpoints = me.endpoints.clone();
            fgac_etcd::on_any(
                &endpoints,
                Duration::from_secs(2),
                Duration::from_secs(10),
                |client| op(client, me.clone()),
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
        })
    }
}

impl fgac_momento_server::SharedState for Etcd {
    fn revoke(&self, record: fgac::credentials::RevocationRecord) -> fgac_momento_server::Recorded {
        self.write(move |client, me| {
            let record = record.clone();
            async move {
                let leeway = me.ring.trust().leeway();
                fgac_etcd::revoke(&client, &me.layout, &record, Timestamp::now(), leeway).await
            }
        })
    }

    fn issued(&self, issued: fgac::credentials::Issued) -> fgac_momento_server::Recorded {
        self.write(move |client, me| {
            let issued = issued.clone();
            async move {
                let leeway = me.ring.trust().leeway();
                fgac_etcd::record_issued(&client, &me.layout, &issued, Timestamp::now(), leeway)
                    .await
            }
        })
    }
}

/// The key ring of a fleet's server: a follower of its etcd, kept for the server's life, and
/// where its RPCs write what the fleet shares.
fn follow(
    args: &Args,
    metrics: &Arc<fgac::metrics::Metrics>,
) -> (Follower, fgac_momento_server::Shared) {
    let id = args
        .server_id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", args.listen, std::process::id()));
    let mut options = FollowOptions::new(args.etcd.clone(), &args.prefix, &id);
    options.metrics = Some(Arc::clone(metrics));
    options.max_staleness = Duration::from_secs(args.max_staleness_seconds);
    options.when_stale = match args.when_stale {
        WhenStale::Refuse => fgac_etcd::WhenStale::Refuse,
        WhenStale::KeepServing => fgac_etcd::WhenStale::KeepServing,
    };
    for path in &args.signing_keys {
        options
            .signing_keys
            .push(SigningKey::from_file(path).unwrap_or_else(|e| fail(&e.to_string())));
    }
    let follower = tokio::task::block_in_place(|| Follower::start(options))
        .unwrap_or_else(|e| fail(&format!("cannot read the fleet's state: {e}")));
    let etcd = Etcd {
        endpoints: args.etcd.clone(),
        layout: fgac_etcd::Layout::new(&args.prefix),
        ring: Arc::clone(follower.keyring()),
    };
    (follower, fgac_momento_server::Shared(Arc::new(etcd)))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let metrics = Arc::new(fgac::metrics::Metrics::new());
    let mut follower = None;
    let mut shared = None;
    let ring = if args.etcd.is_empty() {
        let trust = match (&args.trust, &args.policy, &args.state) {
            (Some(s), _, _) => s.clone(),
            (None, Some(p), Some(d)) => setup::state_for(p, d).unwrap_or_else(|e| fail(&e)),
            _ => fail("give --trust, or --policy with --state"),
        };
        if args.create_log
            && let Ok(s) = Trust::from_file(&trust)
            && let Some(log) = s.revocation_log()
            && !log.exists()
        {
            RevocationLog::create(log).unwrap_or_else(|e| fail(&e.to_string()));
        }
        match Keyring::open(&trust) {
            Ok(r) => Arc::new(r.with_metrics(Arc::clone(&metrics))),
            Err(e) => fail(&e.to_string()),
        }
    } else {
        let (f, fleet) = follow(&args, &metrics);
        let ring = Arc::clone(f.keyring());
        follower = Some(Arc::new(f));
        shared = Some(fleet);
        ring
    };
    let mut observers = observers(&args, &metrics);
    if let Some(f) = &follower {
        let f = Arc::clone(f);
        observers.fleet = Some(observe::FleetStatus(Arc::new(move || f.status().to_json())));
    }
    for spec in &args.issue {
        let Some((name, path)) = spec.split_once('=') else {
            fail(&format!("--issue `{spec}` is not NAME=PATH"));
        };
        setup::issue(&ring, name, path.as_ref()).unwrap_or_else(|e| fail(&e));
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .unwrap_or_else(|e| fail(&format!("cannot listen on {}: {e}", args.listen)));
    let bound = listener
        .local_addr()
        .unwrap_or_else(|e| fail(&e.to_string()));
    // The lines a supervisor (or a test) reads to find the ports.
    println!("listening on {bound}");
    if let Some(addr) = args.metrics {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| fail(&format!("cannot listen on {addr}: {e}")));
        let at = observe::serve(listener, Arc::clone(&ring), &observers)
            .unwrap_or_else(|e| fail(&e.to_string()));
        println!("metrics on {at}");
    }
    let _ = std::io::stdout().flush();
    let max_ttl = Duration::from_secs(args.max_ttl_seconds.max(1));
    let default_ttl = Duration::from_secs(args.default_ttl_seconds.max(1));
    if default_ttl > max_ttl {
        fail(&format!(
            "--default-ttl-seconds {} is more than --max-ttl-seconds {}",
            args.default_ttl_seconds, args.max_ttl_seconds
        ));
    }
    let options = Options {
        caches: args.caches,
        default_ttl,
        recheck: Duration::from_millis(args.recheck_ms.max(10)),
        watch: Duration::from_millis(args.watch_ms.max(10)),
        endpoint: args.endpoint.unwrap_or_else(|| bound.to_string()),
        limits: fgac_momento_server::data::Limits {
            max_item_bytes: args.max_item_bytes,
            max_element_bytes: args.max_element_bytes,
            max_read_bytes: args.max_item_bytes.saturating_mul(8),
            max_ttl,
        },
        topics: TopicLimits {
            max_message_bytes: args.max_message_bytes,
            max_subscriptions_per_cache: args.max_subscriptions_per_cache,
            history: HistoryLimits {
                messages: args.topic_history_messages,
                bytes: args.topic_history_bytes,
                total_bytes: args.topic_history_total_bytes,
                subscriber_buffer: args.subscriber_buffer.max(1),
            },
        },
        max_request_bytes: args
            .max_request_bytes
            .unwrap_or(args.max_item_bytes.saturating_add(1024 * 1024)),
        observers,
        shared,
    };
    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .unwrap_or_else(|e| fail(&e.to_string()));
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    if let Err(e) = serve(ring, listener, options, shutdown).await {
        fail(&e.to_string());
    }
    drop(follower);
}
