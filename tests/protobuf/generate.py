"""Writes the protobuf corpus with Momento's own Python SDK (`pip install momento==1.29.1`).

Each case is a permission scope built with the SDK's classes and turned into its `Permissions`
message by the SDK's own conversion (the bytes it sends when it mints a key or a token), written
as `NAME.binpb`, beside `NAME.json`: the same permissions in Momento's scope JSON, written by hand,
which fgac must read as the same document. Run it from the repository root:

    python3 tests/protobuf/generate.py
"""

import json
import pathlib

from momento.auth.access_control.disposable_token_scope import (
    AllCacheItems,
    CacheItemKey,
    CacheItemKeyPrefix,
    CacheItemSelector,
    DisposableTokenCachePermission,
    DisposableTokenCachePermissions,
    DisposableTokenScope,
)
from momento.auth.access_control.permission_scope import (
    ALL_DATA_READ_WRITE,
    AllCaches,
    AllTopics,
    CacheName,
    CachePermission,
    CacheRole,
    CacheSelector,
    Permissions,
    PermissionScope,
    TopicName,
    TopicPermission,
    TopicRole,
    TopicSelector,
)
from momento.internal._utilities._permissions import (
    SuperuserPermissions,
    permissions_from_disposable_token_scope,
    permissions_from_permission_scope,
)

HERE = pathlib.Path(__file__).parent


def cache(role, name):
    return CachePermission(CacheSelector(name), role)


def item(role, name, selector):
    return DisposableTokenCachePermission(CacheSelector(name), role, CacheItemSelector(selector))


def topic(role, name, selector):
    return TopicPermission(role, CacheSelector(name), TopicSelector(selector))


# name -> (kind, SDK scope, Momento scope JSON)
CASES = {
    "api_key_readonly_one_cache": (
        "api_key",
        Permissions([cache(CacheRole.READ_ONLY, "c")]),
        [{"role": "readonly", "cache": "c"}],
    ),
    "api_key_all_data_read_write": (
        "api_key",
        ALL_DATA_READ_WRITE,
        [
            {"role": "readwrite", "cache": "*"},
            {"role": "publishsubscribe", "cache": "*", "topic": "*"},
        ],
    ),
    "api_key_super_user": ("api_key", SuperuserPermissions(), None),
    "api_key_mixed": (
        "api_key",
        Permissions(
            [
                cache(CacheRole.READ_WRITE, AllCaches()),
                cache(CacheRole.WRITE_ONLY, CacheName("logs")),
                topic(TopicRole.SUBSCRIBE_ONLY, "events", "orders"),
                topic(TopicRole.PUBLISH_ONLY, AllCaches(), TopicName("alerts")),
                topic(TopicRole.PUBLISH_SUBSCRIBE, "chat", AllTopics()),
            ]
        ),
        [
            {"role": "readwrite", "cache": "*"},
            {"role": "writeonly", "cache": "logs"},
            {"role": "subscribeonly", "cache": "events", "topic": "orders"},
            {"role": "publishonly", "cache": "*", "topic": "alerts"},
            {"role": "publishsubscribe", "cache": "chat", "topic": "*"},
        ],
    ),
    "api_key_unicode_names": (
        "api_key",
        Permissions(
            [
                cache(CacheRole.READ_ONLY, "café"),
                topic(TopicRole.PUBLISH_SUBSCRIBE, "données", "日本"),
            ]
        ),
        [
            {"role": "readonly", "cache": "café"},
            {"role": "publishsubscribe", "cache": "données", "topic": "日本"},
        ],
    ),
    "token_item_selectors": (
        "token",
        DisposableTokenCachePermissions(
            [
                item(CacheRole.READ_WRITE, "sessions", CacheItemKey("user:1")),
                item(CacheRole.READ_ONLY, "sessions", CacheItemKeyPrefix("public/")),
                item(CacheRole.WRITE_ONLY, "logs", AllCacheItems()),
                item(CacheRole.READ_ONLY, AllCaches(), CacheItemKeyPrefix("shared:")),
                item(CacheRole.READ_ONLY, "ключи", "ключ"),
            ]
        ),
        [
            {"role": "readwrite", "cache": "sessions", "item": {"key": "user:1"}},
            {"role": "readonly", "cache": "sessions", "item": {"keyPrefix": "public/"}},
            {"role": "writeonly", "cache": "logs", "item": "*"},
            {"role": "readonly", "cache": "*", "item": {"keyPrefix": "shared:"}},
            {"role": "readonly", "cache": "ключи", "item": {"key": "ключ"}},
        ],
    ),
    "token_topics": (
        "token",
        Permissions(
            [
                topic(TopicRole.SUBSCRIBE_ONLY, AllCaches(), AllTopics()),
                topic(TopicRole.PUBLISH_ONLY, "chat", "room-1"),
            ]
        ),
        [
            {"role": "subscribeonly", "cache": "*", "topic": "*"},
            {"role": "publishonly", "cache": "chat", "topic": "room-1"},
        ],
    ),
}


def main():
    for name, (kind, scope, permissions) in CASES.items():
        if kind == "token":
            message = permissions_from_disposable_token_scope(DisposableTokenScope(scope))
        else:
            message = permissions_from_permission_scope(PermissionScope(scope))
        (HERE / f"{name}.binpb").write_bytes(message.SerializeToString())
        document = {"super_user": True} if permissions is None else {"permissions": permissions}
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
