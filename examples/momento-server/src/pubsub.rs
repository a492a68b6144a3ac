//! Topics (`cache_client.pubsub.Pubsub`): publish numbers a message, keeps it in the topic's
//! history and fans it out to every live subscription; a subscription starts where
//! [`Topics::subscribe`] plans (history replayed from its resume point, a discontinuity when that
//! cannot be), is re-authorized while it lives, and ends with an authentication error as soon
//! as its credential expires, is revoked, or no longer may subscribe. A replayed message is
//! delivered only if the subscriber may subscribe at the time it is sent.

use crate::auth::{Caller, Gate};
use crate::data::{Data, limit_exceeded};
use crate::topics::{HistoryLimits, TopicKey, Topics, value_bytes};
use fgac::Operation as O;
use fgac::Resource;
use momento_protos::cache_client::pubsub::pubsub_server::Pubsub;
use momento_protos::cache_client::pubsub::{
    Discontinuity, Heartbeat, PublishRequest, SubscriptionItem, SubscriptionRequest, TopicItem,
    subscription_item::Kind,
};
use momento_protos::common::Empty;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

/// Momento's topic limits (its topics limits page: payload 4 KB a message; 100 subscriptions,
/// per cache on the older page, per region on the newer), and the history kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicLimits {
    /// The largest published value, in bytes.
    pub max_message_bytes: usize,
    /// The most live subscriptions to the topics of one cache.
    pub max_subscriptions_per_cache: usize,
    /// The history kept, and how far a subscriber may fall behind.
    pub history: HistoryLimits,
}

impl Default for TopicLimits {
    fn default() -> TopicLimits {
        TopicLimits {
            max_message_bytes: 4096,
            max_subscriptions_per_cache: 100,
            history: HistoryLimits::default(),
        }
    }
}

/// What the topics service counts.
#[derive(Debug, Default)]
pub struct TopicStats {
    /// Messages subscribers were skipped past because they fell behind.
    pub skipped: AtomicU64,
    /// Times a subscriber was skipped forward.
    pub skips: AtomicU64,
}

/// The topics service.
pub struct PubsubService {
    gate: Gate,
    data: Arc<Data>,
    topics: Arc<Mutex<Topics>>,
    subscriptions: Arc<Mutex<HashMap<String, usize>>>,
    stats: Arc<TopicStats>,
    limits: TopicLimits,
    recheck: Duration,
    heartbeat: Duration,
}

/// One live subscription, counted against its cache's limit until it is dropped; dropping it
/// also lets the topic be forgotten once nothing uses it.
struct Held {
    key: TopicKey,
    topics: Arc<Mutex<Topics>>,
    subscriptions: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self
            .subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.key.0) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key.0);
            }
        }
        drop(counts);
        self.topics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forget_if_unused(&self.key);
    }
}

impl PubsubService {
    /// A service deciding with `gate`; live subscriptions are re-authorized every `recheck`.
    #[must_use]
    pub fn new(
        gate: Gate,
        data: Arc<Data>,
        recheck: Duration,
        limits: TopicLimits,
    ) -> PubsubService {
        PubsubService {
            gate,
            data,
            topics: Arc::new(Mutex::new(Topics::new(limits.history))),
            subscriptions: Arc::new(Mutex::new(HashMap::new())),
            stats: Arc::new(TopicStats::default()),
            limits,
            recheck,
            heartbeat: Duration::from_secs(5),
        }
    }

    /// Counts in `stats` (shared with the metrics endpoint) instead of its own.
    #[must_use]
    pub fn with_stats(mut self, stats: Arc<TopicStats>) -> PubsubService {
        self.stats = stats;
        self
    }

    /// What the service has counted.
    #[must_use]
    pub fn stats(&self) -> Arc<TopicStats> {
        Arc::clone(&self.stats)
    }

    fn authorize<T>(
        &self,
        req: &Request<T>,
        op: O,
        cache: &str,
        topic: &str,
    ) -> Result<Caller, Status> {
        let caller = self.gate.caller(req)?;
        self.gate
            .check(&caller, op, Resource::topic(cache, topic))?;
        self.data.cache(cache)?;
        Ok(caller)
    }

    fn topics(&self) -> std::sync::MutexGuard<'_, Topics> {
        self.topics.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new subscription to `key` against its cache's limit.
    fn hold(&self, key: &TopicKey) -> Result<Held, Status> {
        let mut counts = self
            .subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = counts.entry(key.0.clone()).or_default();
        let max = self.limits.max_subscriptions_per_cache;
        if *n >= max {
            return Err(limit_exceeded(
                "topic_subscriptions_limit_exceeded",
                format!(
                    "cache `{}` has {max} subscriptions, its subscriptions limit",
                    fgac::escape_for_terminal(&key.0)
                ),
            ));
        }
        *n += 1;
        Ok(Held {
            key: key.clone(),
            topics: Arc::clone(&self.topics),
            subscriptions: Arc::clone(&self.subscriptions),
        })
    }
}

type Items = Pin<Box<dyn tokio_stream::Stream<Item = Result<SubscriptionItem, Status>> + Send>>;

fn item(kind: Kind) -> SubscriptionItem {
    SubscriptionItem { kind: Some(kind) }
}

#[tonic::async_trait]
impl Pubsub for PubsubService {
    async fn publish(&self, req: Request<PublishRequest>) -> Result<Response<Empty>, Status> {
        let r = req.get_ref();
        let caller = self.authorize(&req, O::Publish, &r.cache_name, &r.topic)?;
        let Some(kind) = r.value.as_ref().and_then(|v| v.kind.as_ref()) else {
            return Err(Status::invalid_argument(
                "a published message needs a value",
            ));
        };
        let bytes = value_bytes(kind);
        let max = self.limits.max_message_bytes;
        if bytes > max {
            return Err(limit_exceeded(
                "request_size_limit_exceeded",
                format!(
                    "a message of {bytes} bytes is more than the topic message size limit of {max} bytes"
                ),
            ));
        }
        // Momento tells subscribers the publisher's token id.
        let publisher_id = caller
            .session()
            .and_then(|s| s.credential().token_id())
            .unwrap_or_default()
            .to_owned();
        let key = (r.cache_name.clone(), r.topic.clone());
        self.topics().publish(
            &key,
            TopicItem {
                topic_sequence_number: 0,
                value: r.value.clone(),
                publisher_id,
                sequence_page: 0,
            },
        );
        Ok(Response::new(Empty {}))
    }

    type SubscribeStream = Items;

    async fn subscribe(
        &self,
        req: Request<SubscriptionRequest>,
    ) -> Result<Response<Items>, Status> {
        let r = req.get_ref().clone();
        let mut caller = self.authorize(&req, O::Subscribe, &r.cache_name, &r.topic)?;
        let key = (r.cache_name.clone(), r.topic.clone());
        let held = self.hold(&key)?;
        let start =
            self.topics()
                .subscribe(&key, r.resume_at_topic_sequence_number, r.sequence_page);
        let (tx, out) = mpsc::channel(64);
        let gate = self.gate.clone();
        let stats = Arc::clone(&self.stats);
        let mut recheck = tokio::time::interval(self.recheck);
        // The first heartbeat is sent below; the next one a period later.
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + self.heartbeat, self.heartbeat);
        tokio::spawn(async move {
            let _held = held;
            let page = start.page;
            let mut rx = start.rx;
            let mut last = start.last;
            // Decided again, at the time of asking, on every tick and before every message: a
            // revocation or an expiry between two ticks must not let one more through.
            let mut still_allowed = || {
                caller.renew();
                gate.check(
                    &caller,
                    O::Subscribe,
                    Resource::topic(&r.cache_name, &r.topic),
                )
            };
            // Momento starts a subscription with a heartbeat (the Python SDK waits for it).
            let mut first = vec![Ok(item(Kind::Heartbeat(Heartbeat {})))];
            first.extend(
                start
                    .discontinuity
                    .map(|d| Ok(item(Kind::Discontinuity(d)))),
            );
            for next in first {
                if tx.send(next).await.is_err() {
                    return;
                }
            }
            for replayed in start.replay {
                let next = still_allowed().map(|()| item(Kind::Item((*replayed).clone())));
                let end = next.is_err();
                if tx.send(next).await.is_err() || end {
                    return;
                }
            }
            loop {
                let next = tokio::select! {
                    () = tx.closed() => return,
                    _ = recheck.tick() => {
                        match still_allowed() {
                            Ok(()) => continue,
                            Err(status) => Err(status),
                        }
                    }
                    _ = heartbeat.tick() => Ok(item(Kind::Heartbeat(Heartbeat {}))),
                    got = rx.recv() => match got {
                        Ok(t) if t.topic_sequence_number <= last => continue,
                        Ok(t) => still_allowed().map(|()| {
                            last = t.topic_sequence_number;
                            item(Kind::Item((*t).clone()))
                        }),
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            // Fell more than its buffer behind: skipped to the oldest message
                            // still buffered, and told so.
                            stats.skipped.fetch_add(n, Ordering::Relaxed);
                            stats.skips.fetch_add(1, Ordering::Relaxed);
                            eprintln!(
                                "fgac: a subscriber of topic `{}` in cache `{}` fell behind and was skipped past {n} messages",
                                fgac::escape_for_terminal(&r.topic),
                                fgac::escape_for_terminal(&r.cache_name),
                            );
                            let skipped_to = last.saturating_add(n);
                            let told = Discontinuity {
                                last_topic_sequence: last,
                                new_topic_sequence: skipped_to,
                                new_sequence_page: page,
                            };
                            last = skipped_to;
                            Ok(item(Kind::Discontinuity(told)))
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                };
                let end = next.is_err();
                if tx.send(next).await.is_err() || end {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(out))))
    }
}
