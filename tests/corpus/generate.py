#!/usr/bin/env python3
"""Writes tests/corpus/*.json. Every expectation below is written by hand: edit here, then run
`python3 tests/corpus/generate.py` from the repository root (or this folder) and commit both."""
import json, os
os.chdir(os.path.dirname(os.path.abspath(__file__)))
def I(key, op, cache, item, expect, **kw):
    d = {"key": key, "op": op, "cache": cache, "item": item, "expect": expect}
    if key is None: del d["key"]
    d.update(kw); return d
def T(key, op, cache, topic, expect, **kw):
    d = {"key": key, "op": op, "cache": cache, "topic": topic, "expect": expect}
    if key is None: del d["key"]
    d.update(kw); return d
def K(name, perms, kind="api_key", expires="never", **kw):
    d = {"name": name, "kind": kind, "expires_at": expires}
    d.update(kw)
    if perms == "super": d["super_user"] = True
    else: d["permissions"] = perms
    return d
def P(role, cache, item=None, topic=None, effect=None):
    d = {}
    if effect: d["effect"] = effect
    d["role"] = role; d["cache"] = cache
    if item is not None: d["item"] = item
    if topic is not None: d["topic"] = topic
    return d
def write(name, description, suites=(), invalid=()):
    out = {"description": description, "suites": list(suites), "invalid": list(invalid)}
    lines = json.dumps(out, indent=1)
    open(name, "w").write(lines + "\n")

# ---------------------------------------------------------------- roles
roles_doc = {"credentials": [
    K("rw", [P("readwrite", "c")]), K("ro", [P("readonly", "c")]), K("wo", [P("writeonly", "c")]),
    K("ps", [P("publishsubscribe", "c")]), K("so", [P("subscribeonly", "c")]), K("po", [P("publishonly", "c")]),
]}
A, N = "allow", "no_matching_grant"
cases = []
# (op, rw, ro, wo)
matrix = [
 ("get", A, A, N), ("get_batch", A, A, N), ("keys_exist", A, A, N), ("key_exists", A, A, N),
 ("item_get_type", A, A, N), ("item_get_ttl", A, A, N),
 ("set", A, N, A), ("set_batch", A, N, A), ("delete", A, N, A),
 ("increment", A, N, N), ("set_if_not_exists", A, N, N), ("set_if_absent", A, N, N),
 ("set_if_present", A, N, N), ("set_if_equal", A, N, N), ("set_if_not_equal", A, N, N),
 ("set_if_present_and_not_equal", A, N, N), ("set_if_absent_or_equal", A, N, N),
 ("update_ttl", A, N, N), ("increase_ttl", A, N, N), ("decrease_ttl", A, N, N),
 ("dictionary_fetch", A, A, N), ("dictionary_get_field", A, A, N), ("dictionary_length", A, A, N),
 ("dictionary_set_field", A, N, A), ("dictionary_remove_fields", A, N, A), ("dictionary_increment", A, N, N),
 ("set_fetch", A, A, N), ("set_contains_element", A, A, N), ("set_sample", A, A, N),
 ("set_add_element", A, N, A), ("set_remove_elements", A, N, A), ("set_pop", A, N, N),
 ("list_fetch", A, A, N), ("list_length", A, A, N), ("list_push_front", A, N, N), ("list_push_back", A, N, N),
 ("list_concatenate_back", A, N, N), ("list_pop_front", A, N, N), ("list_retain", A, N, N), ("list_remove_value", A, N, A),
 ("sorted_set_fetch_by_rank", A, A, N), ("sorted_set_get_score", A, A, N), ("sorted_set_length_by_score", A, A, N),
 ("sorted_set_put_element", A, N, A), ("sorted_set_remove_elements", A, N, A), ("sorted_set_increment_score", A, N, N),
 ("sorted_set_union_store", A, N, N),
]
for op, rw, ro, wo in matrix:
    for key, exp in (("rw", rw), ("ro", ro), ("wo", wo)):
        cases.append(I(key, op, "c", "k", exp))
# topic roles
for key, pub, sub in (("ps", A, A), ("so", N, A), ("po", A, N)):
    cases.append(T(key, "publish", "c", "t", pub)); cases.append(T(key, "subscribe", "c", "t", sub))
    cases.append(I(key, "get", "c", "k", N)); cases.append(I(key, "set", "c", "k", N))
# cache grants give no topic rights, and the reverse
for key in ("rw", "ro", "wo"):
    cases.append(T(key, "publish", "c", "k", N)); cases.append(T(key, "subscribe", "c", "k", N))
# another cache
cases.append(I("rw", "get", "other", "k", N)); cases.append(T("ps", "publish", "other", "t", N))
write("roles.json", "every role against every class of operation: read, blind write, conditional write, publish, subscribe",
      [{"name": "one key per role on cache c", "document": roles_doc, "cases": cases}])

# ---------------------------------------------------------------- selectors
A, N = "allow", "no_matching_grant"
sel_doc = {"credentials": [
  K("items", [
     P("readonly", "data", {"key": "foo"}),
     P("readwrite", "data", {"keyPrefix": "user:"}),
     P("readonly", "data", {"key": ""}),
     P("writeonly", "data", {"keyBase64": "/wA="}),
     P("readonly", "data", {"keyPrefixBase64": "gIE="}),
     P("readwrite", "data", {"key": "user"}),
  ]),
  K("caches", [
     P("readonly", "*", {"key": "shared"}),
     P("readwrite", "prod"),
     P("readonly", {"namePrefix": "tmp-"}),
     P("writeonly", {"namePrefix": "tmp-scratch"}),
     P("readwrite", {"name": "tmp-locked"}, {"keyPrefix": "mine/"}),
     P("readonly", {"name": "tmp-scratch"}, {"key": "own"}),
  ]),
  K("topics", [
     P("publishsubscribe", "chat", topic={"namePrefix": "room-"}),
     P("subscribeonly", "*", topic="announcements"),
     P("publishonly", "chat", topic={"name": "room-admin"}),
     P("subscribeonly", {"namePrefix": "feed-"}, topic="*"),
  ]),
]}
c = []
# exact key, prefix, key equal to a prefix, empty key, non-UTF-8 bytes
c += [I("items", "get", "data", "foo", A), I("items", "set", "data", "foo", N),
      I("items", "get", "data", "fo", N), I("items", "get", "data", "foo2", N), I("items", "get", "data", "FOO", N),
      I("items", "set", "data", "user:", A), I("items", "set", "data", "user:1", A), I("items", "increment", "data", "user:1:count", A),
      I("items", "get", "data", "user", A), I("items", "set", "data", "user", A), I("items", "get", "data", "use", N), I("items", "get", "data", "users", N),
      I("items", "get", "data", "", A), I("items", "set", "data", "", N), I("items", "get", "DATA", "foo", N)]
c += [{"key": "items", "op": "set", "cache": "data", "item_b64": "/wA=", "expect": A},
      {"key": "items", "op": "get", "cache": "data", "item_b64": "/wA=", "expect": N},
      {"key": "items", "op": "set", "cache": "data", "item_b64": "/w==", "expect": N},
      {"key": "items", "op": "set", "cache": "data", "item_b64": "/wAA", "expect": N},
      {"key": "items", "op": "get", "cache": "data", "item_b64": "gIE=", "expect": A},
      {"key": "items", "op": "get", "cache": "data", "item_b64": "gIGC", "expect": A},
      {"key": "items", "op": "get", "cache": "data", "item_b64": "gA==", "expect": N}]
# cache selectors: all, name, prefix, nested prefixes, name under a prefix
c += [I("caches", "get", "anything", "shared", A), I("caches", "set", "anything", "shared", N), I("caches", "get", "anything", "other", N),
      I("caches", "set", "prod", "x", A), I("caches", "get", "prod", "shared", A), I("caches", "get", "prod2", "x", N), I("caches", "get", "pro", "x", N),
      I("caches", "get", "tmp-", "x", A), I("caches", "get", "tmp-1", "x", A), I("caches", "set", "tmp-1", "x", N), I("caches", "get", "tmp", "x", N),
      I("caches", "get", "tmp-scratch", "x", A), I("caches", "set", "tmp-scratch", "x", A), I("caches", "increment", "tmp-scratch-9", "x", A),
      I("caches", "set", "tmp-scratc", "x", N),
      I("caches", "set", "tmp-locked", "mine/1", A), I("caches", "get", "tmp-locked", "other", A), I("caches", "set", "tmp-locked", "other", N),
      I("caches", "get", "tmp-locked", "shared", A), I("caches", "get", "", "shared", A), I("caches", "get", "", "x", N),
      # A cache named exactly like a prefix, with a grant of its own: the prefix's grants still apply.
      I("caches", "set", "tmp-scratch", "own", A), I("caches", "get", "tmp-scratch", "own", A), I("caches", "set", "tmp-scratch", "y", A),
      I("caches", "get", "tmp-scratch-2", "own", A)]
# topic selectors
c += [T("topics", "publish", "chat", "room-1", A), T("topics", "subscribe", "chat", "room-", A), T("topics", "subscribe", "chat", "room", N),
      T("topics", "publish", "other", "room-1", N), T("topics", "subscribe", "other", "announcements", A), T("topics", "publish", "chat", "announcements", N),
      T("topics", "publish", "chat", "room-admin", A), T("topics", "subscribe", "chat", "room-admin", A),
      T("topics", "subscribe", "feed-x", "anything", A), T("topics", "publish", "feed-x", "anything", N), T("topics", "subscribe", "feed", "anything", N),
      T("topics", "subscribe", "feed-x", "", A), T("topics", "subscribe", "chat", "Room-1", N),
      I("topics", "get", "chat", "room-1", N)]
selectors = [{"name": "item, cache and topic selectors", "document": sel_doc, "cases": c}]
write("selectors.json", "exact keys, key prefixes, a key equal to a prefix, empty keys, non-UTF-8 bytes, cache names and prefixes, topic names and prefixes", selectors)

# ---------------------------------------------------------------- deny
deny_doc = {"credentials": [
  K("svc", [
     P("readwrite", "sessions", {"keyPrefix": "user:"}),                     #0
     P("readwrite", "sessions", {"key": "user:admin"}, effect="deny"),       #1
     P("readwrite", "*"),                                                    #2
     P("readwrite", "billing", effect="deny"),                               #3
     P("writeonly", {"namePrefix": "audit-"}, effect="deny"),                #4
     P("readonly", "sessions", {"keyPrefix": "user:ad"}, effect="deny"),     #5
     P("publishsubscribe", "*", topic="*"),                                  #6
     P("publishonly", "chat", topic={"namePrefix": "ro-"}, effect="deny"),   #7
     P("publishsubscribe", "chat", topic="ro-lobby", effect="deny"),         #8
  ]),
  K("momento-union", [P("readwrite", "*"), P("readonly", "foo")]),
]}
c = [I("svc", "get", "sessions", "user:1", A), I("svc", "set", "sessions", "user:1", A),
     I("svc", "get", "sessions", "user:admin", "denied_by_rule:1"), I("svc", "set", "sessions", "user:admin", "denied_by_rule:1"),
     I("svc", "get", "sessions", "user:admin2", "denied_by_rule:5"), I("svc", "set", "sessions", "user:admin2", A),
     I("svc", "set", "sessions", "user:adx", A), I("svc", "get", "sessions", "user:adx", "denied_by_rule:5"),
     I("svc", "increment", "sessions", "user:ad", "denied_by_rule:5"),
     I("svc", "get", "sessions", "user:a", A),
     I("svc", "get", "billing", "x", "denied_by_rule:3"), I("svc", "set", "billing", "x", "denied_by_rule:3"),
     I("svc", "get", "billing2", "x", A), I("svc", "get", "prod", "x", A),
     I("svc", "get", "audit-log", "x", A), I("svc", "set", "audit-log", "x", "denied_by_rule:4"),
     I("svc", "increment", "audit-log", "x", "denied_by_rule:4"), I("svc", "delete", "audit-", "x", "denied_by_rule:4"),
     I("svc", "set", "audit", "x", A),
     T("svc", "publish", "chat", "ro-news", "denied_by_rule:7"), T("svc", "subscribe", "chat", "ro-news", A),
     T("svc", "publish", "chat", "ro-lobby", "denied_by_rule:7"), T("svc", "subscribe", "chat", "ro-lobby", "denied_by_rule:8"),
     T("svc", "publish", "chat", "room", A), T("svc", "publish", "billing", "t", A),
     I("momento-union", "set", "foo", "k", A), I("momento-union", "get", "foo", "k", A), I("momento-union", "set", "bar", "k", A)]
deny2 = {"credentials": [K("except-billing", [P("readwrite", "*"), P("readwrite", {"namePrefix": "billing"}, effect="deny"), P("readonly", "billing-reports")])]}
c2 = [I(None, "get", "orders", "k", A), I(None, "get", "billing", "k", "denied_by_rule:1"), I(None, "get", "billing-reports", "k", "denied_by_rule:1"),
      I(None, "get", "billin", "k", A), I(None, "set", "billing-eu", "k", "denied_by_rule:1")]
write("deny.json", "deny rules override allows, only for the rights they name; the lowest-index deny rule that takes a needed right decides; Momento's union semantics without denies",
      [{"name": "service with carve-outs", "document": deny_doc, "cases": c},
       {"name": "all caches except billing*", "document": deny2, "cases": c2}])

# ---------------------------------------------------------------- expiry
exp_doc = {"credentials": [
  K("key", [P("readonly", "c")], expires=1700000000),
  K("forever", [P("readonly", "c")]),
  K("token", [P("readonly", "c", {"key": "user:42"})], kind="token", expires=1700003600, token_id="user-42"),
  K("root", "super", expires=1700000100),
]}
c = [I("key", "get", "c", "k", A, now=1699999999), I("key", "get", "c", "k", "expired", now=1700000000), I("key", "get", "c", "k", "expired", now=1800000000),
     I("key", "get", "c", "k", A, now=0), I("key", "set", "c", "k", "expired", now=1700000001),
     {"key": "key", "op": "create_cache", "cache": "x", "now": 1700000001, "expect": "expired"},
     {"key": "key", "op": "publish", "cache": "c", "item": "k", "now": 1700000001, "expect": "expired"},
     I("forever", "get", "c", "k", A, now=18446744073709551615),
     I("token", "get", "c", "user:42", A, now=1700003599), I("token", "get", "c", "user:42", "expired", now=1700003600),
     I("token", "get", "c", "user:43", N, now=1700000000), I("token", "set", "c", "user:42", N),
     {"key": "root", "op": "delete_cache", "cache": "c", "now": 1700000099, "expect": A},
     {"key": "root", "op": "delete_cache", "cache": "c", "now": 1700000100, "expect": "expired"},
     I("root", "get", "c", "k", "expired", now=1700000100)]
write("expiry.json", "a credential is valid strictly before its expiry, and denied from it on, before anything else", [{"name": "keys and tokens that expire", "document": exp_doc, "cases": c}])

# ---------------------------------------------------------------- super user and control plane
su_doc = {"credentials": [K("root", "super"), K("fgac", [P("readwrite", "*"), P("publishsubscribe", "*", topic="*")]),
                          K("tok", [P("readwrite", "*")], kind="token", expires=1800000000)]}
c = []
for op, res in (("create_cache", {"cache": "new"}), ("delete_cache", {"cache": "c"}), ("flush_cache", {"cache": "c"}),
                ("list_caches", {"account": True}), ("create_signing_key", {"account": True}), ("revoke_signing_key", {"account": True}),
                ("list_signing_keys", {"account": True}), ("put_webhook", {"cache": "c"}), ("list_webhooks", {"account": True}),
                ("generate_api_key", {"account": True}), ("generate_disposable_token", {"account": True}), ("refresh_api_key", {"account": True})):
    for key, exp in (("root", A), ("fgac", "super_user_required"), ("tok", "super_user_required")):
        d = {"key": key, "op": op, "expect": exp}; d.update(res); c.append(d)
c += [I("root", "get", "any", "k", A), I("root", "set_if_not_exists", "any", "k", A), T("root", "publish", "any", "t", A), T("root", "subscribe", "any", "t", A),
      I("fgac", "increment", "any", "k", A),
      {"key": "root", "op": "create_cache", "cache": "c", "item": "k", "expect": "wrong_resource_kind"}]
write("super_user.json", "super-user keys may do everything; the control plane is theirs alone", [{"name": "root, fine-grained key, token", "document": su_doc, "cases": c}])

# ---------------------------------------------------------------- batches
b_doc = {"permissions": [P("readwrite", "c", {"keyPrefix": "a"}), P("readonly", "c", {"key": "b"}), P("readwrite", "c", {"key": "a!"}, effect="deny")]}
c = [{"op": "get_batch", "cache": "c", "items": ["a1", "a2", "b"], "expect": A},
     {"op": "set_batch", "cache": "c", "items": ["a1", "a2", "b"], "expect": N},
     {"op": "set_batch", "cache": "c", "items": ["a1", "a2"], "expect": A},
     {"op": "get_batch", "cache": "c", "items": ["a1", "a!", "zz"], "expect": "denied_by_rule:2"},
     {"op": "get_batch", "cache": "c", "items": ["zz", "a!"], "expect": N},
     {"op": "keys_exist", "cache": "c", "items": ["b"], "expect": A},
     {"op": "keys_exist", "cache": "c", "items": ["b", "c"], "expect": N},
     {"op": "get_batch", "cache": "c", "items": [], "expect": "empty_batch"},
     {"op": "sorted_set_union_store", "cache": "c", "items": ["a-dest", "a-src1", "a-src2"], "expect": A},
     {"op": "sorted_set_union_store", "cache": "c", "items": ["a-dest", "b"], "expect": N},
     {"op": "get_batch", "cache": "d", "items": ["a1"], "expect": N}]
write("batch.json", "multi-key operations are allowed only when every key is; the first denied key's decision is returned", [{"name": "batches", "document": b_doc, "cases": c}])

# ---------------------------------------------------------------- kinds, needs, unknown credentials
k_doc = {"credentials": [K("svc", [P("readwrite", "c"), P("publishsubscribe", "c", topic="*")]), K("other", [P("readonly", "c")])]}
c = [{"key": "svc", "op": "get", "cache": "c", "topic": "t", "expect": "wrong_resource_kind"},
     {"key": "svc", "op": "publish", "cache": "c", "item": "k", "expect": "wrong_resource_kind"},
     {"key": "svc", "op": "get", "cache": "c", "expect": "wrong_resource_kind"},
     {"key": "svc", "op": "get", "account": True, "expect": "wrong_resource_kind"},
     {"key": "svc", "op": "subscribe", "account": True, "expect": "wrong_resource_kind"},
     {"key": "svc", "op": "list_caches", "cache": "c", "item": "k", "expect": "wrong_resource_kind"},
     {"key": "nobody", "op": "get", "cache": "c", "item": "k", "expect": "unknown_credential"},
     {"key": "", "op": "get", "cache": "c", "item": "k", "expect": "unknown_credential"},
     {"key": "SVC", "op": "get", "cache": "c", "item": "k", "expect": "unknown_credential"},
     {"key": "svc", "need": "read", "cache": "c", "item": "k", "expect": A},
     {"key": "svc", "need": "read+write", "cache": "c", "item": "k", "expect": A},
     {"key": "svc", "need": "none", "cache": "c", "item": "k", "expect": N},
     {"key": "svc", "need": "none", "cache": "c", "topic": "t", "expect": N},
     {"key": "svc", "need": "publish", "cache": "c", "item": "k", "expect": N},
     {"key": "svc", "need": "read", "cache": "c", "topic": "t", "expect": N},
     {"key": "svc", "need": "control", "cache": "c", "expect": "super_user_required"},
     {"key": "other", "need": "write", "cache": "c", "item": "k", "expect": N},
     {"key": "other", "need": "read", "cache": "c", "item": "k", "expect": A}]
write("kinds.json", "operations on the wrong kind of resource, requests by rights, unknown credentials: all denied", [{"name": "kinds and needs", "document": k_doc, "cases": c}])

# ---------------------------------------------------------------- Momento's documented scope JSON
m_doc = {"permissions": [
  {"role": "readonly", "cache": "data", "item": {"key": "foo"}},
  {"role": "readwrite", "cache": "data", "item": {"keyPrefix": "user:"}},
  {"role": "subscribeonly", "cache": "data", "topic": "bar"}]}
c = [I(None, "get", "data", "foo", A), I(None, "set", "data", "foo", N), I(None, "get", "data", "bar", N),
     I(None, "list_push_back", "data", "user:7", A), T(None, "subscribe", "data", "bar", A), T(None, "publish", "data", "bar", N),
     T(None, "subscribe", "data", "baz", N), I("default", "get", "data", "foo", A)]
m2 = {"permissions": [{"role": "readwrite", "cache": {"all": True}}, {"role": "publishsubscribe", "cache": {"name": "chat"}, "topic": {"all": True}}]}
c2 = [I(None, "set", "x", "k", A), T(None, "publish", "chat", "t", A), T(None, "publish", "x", "t", N)]
m3 = {"super_user": True}
c3 = [{"op": "create_cache", "cache": "x", "expect": A}, I(None, "get", "x", "k", A)]
write("momento_scope.json", "Momento's documented permission JSON and its other spellings, loaded as one API key named `default`",
      [{"name": "documented example", "document": m_doc, "cases": c}, {"name": "object spellings", "document": m2, "cases": c2},
       {"name": "super user scope", "document": m3, "cases": c3}])

# ---------------------------------------------------------------- v2: stores and account rights
def S(key, op, store, item, expect, **kw):
    d = {"key": key, "op": op, "store": store, "item": item, "expect": expect}
    d.update(kw); return d
def SP(role, store, item=None, effect=None):
    d = {}
    if effect: d["effect"] = effect
    d["role"] = role; d["store"] = store
    if item is not None: d["item"] = item
    return d
v2_doc = {"credentials": [
    K("svc", [SP("readwrite", "profiles", {"keyPrefix": "user/"}), SP("readonly", "*"),
              SP("readwrite", "profiles", {"key": "user/admin"}, effect="deny"), P("readonly", "profiles")],
      account_rights=["resource_write", "resource_list", "store_list"]),
    K("root", "super"),
    K("t", [SP("readonly", "profiles", {"key": "user/1"})], kind="token", expires=1_800_000_000, account_rights=["cache_list"]),
]}
v2_cases = [
    S("svc", "store_get", "profiles", "user/1", A), S("svc", "store_put", "profiles", "user/1", A),
    S("svc", "store_delete", "other", "x", N), S("svc", "store_get", "other", "x", A),
    S("svc", "store_put", "profiles", "user/admin", "denied_by_rule:2"),
    S("svc", "store_get", "profiles", "user/admin", "denied_by_rule:2"),
    # A cache and a store of the same name are different resources.
    I("svc", "set", "profiles", "user/1", N), I("svc", "get", "profiles", "user/1", A),
    S("svc", "get", "profiles", "user/1", "wrong_resource_kind"),
    I("svc", "store_get", "profiles", "user/1", "wrong_resource_kind"),
    {"key": "svc", "op": "create_cache", "cache": "new", "expect": A},
    {"key": "svc", "op": "list_caches", "account": True, "expect": A},
    {"key": "svc", "op": "list_store_keys", "account": True, "expect": A},
    {"key": "svc", "op": "describe_cache", "cache": "new", "expect": "super_user_required"},
    {"key": "svc", "op": "generate_disposable_token", "account": True, "expect": "super_user_required"},
    {"key": "root", "op": "update_account", "account": True, "expect": A},
    S("root", "store_delete", "any", "k", A),
    S("t", "store_get", "profiles", "user/1", A), S("t", "store_get", "profiles", "user/2", N),
    {"key": "t", "op": "list_keys", "cache": "c", "expect": A},
    {"key": "t", "op": "list_topics", "cache": "c", "expect": "super_user_required"},
    S("t", "store_get", "profiles", "user/1", "expired", now=1_800_000_000),
]
write("v2.json", "Momento's v2 model: grants on store items (a namespace of their own) and account rights (management and list)",
      [{"name": "stores and account rights", "document": v2_doc, "cases": v2_cases}])

# ---------------------------------------------------------------- invalid documents
inv = [
 ("empty permission list", {"permissions": []}, "credential `default` has no permissions"),
 ("same selectors twice", {"permissions": [P("readwrite", "*"), P("readonly", "*")]}, "grant #1 of `default` has the same selectors as grant #0"),
 ("name and object name are the same selector", {"permissions": [P("readwrite", "x"), P("readonly", {"name": "x"})]}, "grant #1 of `default` has the same selectors as grant #0"),
 ("token id over 64 characters", {"credentials": [K("t", [P("readonly", "c")], kind="token", expires=1, token_id="x" * 65)]}, "token id of `t` is 65 characters long"),
 ("token without expiry", {"credentials": [K("t", [P("readonly", "c")], kind="token")]}, "token `t` never expires"),
 ("super-user token", {"credentials": [K("t", "super", kind="token", expires=1)]}, "token `t` cannot be a super user"),
 ("too many grants in a token", {"credentials": [K("t", [P("readonly", "c%d" % i) for i in range(21)], kind="token", expires=1)]}, "credential `t` has 21 grants"),
 ("topic role on items", {"permissions": [P("publishsubscribe", "c", {"key": "k"})]}, "`publishsubscribe` is a topic role, but grant #0 of `default` selects items"),
 ("item role on topics", {"permissions": [P("readwrite", "c", topic="t")]}, "`readwrite` is a cache-item role, but grant #0 of `default` selects topics"),
 ("empty cache name", {"permissions": [P("readwrite", "")]}, "empty cache name in grant #0"),
 ("empty key prefix", {"permissions": [P("readwrite", "c", {"keyPrefix": ""})]}, "empty key prefix in grant #0"),
 ("empty topic prefix", {"permissions": [P("subscribeonly", "c", topic={"namePrefix": ""})]}, "empty topic prefix in grant #0"),
 ("duplicate credential", {"credentials": [K("a", [P("readonly", "c")]), K("a", [P("readonly", "d")])]}, "credential `a` is defined more than once"),
 ("no credentials", {"credentials": []}, "document defines no credentials"),
 ("token id on an api key", {"credentials": [K("a", [P("readonly", "c")], token_id="x")]}, "api key `a` has a token id"),
 ("unknown role", {"permissions": [P("readwrit", "c")]}, "did you mean `readwrite`?"),
 ("unknown field", {"permissions": [{"role": "readonly", "cache": "c", "items": "*"}]}, "unknown field `items`"),
 ("item and topic", {"permissions": [P("readonly", "c", {"key": "k"}, "t")]}, "not both"),
 ("number for a name", {"permissions": [P("readonly", 7)]}, "invalid type: integer `7`"),
 ("unknown kind", {"credentials": [K("a", [P("readonly", "c")], kind="apikey")]}, "unknown variant `apikey`"),
 ("topic role on a store", {"permissions": [{"role": "subscribeonly", "store": "s"}]}, "`subscribeonly` is a topic role, but grant #0 of `default` selects store items"),
 ("cache and store", {"permissions": [{"role": "readonly", "cache": "c", "store": "s"}]}, "a permission selects a `cache` or a `store`, not both"),
 ("management right on a token", {"credentials": [K("t", [P("readonly", "c")], kind="token", expires=1, account_rights=["auth_write"])]}, "token `t` holds the management rights `auth_write`"),
 ("unknown account right", {"credentials": [K("a", [P("readonly", "c")], account_rights=["auth_wrte"])]}, "did you mean `auth_write`?"),
]
write("invalid.json", "documents Momento or fgac rejects, each with a fragment of its error",
      invalid=[{"name": n, "document": d, "error": e} for n, d, e in inv])
