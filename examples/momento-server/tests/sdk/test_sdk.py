"""The server driven by Momento's unmodified Python SDK: data round trips, fgac's decisions as the
SDK's own errors, minting, revocation, live policy edits. Every wait is bounded."""

import base64
import json
import re
import threading
import time
import uuid
from datetime import timedelta

import pytest
from conftest import wait_until
from momento.auth.access_control.disposable_token_scopes import DisposableTokenScopes
from momento.errors import MomentoErrorCode
from momento.responses import (
    CacheDelete,
    CacheDictionaryFetch,
    CacheDictionaryGetField,
    CacheDictionaryIncrement,
    CacheGet,
    CacheIncrement,
    CacheListFetch,
    CacheListLength,
    CacheListPopFront,
    CacheListPushBack,
    CacheSet,
    CacheSetFetch,
    CacheSetIfNotExists,
    CacheSortedSetFetch,
    CacheSortedSetGetRank,
    CacheSortedSetGetScore,
    CacheSortedSetIncrementScore,
    CreateCache,
    DeleteCache,
    GenerateDisposableToken,
    ListCaches,
    TopicPublish,
    TopicSubscribe,
    TopicSubscriptionItem,
)
from momento.utilities import ExpiresIn


def key_of(minted):
    """The credential in a minted token as the SDK returns it (base64 of endpoint and key)."""
    return json.loads(base64.b64decode(minted.auth_token))["api_key"]


# Rust's Debug shapes, which no message the server sends may show (times are RFC 3339).
DEBUG_SHAPES = re.compile(r"(?<![A-Za-z0-9_])(Some\(|None\b|Ok\(|Err\(|At\(|Never\b|Timestamp\(|Os \{|kind: )")


def assert_no_debug_shapes(message):
    found = DEBUG_SHAPES.findall(message or "")
    assert not found, f"Rust Debug shapes {found} in a server message: {message}"


def assert_error(response, code, *fragments):
    assert hasattr(response, "error_code"), f"expected {code}, got {response!r}"
    assert response.error_code == code, response.message
    for f in fragments:
        assert f in response.message, response.message
    assert_no_debug_shapes(response.message)


def unique(prefix=""):
    return prefix + uuid.uuid4().hex[:12]


# -- data round trips, one test per type ---------------------------------------------------------


def test_scalars_round_trip(server):
    with server.cache_client(server.keys["app"]) as c:
        k = unique("k-")
        assert isinstance(c.get("app", k), CacheGet.Miss)
        assert isinstance(c.set("app", k, "v1"), CacheSet.Success)
        got = c.get("app", k)
        assert isinstance(got, CacheGet.Hit) and got.value_string == "v1"
        assert c.set_if_not_exists("app", k, "v2").__class__ is CacheSetIfNotExists.NotStored
        assert isinstance(c.set_if_not_exists("app", unique("n-"), "v2"), CacheSetIfNotExists.Stored)
        n = unique("n-")
        assert c.increment("app", n, 5).value == 5
        r = c.increment("app", n, -2)
        assert isinstance(r, CacheIncrement.Success) and r.value == 3
        assert c.get("app", n).value_string == "3"
        assert isinstance(c.delete("app", k), CacheDelete.Success)
        assert isinstance(c.get("app", k), CacheGet.Miss)


def test_items_expire_with_their_ttl(server):
    with server.cache_client(server.keys["app"]) as c:
        k = unique("ttl-")
        assert isinstance(c.set("app", k, "v", ttl=timedelta(milliseconds=300)), CacheSet.Success)
        assert isinstance(c.get("app", k), CacheGet.Hit)
        assert wait_until(lambda: isinstance(c.get("app", k), CacheGet.Miss), seconds=5)


def test_dictionaries_round_trip(server):
    with server.cache_client(server.keys["app"]) as c:
        d = unique("d-")
        c.dictionary_set_fields("app", d, {"a": "1", "b": "2"})
        assert c.dictionary_fetch("app", d).value_dictionary_string_string == {"a": "1", "b": "2"}
        got = c.dictionary_get_field("app", d, "b")
        assert isinstance(got, CacheDictionaryGetField.Hit) and got.value_string == "2"
        inc = c.dictionary_increment("app", d, "a", 41)
        assert isinstance(inc, CacheDictionaryIncrement.Success) and inc.value == 42
        c.dictionary_remove_field("app", d, "b")
        assert c.dictionary_fetch("app", d).value_dictionary_string_string == {"a": "42"}
        assert isinstance(c.dictionary_fetch("app", unique("none-")), CacheDictionaryFetch.Miss)


def test_sets_round_trip(server):
    with server.cache_client(server.keys["app"]) as c:
        s = unique("s-")
        c.set_add_elements("app", s, {"x", "y", "z"})
        c.set_remove_element("app", s, "y")
        got = c.set_fetch("app", s)
        assert isinstance(got, CacheSetFetch.Hit) and got.value_set_string == {"x", "z"}
        c.set_remove_elements("app", s, {"x", "z"})
        assert isinstance(c.set_fetch("app", s), CacheSetFetch.Miss)


def test_lists_round_trip(server):
    with server.cache_client(server.keys["app"]) as c:
        lst = unique("l-")
        assert c.list_push_back("app", lst, "b").list_length == 1
        c.list_push_front("app", lst, "a")
        r = c.list_concatenate_back("app", lst, ["c", "d"])
        assert r.list_length == 4
        assert c.list_fetch("app", lst).value_list_string == ["a", "b", "c", "d"]
        popped = c.list_pop_front("app", lst)
        assert isinstance(popped, CacheListPopFront.Hit) and popped.value_string == "a"
        c.list_remove_value("app", lst, "c")
        assert c.list_fetch("app", lst).value_list_string == ["b", "d"]
        length = c.list_length("app", lst)
        assert isinstance(length, CacheListLength.Hit) and length.length == 2
        assert isinstance(c.list_fetch("app", unique("none-")), CacheListFetch.Miss)
        assert isinstance(c.list_push_back("app", lst, "e"), CacheListPushBack.Success)


def test_sorted_sets_round_trip(server):
    with server.cache_client(server.keys["app"]) as c:
        z = unique("z-")
        c.sorted_set_put_elements("app", z, {"low": 1.0, "mid": 5.0, "high": 9.0})
        got = c.sorted_set_fetch_by_rank("app", z)
        assert isinstance(got, CacheSortedSetFetch.Hit)
        assert got.value_list_string == [("low", 1.0), ("mid", 5.0), ("high", 9.0)]
        by_score = c.sorted_set_fetch_by_score("app", z, min_score=2.0, max_score=9.0)
        assert [v for v, _ in by_score.value_list_string] == ["mid", "high"]
        inc = c.sorted_set_increment_score("app", z, "low", 10.0)
        assert isinstance(inc, CacheSortedSetIncrementScore.Success) and inc.score == 11.0
        rank = c.sorted_set_get_rank("app", z, "low")
        assert isinstance(rank, CacheSortedSetGetRank.Hit) and rank.rank == 2
        score = c.sorted_set_get_score("app", z, "mid")
        assert isinstance(score, CacheSortedSetGetScore.Hit) and score.score == 5.0
        c.sorted_set_remove_element("app", z, "mid")
        assert [v for v, _ in c.sorted_set_fetch_by_rank("app", z).value_list_string] == ["high", "low"]


def subscribe(server, key, cache, topic):
    client = server.topic_client(key)
    sub = client.subscribe(cache, topic)
    return client, sub


def next_item(sub, seconds=10):
    """The subscription's next item, or None if none arrives within `seconds` (bounded)."""
    box = []
    t = threading.Thread(target=lambda: box.append(next(sub)), daemon=True)
    t.start()
    t.join(seconds)
    return box[0] if box else None


def test_topics_fan_out_to_every_subscriber(server):
    topic = unique("t-")
    c1, s1 = subscribe(server, server.keys["app"], "app", topic)
    c2, s2 = subscribe(server, server.keys["app"], "app", topic)
    try:
        assert isinstance(s1, TopicSubscribe.Subscription) and isinstance(s2, TopicSubscribe.Subscription)
        with server.topic_client(server.keys["app"]) as pub:
            # A subscription is in place once the server has sent its first heartbeat; publish
            # until both see the message (bounded).
            deadline = time.monotonic() + 10
            got1 = got2 = None
            while time.monotonic() < deadline and got1 is None:
                assert isinstance(pub.publish("app", topic, "hello"), TopicPublish.Success)
                got1 = next_item(s1, 1)
            got2 = next_item(s2, 5)
        assert isinstance(got1, TopicSubscriptionItem.Text) and got1.value == "hello"
        assert isinstance(got2, TopicSubscriptionItem.Text) and got2.value == "hello"
    finally:
        c1.close()
        c2.close()


# -- decisions ------------------------------------------------------------------------------------


def test_denied_calls_raise_the_permission_error_with_fgacs_reason(server):
    with server.cache_client(server.keys["reader"]) as c:
        assert isinstance(c.get("app", "user:1"), CacheGet.Miss)
        assert_error(c.get("app", "admin"), MomentoErrorCode.PERMISSION_ERROR, "no_matching_grant", "get")
        assert_error(c.set("app", "user:1", "v"), MomentoErrorCode.PERMISSION_ERROR, "no_matching_grant")
    with server.cache_client(server.keys["app"]) as c:
        assert isinstance(c.get("app", "ro:config"), CacheGet.Miss)
        assert_error(c.set("app", "ro:config", "v"), MomentoErrorCode.PERMISSION_ERROR, "denied_by_rule #1")
        # Conditional writes need read and write: the deny of write covers them too.
        assert_error(c.increment("app", "ro:n", 1), MomentoErrorCode.PERMISSION_ERROR, "denied_by_rule #1")
        assert_error(c.get("other", "k"), MomentoErrorCode.PERMISSION_ERROR, "no_matching_grant")
    with server.topic_client(server.keys["reader"]) as t:
        assert_error(t.publish("app", "news", "x"), MomentoErrorCode.PERMISSION_ERROR, "publish")


def test_unknown_and_malformed_credentials_raise_the_authentication_error(server):
    forged = server.keys["app"][:-4] + ("AAAA" if not server.keys["app"].endswith("AAAA") else "BBBB")
    for key in ["not-a-credential", forged, "e30.e30.e30"]:
        with server.cache_client(key) as c:
            assert_error(c.get("app", "k"), MomentoErrorCode.AUTHENTICATION_ERROR, "fgac")


def test_networks_are_checked_against_the_peer_address(server):
    with server.cache_client(server.keys["offsite"]) as c:
        assert_error(c.get("app", "k"), MomentoErrorCode.AUTHENTICATION_ERROR, "network_not_allowed")


def test_control_plane_needs_its_rights(server):
    name = unique("cache-")
    with server.cache_client(server.keys["app"]) as c:
        assert_error(c.create_cache(name), MomentoErrorCode.PERMISSION_ERROR, "super_user_required")
        assert_error(c.list_caches(), MomentoErrorCode.PERMISSION_ERROR, "super_user_required")
    with server.cache_client(server.keys["admin"]) as c:
        assert isinstance(c.create_cache(name), CreateCache.Success)
        assert isinstance(c.create_cache(name), CreateCache.CacheAlreadyExists)
        listed = c.list_caches()
        assert isinstance(listed, ListCaches.Success)
        assert name in [x.name for x in listed.caches]
        c.set(name, "k", "v")
        assert isinstance(c.get(name, "k"), CacheGet.Hit)
        c.flush_cache(name)
        assert isinstance(c.get(name, "k"), CacheGet.Miss)
        assert isinstance(c.delete_cache(name), DeleteCache.Success)
        assert_error(c.get(name, "k"), MomentoErrorCode.NOT_FOUND_ERROR)


# -- minting, expiry, revocation ------------------------------------------------------------------


def mint(server, parent, scope, seconds, token_id=None):
    from momento.auth.access_control.disposable_token_scope import DisposableTokenProps

    with server.auth_client(server.keys[parent]) as a:
        props = DisposableTokenProps(token_id=token_id) if token_id else None
        return a.generate_disposable_token(scope, ExpiresIn.seconds(seconds), props)


def test_a_minted_token_works_is_narrower_and_expires(server):
    minted = mint(server, "minter", DisposableTokenScopes.cache_key_prefix_read_write("app", "user:7:"), 2)
    assert isinstance(minted, GenerateDisposableToken.Success), minted
    assert minted.expires_at.epoch() <= time.time() + 3
    with server.cache_client(key_of(minted)) as c:
        assert isinstance(c.set("app", "user:7:cart", "3 items"), CacheSet.Success)
        assert c.get("app", "user:7:cart").value_string == "3 items"
        # Narrower than its parent, which may write every `user:` key.
        assert_error(c.set("app", "user:8:cart", "x"), MomentoErrorCode.PERMISSION_ERROR, "no_matching_grant")
        # Expired: the same client is refused as unauthenticated.
        assert wait_until(
            lambda: getattr(c.get("app", "user:7:cart"), "error_code", None) == MomentoErrorCode.AUTHENTICATION_ERROR,
            seconds=6,
        )


def test_minting_more_than_the_caller_holds_is_refused_with_a_counterexample(server):
    refused = mint(server, "minter", DisposableTokenScopes.cache_read_write("app"), 60)
    assert_error(refused, MomentoErrorCode.PERMISSION_ERROR, "cannot mint", "cache \"app\"")
    # A key without the right to mint may not mint at all.
    assert_error(
        mint(server, "app", DisposableTokenScopes.cache_key_read_only("app", "k"), 60),
        MomentoErrorCode.PERMISSION_ERROR,
        "generate_disposable_token",
    )


def test_a_revoked_token_stops_working_on_its_next_request(server):
    minted = mint(server, "minter", DisposableTokenScopes.cache_key_prefix_read_write("app", "user:9:"), 300)
    assert isinstance(minted, GenerateDisposableToken.Success), minted
    with server.cache_client(key_of(minted)) as c:
        assert isinstance(c.set("app", "user:9:a", "v"), CacheSet.Success)
        server.revoke(key_of(minted))
        assert wait_until(
            lambda: getattr(c.get("app", "user:9:a"), "error_code", None) == MomentoErrorCode.AUTHENTICATION_ERROR,
            seconds=5,
        )
        assert "revoked" in c.get("app", "user:9:a").message


def stream_status(sub, seconds):
    """How the gRPC stream under an SDK subscription ended: (code, details), or None while it runs.

    The SDK's subscription iterator retries a failed stream forever without surfacing the error
    (its own "TODO: attempt reconnect"), so the test reads the status off the SDK's call object.
    """
    call = sub._client_stream

    def drain():
        # gRPC delivers a stream's status after its messages: read (and drop) what is pending.
        try:
            for _ in call:
                pass
        except Exception:
            pass

    threading.Thread(target=drain, daemon=True).start()
    if not wait_until(call.done, seconds=seconds):
        return None
    return call.code().name, call.details()


def test_a_subscription_ends_when_its_token_is_revoked(server):
    minted = mint(server, "minter", DisposableTokenScopes.topic_subscribe_only("app", "news-1"), 300, token_id="sub-1")
    assert isinstance(minted, GenerateDisposableToken.Success), minted
    client, sub = subscribe(server, key_of(minted), "app", "news-1")
    try:
        assert isinstance(sub, TopicSubscribe.Subscription), sub
        with server.topic_client(server.keys["minter"]) as pub:
            got = None
            deadline = time.monotonic() + 10
            while got is None and time.monotonic() < deadline:
                pub.publish("app", "news-1", "before")
                got = next_item(sub, 1)
        assert isinstance(got, TopicSubscriptionItem.Text) and got.value == "before"
        assert stream_status(sub, 0.5) is None
        server.revoke(key_of(minted))
        status = stream_status(sub, 5)
        assert status is not None and status[0] == "UNAUTHENTICATED" and "revoked" in status[1], status
        # Subscribing again is refused through the SDK's own error.
        with server.topic_client(key_of(minted)) as t:
            assert_error(t.subscribe("app", "news-1"), MomentoErrorCode.AUTHENTICATION_ERROR, "revoked")
    finally:
        client.close()


def test_a_subscription_ends_when_its_token_expires(server):
    minted = mint(server, "minter", DisposableTokenScopes.topic_subscribe_only("app", "news-2"), 2)
    client, sub = subscribe(server, key_of(minted), "app", "news-2")
    try:
        assert isinstance(sub, TopicSubscribe.Subscription), sub
        status = stream_status(sub, 6)
        assert status is not None and status[0] == "UNAUTHENTICATED" and "expired" in status[1], status
    finally:
        client.close()


# -- live policy ----------------------------------------------------------------------------------


def test_a_policy_edit_takes_effect_without_reconnecting(server):
    original = server.policy.read_text()
    with server.cache_client(server.keys["reader"]) as c:
        assert_error(c.get("app", "team:1"), MomentoErrorCode.PERMISSION_ERROR, "no_matching_grant")
        try:
            server.policy.write_text(original.replace('items prefix "user:"', 'items prefix "team:"'))
            assert wait_until(lambda: isinstance(c.get("app", "team:1"), CacheGet.Miss), seconds=5)
            assert_error(c.get("app", "user:1"), MomentoErrorCode.PERMISSION_ERROR, "no_matching_grant")
            # A broken edit keeps the last good policy.
            server.policy.write_text(original.replace("allow readonly", "allow readonly-ish"))
            time.sleep(0.5)
            assert isinstance(c.get("app", "team:1"), CacheGet.Miss)
        finally:
            server.policy.write_text(original)
        assert wait_until(lambda: isinstance(c.get("app", "user:1"), CacheGet.Miss), seconds=5)


# -- strict minting ------------------------------------------------------------------------------


def _field(tag, body):
    """A length-delimited protobuf field, written by hand (what the SDK's stubs cannot write)."""
    head = bytes([(tag << 3) | 2])
    n, size = len(body), b""
    while True:
        byte = n & 0x7F
        n >>= 7
        size += bytes([byte | (0x80 if n else 0)])
        if not n:
            break
    return head + size + body


def test_mint_permissions_are_read_as_strictly_as_fgac_convert_reads_them(server):
    """GenerateDisposableToken through the SDK's own generated stubs (momento_wire_types) with
    messages prost would read leniently: each is refused, as `fgac convert` refuses the same
    bytes, and the well-formed message they are made from is minted."""
    import subprocess
    import os
    import grpc
    from momento_wire_types.generated import permissionmessages_pb2 as pm
    from momento_wire_types.generated import token_pb2

    key = server.keys["minter"]
    cache_permissions = pm.PermissionsType.CachePermissions(
        role=pm.CacheReadOnly,
        cache_selector=pm.PermissionsType.CacheSelector(cache_name="app"),
        item_selector=pm.PermissionsType.CacheItemSelector(key_prefix=b"user:7:"),
    ).SerializeToString()

    def permissions(inner):
        return _field(2, _field(1, _field(1, inner)))

    request = token_pb2._GenerateDisposableTokenRequest(
        expires=token_pb2._GenerateDisposableTokenRequest.Expires(valid_for_seconds=60),
        auth_token=key,
    ).SerializeToString()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    call = channel.unary_unary(
        "/token.Token/GenerateDisposableToken",
        request_serializer=lambda b: b,
        response_deserializer=token_pb2._GenerateDisposableTokenResponse.FromString,
    )

    def mint(message):
        return call(message, metadata=(("authorization", key),), timeout=10)

    good = permissions(cache_permissions)
    assert mint(request + _field(3, good)).api_key
    cases = {
        "a role given twice": permissions(cache_permissions + bytes([0x08, pm.CacheReadWrite])),
        "the item oneof set twice": permissions(cache_permissions + _field(4, b"")),
        "an unknown field": permissions(cache_permissions + _field(9, b"x")),
    }
    for what, perms in cases.items():
        with pytest.raises(grpc.RpcError) as refused:
            mint(request + _field(3, perms))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, what
        assert "the permissions do not read" in refused.value.details(), refused.value.details()
        assert_no_debug_shapes(refused.value.details())
        # The command line refuses the same bytes.
        path = server.state / "case.binpb"
        path.write_bytes(perms)
        out = subprocess.run([os.environ["FGAC_BIN"], "check", str(path)], capture_output=True, timeout=30)
        assert out.returncode == 1, (what, out.stderr)
    with pytest.raises(grpc.RpcError) as refused:
        mint(request + _field(3, good) + _field(3, good))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "given twice" in refused.value.details()
    channel.close()
