//! Topics as Momento keeps them, apart from gRPC: each topic numbers its messages (from 1, on a
//! sequence page fixed when the topic is made), keeps a bounded history of its latest messages,
//! and plans where a subscription starts from the resume point it asks for.
//!
//! What `cachepubsub.proto` says, and how it is met here:
//! - a subscription without a resume point (0) "will begin with the latest messages": it is
//!   replayed the history the topic holds, then gets live messages;
//! - one with `resume_at_topic_sequence_number` "replays messages starting from the provided
//!   sequence number" (inclusive) when the history still holds it;
//! - when it cannot (the point is older than the history, beyond the topic's last number, or on
//!   another sequence page), the subscriber is told with a discontinuity whose
//!   `new_topic_sequence` is the number after which items resume (the next item is one more, as
//!   Momento's Rust SDK documents), then gets what there is;
//! - a subscriber that falls more than its buffer behind is skipped forward with a discontinuity
//!   (see `pubsub.rs`).
//!
//! Memory is bounded three ways: each topic's history by a count and by bytes, and all histories
//! together by a total, the oldest message of any topic going first. A topic with no history and
//! no subscriber is forgotten; made again, it gets a new, larger sequence page, as Momento does
//! after a topic reset.

use momento_protos::cache_client::pubsub::{Discontinuity, TopicItem, topic_value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// The bytes a message is charged in a history beyond its value and publisher id (its numbers and
/// its place in the structures), so that empty messages are bounded too.
pub const MESSAGE_OVERHEAD: usize = 64;

/// How much history topics keep, and how far a subscriber may fall behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryLimits {
    /// The most messages one topic keeps.
    pub messages: usize,
    /// The most bytes one topic keeps (values, publisher ids and [`MESSAGE_OVERHEAD`] each).
    pub bytes: usize,
    /// The most bytes all topics keep together.
    pub total_bytes: usize,
    /// The messages a subscriber may fall behind the topic before it is skipped forward.
    pub subscriber_buffer: usize,
}

impl Default for HistoryLimits {
    fn default() -> HistoryLimits {
        HistoryLimits {
            messages: 100,
            bytes: 1024 * 1024,
            total_bytes: 64 * 1024 * 1024,
            subscriber_buffer: 256,
        }
    }
}

/// The bytes of a published value, text or binary.
#[must_use]
pub fn value_bytes(kind: &topic_value::Kind) -> usize {
    match kind {
        topic_value::Kind::Text(t) => t.len(),
        topic_value::Kind::Binary(b) => b.len(),
    }
}

/// The bytes `item` is charged.
fn charge(item: &TopicItem) -> usize {
    let value = item
        .value
        .as_ref()
        .and_then(|v| v.kind.as_ref())
        .map_or(0, value_bytes);
    value + item.publisher_id.len() + MESSAGE_OVERHEAD
}

/// A topic's name: its cache and its name.
pub type TopicKey = (String, String);

/// One topic.
struct Topic {
    page: u64,
    last: u64,
    /// The latest messages, oldest first, numbered `last - len + 1 ..= last`, each with its
    /// order among all topics' messages.
    history: VecDeque<(u64, Arc<TopicItem>)>,
    bytes: usize,
    tx: broadcast::Sender<Arc<TopicItem>>,
}

impl Topic {
    /// The number of the oldest message the history holds (`last + 1` when it holds none).
    fn first(&self) -> u64 {
        self.last + 1 - self.history.len() as u64
    }
}

/// Where a subscription starts: a discontinuity to send first (if any), the history to replay,
/// then the live messages of `rx`, which follow the replay without a gap or a repeat.
#[derive(Debug)]
pub struct Start {
    /// The topic's sequence page.
    pub page: u64,
    /// Told first, when the subscription cannot start where it asked.
    pub discontinuity: Option<Discontinuity>,
    /// Replayed, oldest first.
    pub replay: Vec<Arc<TopicItem>>,
    /// The number of the last message before the live ones.
    pub last: u64,
    /// The live messages.
    pub rx: broadcast::Receiver<Arc<TopicItem>>,
}

/// Every topic of the server.
pub struct Topics {
    limits: HistoryLimits,
    topics: HashMap<TopicKey, Topic>,
    /// Each topic with history, by the order of its oldest message: the first holds the oldest
    /// message of all.
    by_oldest: BTreeMap<u64, TopicKey>,
    /// The order the next published message gets.
    order: u64,
    total_bytes: usize,
    /// The page the next topic made gets: pages grow, across topics and (from the clock, in
    /// milliseconds) across restarts.
    next_page: u64,
}

impl Topics {
    /// No topics yet.
    #[must_use]
    pub fn new(limits: HistoryLimits) -> Topics {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(1));
        Topics {
            limits,
            topics: HashMap::new(),
            by_oldest: BTreeMap::new(),
            order: 0,
            total_bytes: 0,
            next_page: now.max(1),
        }
    }

    /// The bytes all histories hold.
    #[must_use]
    pub fn total_bytes(&self) -> usize {
        self.total_bytes
    }

    /// How many topics are known (with history or subscribers).
    #[must_use]
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// Whether no topic is known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// The topic `key`, made (on a new page) if it is not known.
    fn topic(&mut self, key: &TopicKey) -> &mut Topic {
        let page = &mut self.next_page;
        let buffer = self.limits.subscriber_buffer.max(1);
        self.topics.entry(key.clone()).or_insert_with(|| {
            let topic = Topic {
                page: *page,
                last: 0,
                history: VecDeque::new(),
                bytes: 0,
                tx: broadcast::channel(buffer).0,
            };
            *page = page.saturating_add(1);
            topic
        })
    }

    /// Numbers `item` as the topic's next message (on its page), sends it to the live
    /// subscribers and keeps it in the history. Returns its number.
    pub fn publish(&mut self, key: &TopicKey, mut item: TopicItem) -> u64 {
        let order = self.order;
        self.order += 1;
        let limits = self.limits;
        let topic = self.topic(key);
        topic.last += 1;
        item.topic_sequence_number = topic.last;
        item.sequence_page = topic.page;
        let number = topic.last;
        let item = Arc::new(item);
        // No subscriber is not an error: the message is kept all the same.
        let _ = topic.tx.send(Arc::clone(&item));
        let bytes = charge(&item);
        if limits.messages == 0 || bytes > limits.bytes || bytes > limits.total_bytes {
            // Kept by no history; those before it can no longer be followed on from.
            while self.drop_oldest_of(key) {}
            return number;
        }
        let was_empty = topic.history.is_empty();
        topic.history.push_back((order, item));
        topic.bytes += bytes;
        self.total_bytes += bytes;
        if was_empty {
            self.by_oldest.insert(order, key.clone());
        }
        // The topic's own bounds, then everyone's.
        while self
            .topics
            .get(key)
            .is_some_and(|t| t.history.len() > limits.messages || t.bytes > limits.bytes)
        {
            self.drop_oldest_of(key);
        }
        while self.total_bytes > limits.total_bytes {
            let Some(oldest) = self.by_oldest.values().next().cloned() else {
                break;
            };
            self.drop_oldest_of(&oldest);
        }
        number
    }

    /// Drops the oldest message of the topic's history; false when it had none. A topic left
    /// with no history and no subscriber is forgotten.
    fn drop_oldest_of(&mut self, key: &TopicKey) -> bool {
        let Some(topic) = self.topics.get_mut(key) else {
            return false;
        };
        let Some((order, item)) = topic.history.pop_front() else {
            return false;
        };
        let bytes = charge(&item);
        topic.bytes -= bytes;
        self.total_bytes -= bytes;
        self.by_oldest.remove(&order);
        if let Some((next, _)) = topic.history.front() {
            self.by_oldest.insert(*next, key.clone());
        }
        self.forget_if_unused(key);
        true
    }

    /// Forgets the topic if it has no history and no subscriber (called when a subscription
    /// ends, too).
    pub fn forget_if_unused(&mut self, key: &TopicKey) {
        if self
            .topics
            .get(key)
            .is_some_and(|t| t.history.is_empty() && t.tx.receiver_count() == 0)
        {
            self.topics.remove(key);
        }
    }

    /// Where a subscription to `key` that asks to resume at `resume` (0: from the latest
    /// messages) on `page` (0: any) starts. See the module's text.
    pub fn subscribe(&mut self, key: &TopicKey, resume: u64, page: u64) -> Start {
        let topic = self.topic(key);
        let rx = topic.tx.subscribe();
        let first = topic.first();
        let last = topic.last;
        let skip_to = |from: u64| -> Vec<Arc<TopicItem>> {
            topic
                .history
                .iter()
                .skip(usize::try_from(from - first).unwrap_or(usize::MAX))
                .map(|(_, i)| Arc::clone(i))
                .collect()
        };
        let discontinuity = |last_seen: u64, new: u64| {
            Some(Discontinuity {
                last_topic_sequence: last_seen,
                new_topic_sequence: new,
                new_sequence_page: topic.page,
            })
        };
        let (discontinuity, replay) = if resume == 0 {
            (None, skip_to(first))
        } else if page != 0 && page != topic.page {
            // Another page: the topic was reset since; its numbers say nothing of this one.
            (discontinuity(0, first - 1), skip_to(first))
        } else if resume < first {
            // Older than the history: resume from its oldest.
            (discontinuity(resume - 1, first - 1), skip_to(first))
        } else if resume > last + 1 {
            // Beyond the topic's last: live from the next one.
            (discontinuity(resume - 1, last), Vec::new())
        } else {
            (None, skip_to(resume))
        };
        Start {
            page: topic.page,
            discontinuity,
            replay,
            last,
            rx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use momento_protos::cache_client::pubsub::TopicValue;
    use momento_protos::cache_client::pubsub::topic_value::Kind;

    fn message(text: &str) -> TopicItem {
        TopicItem {
            topic_sequence_number: 0,
            value: Some(TopicValue {
                kind: Some(Kind::Text(text.to_owned())),
            }),
            publisher_id: String::new(),
            sequence_page: 0,
        }
    }

    fn key(name: &str) -> TopicKey {
        ("c".to_owned(), name.to_owned())
    }

    fn numbers(start: &Start) -> Vec<u64> {
        start
            .replay
            .iter()
            .map(|i| i.topic_sequence_number)
            .collect()
    }

    fn limits(messages: usize, bytes: usize, total_bytes: usize) -> HistoryLimits {
        HistoryLimits {
            messages,
            bytes,
            total_bytes,
            subscriber_buffer: 8,
        }
    }

    #[test]
    fn a_subscription_replays_from_its_resume_point_inclusive() {
        let mut t = Topics::new(limits(3, 1 << 20, 1 << 20));
        let k = key("t");
        for i in 1..=5 {
            assert_eq!(t.publish(&k, message(&i.to_string())), i);
        }
        // The history holds 3, 4, 5.
        let fresh = t.subscribe(&k, 0, 0);
        assert_eq!(
            (numbers(&fresh), fresh.discontinuity, fresh.last),
            (vec![3, 4, 5], None, 5)
        );
        let page = fresh.page;
        assert!(fresh.replay.iter().all(|i| i.sequence_page == page));
        let at4 = t.subscribe(&k, 4, page);
        assert_eq!((numbers(&at4), at4.discontinuity), (vec![4, 5], None));
        // The next one: nothing to replay, nothing missed.
        let at6 = t.subscribe(&k, 6, 0);
        assert_eq!((numbers(&at6), at6.discontinuity), (vec![], None));
    }

    #[test]
    fn a_point_the_history_cannot_serve_is_told_with_a_discontinuity() {
        let mut t = Topics::new(limits(3, 1 << 20, 1 << 20));
        let k = key("t");
        for i in 1..=5 {
            t.publish(&k, message(&i.to_string()));
        }
        let page = t.subscribe(&k, 0, 0).page;
        let d = |last, new| {
            Some(Discontinuity {
                last_topic_sequence: last,
                new_topic_sequence: new,
                new_sequence_page: page,
            })
        };
        let old = t.subscribe(&k, 1, page);
        assert_eq!((old.discontinuity, numbers(&old)), (d(0, 2), vec![3, 4, 5]));
        let future = t.subscribe(&k, 40, page);
        assert_eq!(
            (future.discontinuity, numbers(&future)),
            (d(39, 5), Vec::<u64>::new())
        );
        let other_page = t.subscribe(&k, 4, page - 1);
        assert_eq!(
            (other_page.discontinuity, numbers(&other_page)),
            (d(0, 2), vec![3, 4, 5])
        );
    }

    #[test]
    fn histories_are_bounded_per_topic_and_together_oldest_first() {
        let one = charge(&message("xxxxxxxxxx"));
        let mut t = Topics::new(limits(100, 3 * one, 5 * one));
        let (a, b) = (key("a"), key("b"));
        for _ in 0..4 {
            t.publish(&a, message("xxxxxxxxxx"));
        }
        // Bytes per topic: 3 kept.
        assert_eq!(numbers(&t.subscribe(&a, 0, 0)), vec![2, 3, 4]);
        for _ in 0..3 {
            t.publish(&b, message("xxxxxxxxxx"));
        }
        // Six together pass five: a's oldest goes.
        assert_eq!(t.total_bytes(), 5 * one);
        assert_eq!(numbers(&t.subscribe(&a, 0, 0)), vec![3, 4]);
        assert_eq!(numbers(&t.subscribe(&b, 0, 0)), vec![1, 2, 3]);
        // A message too large for any history empties the topic's (kept, with its numbers, by
        // its subscriber).
        let _held = t.subscribe(&b, 0, 0);
        let mut big = message("");
        big.publisher_id = "p".repeat(4 * one);
        assert_eq!(t.publish(&b, big), 4);
        let after = t.subscribe(&b, 2, 0);
        assert_eq!(numbers(&after), Vec::<u64>::new());
        assert_eq!(after.discontinuity.map(|d| d.new_topic_sequence), Some(4));
    }

    #[test]
    fn an_unused_topic_is_forgotten_and_comes_back_on_a_later_page() {
        let mut t = Topics::new(limits(1, 1 << 20, 1 << 20));
        let k = key("t");
        let first = t.subscribe(&k, 0, 0);
        let page = first.page;
        drop(first);
        t.forget_if_unused(&k);
        assert!(t.is_empty());
        t.publish(&k, message("a"));
        let again = t.subscribe(&k, 0, 0);
        assert!(again.page > page);
        assert_eq!(numbers(&again), vec![1]);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn live_messages_follow_the_replay_without_a_gap() {
        let mut t = Topics::new(limits(2, 1 << 20, 1 << 20));
        let k = key("t");
        t.publish(&k, message("1"));
        let mut s = t.subscribe(&k, 1, 0);
        t.publish(&k, message("2"));
        assert_eq!(numbers(&s), vec![1]);
        assert_eq!(s.rx.try_recv().unwrap().topic_sequence_number, 2);
    }
}
