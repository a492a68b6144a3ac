//! Topics (`cache_client.pubsub.Pubsub`): publish fans out to every live subscription of the
//! topic; a subscription is re-authorized while it lives, and ends with an authentication error
//! as soon as its credential expires, is revoked, or no longer may subscribe.

use crate::auth::{Caller, Gate};
use crate::data::Data;
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
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

/// Messages a subscriber may fall behind by before it is told of a discontinuity.
const BACKLOG: usize = 1024;

/// One topic: its sender and its last sequence number.
struct Topic {
    tx: broadcast::Sender<TopicItem>,
    last: u64,
}

/// The topics service.
pub struct PubsubService {
    gate: Gate,
    data: Arc<Data>,
    topics: Mutex<HashMap<(String, String), Topic>>,
    recheck: Duration,
    heartbeat: Duration,
}

impl PubsubService {
    /// A service deciding with `gate`; live subscriptions are re-authorized every `recheck`.
    #[must_use]
    pub fn new(gate: Gate, data: Arc<Data>, recheck: Duration) -> PubsubService {
        PubsubService {
            gate,
            data,
            topics: Mutex::new(HashMap::new()),
            recheck,
            heartbeat: Duration::from_secs(5),
        }
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

    /// Runs `f` on the topic, made the first time it is named, under the topics' lock (which
    /// orders its sequence numbers).
    fn with_topic<R>(&self, cache: &str, topic: &str, f: impl FnOnce(&mut Topic) -> R) -> R {
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        f(topics
            .entry((cache.to_owned(), topic.to_owned()))
            .or_insert_with(|| Topic {
                tx: broadcast::channel(BACKLOG).0,
                last: 0,
            }))
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
        if r.value.as_ref().and_then(|v| v.kind.as_ref()).is_none() {
            return Err(Status::invalid_argument(
                "a published message needs a value",
            ));
        }
        // Momento tells subscribers the publisher's token id.
        let publisher_id = caller
            .session()
            .and_then(|s| s.credential().token_id())
            .unwrap_or_default()
            .to_owned();
        self.with_topic(&r.cache_name, &r.topic, |topic| {
            topic.last += 1;
            // No subscriber is not an error: the message is simply not kept.
            let _ = topic.tx.send(TopicItem {
                topic_sequence_number: topic.last,
                value: r.value.clone(),
                publisher_id,
                sequence_page: 0,
            });
        });
        Ok(Response::new(Empty {}))
    }

    type SubscribeStream = Items;

    async fn subscribe(
        &self,
        req: Request<SubscriptionRequest>,
    ) -> Result<Response<Items>, Status> {
        let r = req.get_ref().clone();
        let mut caller = self.authorize(&req, O::Subscribe, &r.cache_name, &r.topic)?;
        let mut rx = self.with_topic(&r.cache_name, &r.topic, |t| t.tx.subscribe());
        let (tx, out) = mpsc::channel(64);
        let gate = self.gate.clone();
        let mut recheck = tokio::time::interval(self.recheck);
        // The first heartbeat is sent below; the next one a period later.
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + self.heartbeat, self.heartbeat);
        tokio::spawn(async move {
            // Momento starts a subscription with a heartbeat.
            if tx
                .send(Ok(item(Kind::Heartbeat(Heartbeat {}))))
                .await
                .is_err()
            {
                return;
            }
            let mut last = 0u64;
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
                        Ok(t) if t.topic_sequence_number <= r.resume_at_topic_sequence_number => continue,
                        Ok(t) => still_allowed().map(|()| {
                            last = t.topic_sequence_number;
                            item(Kind::Item(t))
                        }),
                        Err(broadcast::error::RecvError::Lagged(n)) => Ok(item(Kind::Discontinuity(Discontinuity {
                            last_topic_sequence: last,
                            new_topic_sequence: last + n + 1,
                            new_sequence_page: 0,
                        }))),
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
