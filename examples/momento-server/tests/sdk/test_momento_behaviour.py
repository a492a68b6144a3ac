"""The server behaves as Momento does where Momento's SDK depends on it: topic history and resume
(cachepubsub.proto), and Momento's service limits, each at the limit accepted and one past
refused with the SDK's matching error type. Discontinuities, which the Python SDK reads and drops,
are checked on the stream itself through the SDK's own generated stubs (momento_wire_types).
Every wait is bounded."""

import threading
import time
import uuid
from datetime import timedelta

import grpc
import pytest
from conftest import launch, wait_until
from momento.errors import MomentoErrorCode
from momento.requests import CollectionTtl
from momento.responses import (
    CacheDictionarySetField,
    CacheGet,
    CacheListPushBack,
    CacheSet,
    CreateCache,
    ListSigningKeys,
    TopicPublish,
    TopicSubscribe,
    TopicSubscriptionItem,
)
from momento_wire_types.generated import cacheclient_pb2 as scs
from momento_wire_types.generated import cachepubsub_pb2 as pubsub
from test_sdk import assert_error, next_item

MIB = 1024 * 1024
ITEM_LIMIT = 5 * MIB
ELEMENT_LIMIT = 128 * 1024
MESSAGE_LIMIT = 4096
TTL_LIMIT = timedelta(hours=24)
HISTORY = 100


def unique(prefix):
    return prefix + uuid.uuid4().hex[:12]


# -- the raw stream, through the SDK's generated stubs -----------------------------------------


class RawSubscription:
    """A Subscribe stream read item by item, discontinuities and heartbeats included."""

    def __init__(self, server, key, cache, topic, resume=0, page=0, options=()):
        self.channel = grpc.insecure_channel(f"127.0.0.1:{server.port}", options=list(options))
        call = self.channel.unary_stream(
            "/cache_client.pubsub.Pubsub/Subscribe",
            request_serializer=pubsub._SubscriptionRequest.SerializeToString,
            response_deserializer=pubsub._SubscriptionItem.FromString,
        )
        request = pubsub._SubscriptionRequest(
            cache_name=cache, topic=topic, resume_at_topic_sequence_number=resume, sequence_page=page
        )
        self.stream = call(request, metadata=(("authorization", key),), timeout=60)

    def next(self, seconds=10):
        """The next item: (kind, message), or None if none arrives within `seconds`; the
        stream's status, raised, when it ends."""
        box = []

        def read():
            try:
                box.append(next(self.stream))
            except grpc.RpcError as e:
                box.append(e)

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(seconds)
        if not box:
            return None
        item = box[0]
        if isinstance(item, grpc.RpcError):
            raise item
        kind = item.WhichOneof("kind")
        return kind, getattr(item, kind)

    def next_not_heartbeat(self, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.next(max(0.1, deadline - time.monotonic()))
            if got is None or got[0] != "heartbeat":
                return got
        return None

    def close(self):
        self.stream.cancel()
        self.channel.close()


def publish_all(server, key, cache, topic, values):
    with server.topic_client(key) as pub:
        for v in values:
            assert isinstance(pub.publish(cache, topic, v), TopicPublish.Success)


def page_of(server, key, topic):
    """The sequence page of `topic`, from a fresh subscription's first replayed item."""
    s = RawSubscription(server, key, "app", topic)
    try:
        assert s.next()[0] == "heartbeat"
        kind, item = s.next_not_heartbeat()
        assert kind == "item"
        return item.sequence_page
    finally:
        s.close()


# -- topics ----------------------------------------------------------------------------------


def test_a_message_published_before_subscribing_is_delivered(server):
    topic = unique("h-")
    publish_all(server, server.keys["app"], "app", topic, ["early"])
    with server.topic_client(server.keys["app"]) as client:
        sub = client.subscribe("app", topic)
        assert isinstance(sub, TopicSubscribe.Subscription), sub
        got = next_item(sub, 10)
        assert isinstance(got, TopicSubscriptionItem.Text), got
        assert (got.value, got.sequence_number) == ("early", 1)
        assert got.sequence_page > 0


def test_a_resume_point_is_inclusive_and_on_the_topics_page(server):
    topic = unique("r-")
    publish_all(server, server.keys["app"], "app", topic, ["one", "two", "three"])
    page = page_of(server, server.keys["app"], topic)
    with server.topic_client(server.keys["app"]) as client:
        sub = client.subscribe("app", topic, resume_at_topic_sequence_number=2, resume_at_topic_sequence_page=page)
        got = [next_item(sub, 10) for _ in range(2)]
        assert [(g.value, g.sequence_number, g.sequence_page) for g in got] == [("two", 2, page), ("three", 3, page)]
        # Live messages follow the replay without a gap.
        publish_all(server, server.keys["app"], "app", topic, ["four"])
        got = next_item(sub, 10)
        assert (got.value, got.sequence_number) == ("four", 4)


def test_a_subscription_starts_with_a_heartbeat_then_replays(server):
    topic = unique("f-")
    publish_all(server, server.keys["app"], "app", topic, ["a"])
    s = RawSubscription(server, server.keys["app"], "app", topic)
    try:
        assert s.next()[0] == "heartbeat"
        kind, item = s.next()
        assert kind == "item" and item.topic_sequence_number == 1 and item.value.text == "a"
    finally:
        s.close()


def test_points_the_history_cannot_serve_get_a_discontinuity_then_messages(server):
    """Too old (before the history's 100 messages), in the future, and on another page: each is
    told where the stream really resumes (the number after which items come), then gets them."""
    key = server.keys["app"]
    topic = unique("d-")
    total = HISTORY + 5
    publish_all(server, key, "app", topic, [str(i) for i in range(1, total + 1)])
    page = page_of(server, key, topic)
    first_kept = total - HISTORY + 1

    def starts(resume, asked_page, expected):
        s = RawSubscription(server, key, "app", topic, resume=resume, page=asked_page)
        try:
            assert s.next()[0] == "heartbeat"
            kind, d = s.next()
            assert kind == "discontinuity", (kind, d)
            assert (d.last_topic_sequence, d.new_topic_sequence, d.new_sequence_page) == expected
            if d.new_topic_sequence < total:
                kind, item = s.next()
                assert kind == "item" and item.topic_sequence_number == d.new_topic_sequence + 1
            else:
                publish_all(server, key, "app", topic, ["next"])
                kind, item = s.next_not_heartbeat()
                assert kind == "item" and item.topic_sequence_number == total + 1
        finally:
            s.close()

    starts(1, page, (0, first_kept - 1, page))  # too old
    starts(3, page - 1, (0, first_kept - 1, page))  # another page (a reset topic)
    starts(500, page, (499, total, page))  # beyond the last message


@pytest.fixture(scope="module")
def deep_server(tmp_path_factory):
    """A server whose topics keep 2,000 messages (16 MiB): a replay longer than the transport
    holds, so that part of it is still to be sent when a test changes something."""
    yield from launch(
        tmp_path_factory.mktemp("deep"),
        ["--topic-history-messages", "2000", "--topic-history-bytes", str(16 * MIB)],
    )


def test_a_replayed_message_is_delivered_only_if_the_subscriber_may_subscribe_when_sent(deep_server):
    """The replay is decided message by message, as live messages are: a credential revoked while
    its replay is under way gets the authentication error instead of the rest of the history."""
    from momento.auth.access_control.disposable_token_scopes import DisposableTokenScopes
    from test_sdk import key_of, mint

    server = deep_server
    topic = "news-" + uuid.uuid4().hex[:8]
    count = 2000
    value = "x" * (MESSAGE_LIMIT - 16)
    publish_all(server, server.keys["minter"], "app", topic, [f"{i:08d}{value}" for i in range(count)])
    minted = mint(server, "minter", DisposableTokenScopes.topic_subscribe_only("app", topic), 300)
    key = key_of(minted)
    sub = RawSubscription(server, key, "app", topic, options=[("grpc.http2.bdp_probe", 0)])
    try:
        assert sub.next()[0] == "heartbeat"
        kind, item = sub.next()
        assert kind == "item" and item.topic_sequence_number == 1
        server.revoke(key)
        with server.topic_client(key) as t:
            assert wait_until(lambda: hasattr(t.subscribe("app", topic), "error_code"), seconds=10)
        received = 1
        with pytest.raises(grpc.RpcError) as e:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                got = sub.next(5)
                assert got is not None, "the stream neither went on nor ended"
                received += got[0] == "item"
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED and "revoked" in e.value.details()
        assert received < count, received
    finally:
        sub.close()


def test_a_subscriber_that_reads_nothing_is_skipped_forward_not_buffered(server):
    """A subscriber that stops reading holds a bounded amount (its buffer, then the transport's
    windows); past that it is skipped to the oldest message still buffered, told so with a
    discontinuity, and the server stays responsive meanwhile."""
    key = server.keys["app"]
    topic = unique("s-")
    # No window growth on the client: the transport stops taking messages early.
    slow = RawSubscription(server, key, "app", topic, options=[("grpc.http2.bdp_probe", 0)])
    published = 2000
    try:
        assert slow.next()[0] == "heartbeat"
        value = "x" * (MESSAGE_LIMIT - 16)
        start = time.monotonic()
        publish_all(server, key, "app", topic, [f"{i:08d}{value}" for i in range(published)])
        publishing = time.monotonic() - start
        # Meanwhile every other call is served.
        with server.cache_client(key) as c:
            t0 = time.monotonic()
            assert isinstance(c.get("app", "user:none"), CacheGet.Miss)
            assert time.monotonic() - t0 < 2
        received, told, last = 0, [], 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and last < published:
            got = slow.next(5)
            if got is None:
                break
            kind, item = got
            if kind == "discontinuity":
                assert item.last_topic_sequence == last
                assert item.new_topic_sequence > last
                told.append(item)
                last = item.new_topic_sequence
            elif kind == "item":
                assert item.topic_sequence_number == last + 1, (item.topic_sequence_number, last)
                last = item.topic_sequence_number
                received += 1
        assert last == published, last
        assert told, f"no discontinuity: {received} of {published} received ({publishing:.1f} s publishing)"
        assert received < published
    finally:
        slow.close()
    log = (server.state.parent / "server.log").read_text()
    assert "fell behind and was skipped past" in log


# -- limits ----------------------------------------------------------------------------------


def test_an_item_of_5_mib_round_trips_and_one_byte_more_is_the_item_size_limit(server):
    key = "big:" + uuid.uuid4().hex[:8]
    value = b"v" * (ITEM_LIMIT - len(key))
    with server.cache_client(server.keys["admin"]) as c:
        assert isinstance(c.set("app", key, value), CacheSet.Success)
        got = c.get("app", key)
        assert isinstance(got, CacheGet.Hit) and got.value_bytes == value
        assert_error(c.set("app", key, value + b"v"), MomentoErrorCode.LIMIT_EXCEEDED_ERROR, "item size limit")
        # The refused write left the item as it was.
        assert c.get("app", key).value_bytes == value


def test_a_request_past_the_transport_limit_is_the_request_size_limit(server):
    """Larger than the SDK sends (it caps messages at 5,243,000 bytes): a raw call with 7 MiB."""
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}", options=[("grpc.max_send_message_length", 8 * MIB)])
    call = channel.unary_unary(
        "/cache_client.Scs/Set",
        request_serializer=scs._SetRequest.SerializeToString,
        response_deserializer=scs._SetResponse.FromString,
    )
    with pytest.raises(grpc.RpcError) as e:
        call(
            scs._SetRequest(cache_key=b"huge", cache_body=b"x" * (7 * MIB)),
            metadata=(("authorization", server.keys["admin"]), ("cache", "app")),
            timeout=30,
        )
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "request size limit" in e.value.details()
    assert dict(e.value.trailing_metadata()).get("err") == "request_size_limit_exceeded"
    channel.close()


def test_a_collection_element_of_128_kib_is_accepted_and_one_byte_more_refused(server):
    name = "user:dict:" + uuid.uuid4().hex[:8]
    with server.cache_client(server.keys["app"]) as c:
        ok = c.dictionary_set_field("app", name, "f", b"e" * ELEMENT_LIMIT)
        assert isinstance(ok, CacheDictionarySetField.Success), ok
        refused = c.dictionary_set_field("app", name, "f", b"e" * (ELEMENT_LIMIT + 1))
        assert_error(refused, MomentoErrorCode.LIMIT_EXCEEDED_ERROR, "element size limit")


def test_a_time_to_live_of_24_hours_is_accepted_and_a_millisecond_more_refused(server):
    over = TTL_LIMIT + timedelta(milliseconds=1)
    with server.cache_client(server.keys["app"]) as c:
        assert isinstance(c.set("app", "user:ttl", "v", ttl=TTL_LIMIT), CacheSet.Success)
        assert_error(c.set("app", "user:ttl", "v", ttl=over), MomentoErrorCode.INVALID_ARGUMENT_ERROR, "time to live limit")
        ok = c.list_push_back("app", "user:ttl-list", "v", ttl=CollectionTtl.of(TTL_LIMIT))
        assert isinstance(ok, CacheListPushBack.Success), ok
        refused = c.list_push_back("app", "user:ttl-list", "v", ttl=CollectionTtl.of(over))
        assert_error(refused, MomentoErrorCode.INVALID_ARGUMENT_ERROR, "time to live limit")
    # UpdateTtl (which the Python SDK does not call) through the generated stubs.
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    call = channel.unary_unary(
        "/cache_client.Scs/UpdateTtl",
        request_serializer=scs._UpdateTtlRequest.SerializeToString,
        response_deserializer=scs._UpdateTtlResponse.FromString,
    )
    md = (("authorization", server.keys["app"]), ("cache", "app"))
    limit_ms = int(TTL_LIMIT.total_seconds() * 1000)
    assert call(scs._UpdateTtlRequest(cache_key=b"user:ttl", overwrite_to_milliseconds=limit_ms), metadata=md, timeout=10).HasField("set")
    with pytest.raises(grpc.RpcError) as e:
        call(scs._UpdateTtlRequest(cache_key=b"user:ttl", overwrite_to_milliseconds=limit_ms + 1), metadata=md, timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "time to live limit" in e.value.details()
    channel.close()


def test_a_topic_message_of_4096_bytes_is_accepted_and_one_byte_more_refused(server):
    topic = unique("m-")
    with server.topic_client(server.keys["app"]) as t:
        assert isinstance(t.publish("app", topic, b"m" * MESSAGE_LIMIT), TopicPublish.Success)
        refused = t.publish("app", topic, b"m" * (MESSAGE_LIMIT + 1))
        assert_error(refused, MomentoErrorCode.LIMIT_EXCEEDED_ERROR, "topic message size limit")


def test_a_cache_holds_100_subscriptions_and_refuses_the_next(server):
    from momento import TopicClient, TopicConfigurations

    cache = unique("subs-")
    with server.cache_client(server.keys["admin"]) as c:
        assert isinstance(c.create_cache(cache), CreateCache.Success)
    client = TopicClient(TopicConfigurations.Default.v1().with_max_subscriptions(101), server.provider(server.keys["admin"]))
    subs = []
    try:
        for i in range(100):
            sub = client.subscribe(cache, f"t{i % 7}")
            assert isinstance(sub, TopicSubscribe.Subscription), (i, sub)
            subs.append(sub)
        assert_error(client.subscribe(cache, "t0"), MomentoErrorCode.LIMIT_EXCEEDED_ERROR, "subscriptions limit")
        # Another cache has its own count.
        other = client.subscribe("app", unique("t-"))
        assert isinstance(other, TopicSubscribe.Subscription), other
        subs.append(other)
        # One ends: one more may start.
        subs.pop(0).unsubscribe()
        assert wait_until(lambda: isinstance(_try(client, cache, subs), TopicSubscribe.Subscription), seconds=10)
    finally:
        for s in subs:
            s.unsubscribe()
        client.close()


def _try(client, cache, subs):
    sub = client.subscribe(cache, "t0")
    if isinstance(sub, TopicSubscribe.Subscription):
        subs.append(sub)
    return sub


def test_cache_names_follow_the_documented_rule(server):
    with server.cache_client(server.keys["admin"]) as c:
        longest = "n" * 255
        assert isinstance(c.create_cache(longest), CreateCache.Success)
        c.delete_cache(longest)
        assert_error(c.create_cache("n" * 256), MomentoErrorCode.INVALID_ARGUMENT_ERROR, "1 to 255 characters")
        for bad in ["has space", "slash/", "tab\t", "ünicode"]:
            assert_error(c.create_cache(bad), MomentoErrorCode.INVALID_ARGUMENT_ERROR, "ASCII letters, digits")


def test_signing_keys_are_listed_with_an_expiry_every_sdk_reads(server):
    with server.cache_client(server.keys["admin"]) as c:
        listed = c.list_signing_keys()
        assert isinstance(listed, ListSigningKeys.Success), listed
        assert listed.signing_keys
        for k in listed.signing_keys:
            assert k.expires_at.year == 9999, k
