//! The cache data plane (`cache_client.Scs`): every call authorized, then served from memory.

use crate::auth::{Caller, Gate, cache_header};
use crate::data::{
    Cache, Data, Dictionary as Dict, Entry, List, Set, SortedSet as Sorted, Value, off_the_reactor,
    too_large, value_hash, wrong_type,
};
use crate::rpc::Id;
use fgac::Operation as O;
use fgac::Resource;
use momento_protos::cache_client::scs_server::Scs;
use momento_protos::cache_client::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tonic::{Request, Response, Status};

/// The data-plane service.
pub struct ScsService {
    gate: Gate,
    data: Arc<Data>,
}

impl ScsService {
    /// A service deciding with `gate` over `data`.
    #[must_use]
    pub fn new(gate: Gate, data: Arc<Data>) -> ScsService {
        ScsService { gate, data }
    }

    /// Authorizes `op` of `rpc` on the item `key` of the call's cache; returns the cache.
    fn item<T>(&self, req: &Request<T>, rpc: Id, op: O, key: &[u8]) -> Result<Arc<Cache>, Status> {
        let caller = self.gate.caller(req)?;
        self.item_with(req, &caller, rpc, op, key)
    }

    /// As [`ScsService::item`], for a caller already resolved (handlers that check their request's
    /// shape resolve the caller first, so that an unauthenticated call learns nothing).
    fn item_with<T>(
        &self,
        req: &Request<T>,
        caller: &Caller,
        rpc: Id,
        op: O,
        key: &[u8],
    ) -> Result<Arc<Cache>, Status> {
        let cache = cache_header(req)?;
        self.gate
            .check(caller, rpc, op, Resource::item(cache, key))?;
        self.data.cache(cache)
    }

    /// Authorizes a multi-key `op` of `rpc` on `keys` of the call's cache.
    fn batch<'k, T>(
        &self,
        req: &Request<T>,
        rpc: Id,
        op: O,
        keys: impl IntoIterator<Item = &'k [u8]> + Clone,
    ) -> Result<Arc<Cache>, Status> {
        let caller = self.gate.caller(req)?;
        let cache = cache_header(req)?;
        self.gate.check_batch(&caller, rpc, op, cache, keys)?;
        self.data.cache(cache)
    }
}

fn ok<T>(t: T) -> Result<Response<T>, Status> {
    Ok(Response::new(t))
}

/// One of two operations, by how many elements a call names.
fn one_or_many(n: usize, one: O, many: O) -> O {
    if n == 1 { one } else { many }
}

/// The scalar at an item: `None` when absent, an error for another type.
fn scalar(e: Option<&Entry>) -> Result<Option<&Vec<u8>>, Status> {
    match e.map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Scalar(b)) => Ok(Some(b)),
        Some(v) => Err(wrong_type(v, "scalar")),
    }
}

/// Refuses a scalar item larger than the limit (its key and value), before anything is stored.
fn fits(c: &Cache, key: &[u8], value: &[u8]) -> Result<(), Status> {
    let bytes = key.len() + value.len();
    if bytes > c.limits().max_item_bytes {
        return Err(too_large(bytes, c.limits()));
    }
    Ok(())
}

/// Refuses collection elements (fields, values, members) larger than the element limit.
fn elements_fit<'a>(c: &Cache, elements: impl IntoIterator<Item = &'a [u8]>) -> Result<(), Status> {
    let max = c.limits().max_element_bytes;
    match elements.into_iter().find(|e| e.len() > max) {
        Some(e) => Err(Status::invalid_argument(format!(
            "an element of {} bytes is more than the collection element size limit of {max} bytes",
            e.len()
        ))),
        None => Ok(()),
    }
}

/// Stores the scalar `value` at the slot of `key` (checked by [`fits`] before).
fn set_scalar(c: &Cache, slot: &mut Option<Entry>, now: Instant, value: Vec<u8>, ttl_ms: u64) {
    *slot = Some(Entry {
        value: Value::Scalar(value),
        expires: c.expiry(now, ttl_ms),
    });
}

/// A collection an item can hold: its name in errors, how a new one starts, where it is in a
/// [`Value`] (`None` when the value is another type), and its size in bytes.
trait Collection: Sized + Clone {
    const KIND: &'static str;
    fn empty() -> Value;
    fn of(v: &Value) -> Option<&Self>;
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    fn size(&self) -> usize;
}

macro_rules! collection {
    ($t:ty, $variant:ident, $kind:literal) => {
        impl Collection for $t {
            const KIND: &'static str = $kind;
            fn empty() -> Value {
                Value::$variant(<$t>::default())
            }
            fn size(&self) -> usize {
                self.bytes()
            }
            fn of(v: &Value) -> Option<&Self> {
                if let Value::$variant(c) = v {
                    Some(c)
                } else {
                    None
                }
            }
            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                if let Value::$variant(c) = v {
                    Some(c)
                } else {
                    None
                }
            }
        }
    };
}
collection!(Dict, Dictionary, "dictionary");
collection!(Set, Set, "set");
collection!(List, List, "list");
collection!(Sorted, SortedSet, "sorted set");

/// The collection at an item (`None` when absent), an error for another type.
fn read<C: Collection>(e: Option<&Entry>) -> Result<Option<&C>, Status> {
    match e {
        None => Ok(None),
        Some(e) => C::of(&e.value)
            .map(Some)
            .ok_or_else(|| wrong_type(&e.value, C::KIND)),
    }
}

/// Writes to the collection at `key`, creating it (with `ttl_ms`) when absent; `refresh` resets
/// the time to live of an existing one. `grows` is at most how many bytes `f` adds: when the item
/// could then pass the item size limit, `f` runs on a copy that replaces the collection only if
/// it fits, so a refused write leaves the item as it was.
fn write_collection<C: Collection, R>(
    c: &Cache,
    key: &[u8],
    ttl_ms: u64,
    refresh: bool,
    grows: usize,
    f: impl FnOnce(&mut C) -> Result<R, Status>,
) -> Result<R, Status> {
    c.update(key, |slot, now| {
        if let Some(e) = slot {
            if C::of(&e.value).is_none() {
                return Err(wrong_type(&e.value, C::KIND));
            }
            if refresh {
                e.expires = c.expiry(now, ttl_ms);
            }
        }
        let entry = slot.get_or_insert_with(|| Entry {
            value: C::empty(),
            expires: c.expiry(now, ttl_ms),
        });
        let Some(collection) = C::of_mut(&mut entry.value) else {
            return Err(wrong_type(&entry.value, C::KIND));
        };
        let limit = c.limits().max_item_bytes;
        if key.len() + collection.size() + grows <= limit {
            return f(collection);
        }
        let mut copy = collection.clone();
        let r = f(&mut copy)?;
        if key.len() + copy.size() > limit {
            return Err(too_large(key.len() + copy.size(), c.limits()));
        }
        *collection = copy;
        Ok(r)
    })
}

/// The bytes of `elements`.
fn total<'a>(elements: impl IntoIterator<Item = &'a Vec<u8>>) -> usize {
    elements.into_iter().map(Vec::len).sum()
}

/// Changes an existing collection only (`None` when absent).
fn change_collection<C: Collection, R>(
    c: &Cache,
    key: &[u8],
    f: impl FnOnce(&mut C) -> Result<R, Status>,
) -> Result<Option<R>, Status> {
    c.update(key, |slot, _| match slot {
        None => Ok(None),
        Some(e) => match C::of_mut(&mut e.value) {
            Some(collection) => f(collection).map(Some),
            None => Err(wrong_type(&e.value, C::KIND)),
        },
    })
}

fn parse_i64(bytes: &[u8]) -> Result<i64, Status> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Status::failed_precondition("the value is not an integer"))
}

/// `[start, end)` of a Python-style slice of `len` elements (negative indexes count from the
/// end; out-of-range bounds are clamped).
fn slice(len: usize, start: Option<i32>, end: Option<i32>) -> (usize, usize) {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let at = |i: i32| -> usize {
        let i = i64::from(i);
        let i = if i < 0 { len_i + i } else { i };
        usize::try_from(i.clamp(0, len_i)).unwrap_or(0)
    };
    let s = start.map_or(0, at);
    let e = end.map_or(len, at);
    (s, e.max(s))
}

/// Adds `values` to a list at the front (keeping their order) or at the back, then truncates it
/// from the other end to `keep` elements (0: no limit); the list's new length.
fn push(l: &mut List, values: &[Vec<u8>], front: bool, keep: u32) -> u32 {
    if front {
        for v in values.iter().rev() {
            l.push_front(v.clone());
        }
    } else {
        for v in values {
            l.push_back(v.clone());
        }
    }
    truncate(l, keep, !front);
    len32(l.len())
}

/// Truncates a list to at most `size` elements (0: no limit), from the front or the back.
fn truncate(l: &mut List, size: u32, from_front: bool) {
    let size = size as usize;
    if size == 0 {
        return;
    }
    while l.len() > size {
        if from_front {
            l.pop_front();
        } else {
            l.pop_back();
        }
    }
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[tonic::async_trait]
impl Scs for ScsService {
    async fn get(&self, req: Request<GetRequest>) -> Result<Response<GetResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(&req, Id::Get, O::Get, &r.cache_key)?;
        c.read(&r.cache_key, |e, _| match scalar(e)? {
            Some(b) => ok(GetResponse {
                result: ECacheResult::Hit as i32,
                cache_body: b.clone(),
                message: String::new(),
            }),
            None => ok(GetResponse {
                result: ECacheResult::Miss as i32,
                ..GetResponse::default()
            }),
        })
    }

    async fn get_with_hash(
        &self,
        req: Request<GetWithHashRequest>,
    ) -> Result<Response<GetWithHashResponse>, Status> {
        use get_with_hash_response::{Found, Missing, Result as R};
        let r = req.get_ref();
        let c = self.item(&req, Id::GetWithHash, O::GetWithHash, &r.cache_key)?;
        c.read(&r.cache_key, |e, _| {
            let result = match scalar(e)? {
                Some(b) => R::Found(Found {
                    value: b.clone(),
                    hash: value_hash(b),
                }),
                None => R::Missing(Missing {}),
            };
            ok(GetWithHashResponse {
                result: Some(result),
            })
        })
    }

    type GetBatchStream = tokio_stream::Iter<std::vec::IntoIter<Result<GetResponse, Status>>>;

    async fn get_batch(
        &self,
        req: Request<GetBatchRequest>,
    ) -> Result<Response<Self::GetBatchStream>, Status> {
        let r = req.get_ref();
        let keys = r.items.iter().map(|i| i.cache_key.as_slice());
        let c = self.batch(&req, Id::GetBatch, O::GetBatch, keys)?;
        let mut out = Vec::with_capacity(r.items.len());
        for item in &r.items {
            out.push(c.read(&item.cache_key, |e, _| {
                Ok(match scalar(e)? {
                    Some(b) => GetResponse {
                        result: ECacheResult::Hit as i32,
                        cache_body: b.clone(),
                        message: String::new(),
                    },
                    None => GetResponse {
                        result: ECacheResult::Miss as i32,
                        ..GetResponse::default()
                    },
                })
            }));
        }
        ok(tokio_stream::iter(out))
    }

    async fn set(&self, req: Request<SetRequest>) -> Result<Response<SetResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(&req, Id::Set, O::Set, &r.cache_key)?;
        fits(&c, &r.cache_key, &r.cache_body)?;
        c.update(&r.cache_key, |slot, now| {
            set_scalar(&c, slot, now, r.cache_body.clone(), r.ttl_milliseconds);
        });
        ok(SetResponse {
            result: ECacheResult::Ok as i32,
            message: String::new(),
        })
    }

    type SetBatchStream = tokio_stream::Iter<std::vec::IntoIter<Result<SetResponse, Status>>>;

    async fn set_batch(
        &self,
        req: Request<SetBatchRequest>,
    ) -> Result<Response<Self::SetBatchStream>, Status> {
        let r = req.get_ref();
        let keys = r.items.iter().map(|i| i.cache_key.as_slice());
        let c = self.batch(&req, Id::SetBatch, O::SetBatch, keys)?;
        for item in &r.items {
            fits(&c, &item.cache_key, &item.cache_body)?;
        }
        let mut out = Vec::with_capacity(r.items.len());
        for item in &r.items {
            c.update(&item.cache_key, |slot, now| {
                set_scalar(
                    &c,
                    slot,
                    now,
                    item.cache_body.clone(),
                    item.ttl_milliseconds,
                );
            });
            out.push(Ok(SetResponse {
                result: ECacheResult::Ok as i32,
                message: String::new(),
            }));
        }
        ok(tokio_stream::iter(out))
    }

    async fn set_if(&self, req: Request<SetIfRequest>) -> Result<Response<SetIfResponse>, Status> {
        use set_if_request::Condition as C;
        use set_if_response::{NotStored, Result as R, Stored};
        let r = req.get_ref();
        let caller = self.gate.caller(&req)?;
        let Some(cond) = &r.condition else {
            return Err(Status::invalid_argument("SetIf needs a condition"));
        };
        let op = match cond {
            C::Present(_) => O::SetIfPresent,
            C::PresentAndNotEqual(_) => O::SetIfPresentAndNotEqual,
            C::Absent(_) => O::SetIfAbsent,
            C::Equal(_) => O::SetIfEqual,
            C::AbsentOrEqual(_) => O::SetIfAbsentOrEqual,
            C::NotEqual(_) => O::SetIfNotEqual,
        };
        let c = self.item_with(&req, &caller, Id::SetIf, op, &r.cache_key)?;
        fits(&c, &r.cache_key, &r.cache_body)?;
        let stored = c.update(&r.cache_key, |slot, now| {
            let current = scalar(slot.as_ref())?;
            let go = match (cond, current) {
                (C::Present(_), cur) => cur.is_some(),
                (C::PresentAndNotEqual(v), cur) => cur.is_some_and(|b| *b != v.value_to_check),
                (C::Absent(_), cur) => cur.is_none(),
                (C::Equal(v), cur) => cur.is_some_and(|b| *b == v.value_to_check),
                (C::AbsentOrEqual(v), cur) => cur.is_none_or(|b| *b == v.value_to_check),
                (C::NotEqual(v), cur) => cur.is_none_or(|b| *b != v.value_to_check),
            };
            if go {
                set_scalar(&c, slot, now, r.cache_body.clone(), r.ttl_milliseconds);
            }
            Ok::<_, Status>(go)
        })?;
        ok(SetIfResponse {
            result: Some(if stored {
                R::Stored(Stored {})
            } else {
                R::NotStored(NotStored {})
            }),
        })
    }

    async fn set_if_hash(
        &self,
        req: Request<SetIfHashRequest>,
    ) -> Result<Response<SetIfHashResponse>, Status> {
        use set_if_hash_request::Condition as C;
        use set_if_hash_response::{NotStored, Result as R, Stored};
        let r = req.get_ref();
        let caller = self.gate.caller(&req)?;
        let Some(cond) = &r.condition else {
            return Err(Status::invalid_argument("SetIfHash needs a condition"));
        };
        let c = self.item_with(&req, &caller, Id::SetIfHash, O::SetIfHash, &r.cache_key)?;
        fits(&c, &r.cache_key, &r.cache_body)?;
        let stored = c.update(&r.cache_key, |slot, now| {
            let current = scalar(slot.as_ref())?.map(|b| value_hash(b));
            let go = match (cond, &current) {
                (C::PresentAndNotHashEqual(h), cur) => {
                    cur.as_ref().is_some_and(|x| *x != h.hash_to_check)
                }
                (C::PresentAndHashEqual(h), cur) => {
                    cur.as_ref().is_some_and(|x| *x == h.hash_to_check)
                }
                (C::AbsentOrHashEqual(h), cur) => {
                    cur.as_ref().is_none_or(|x| *x == h.hash_to_check)
                }
                (C::AbsentOrNotHashEqual(h), cur) => {
                    cur.as_ref().is_none_or(|x| *x != h.hash_to_check)
                }
                (C::Unconditional(_), _) => true,
            };
            if go {
                set_scalar(&c, slot, now, r.cache_body.clone(), r.ttl_milliseconds);
            }
            Ok::<_, Status>(go)
        })?;
        ok(SetIfHashResponse {
            result: Some(if stored {
                R::Stored(Stored {
                    new_hash: value_hash(&r.cache_body),
                })
            } else {
                R::NotStored(NotStored {})
            }),
        })
    }

    async fn set_if_not_exists(
        &self,
        req: Request<SetIfNotExistsRequest>,
    ) -> Result<Response<SetIfNotExistsResponse>, Status> {
        use set_if_not_exists_response::{NotStored, Result as R, Stored};
        let r = req.get_ref();
        let c = self.item(&req, Id::SetIfNotExists, O::SetIfNotExists, &r.cache_key)?;
        fits(&c, &r.cache_key, &r.cache_body)?;
        let stored = c.update(&r.cache_key, |slot, now| {
            let go = slot.is_none();
            if go {
                set_scalar(&c, slot, now, r.cache_body.clone(), r.ttl_milliseconds);
            }
            go
        });
        ok(SetIfNotExistsResponse {
            result: Some(if stored {
                R::Stored(Stored {})
            } else {
                R::NotStored(NotStored {})
            }),
        })
    }

    async fn delete(
        &self,
        req: Request<DeleteRequest>,
    ) -> Result<Response<DeleteResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(&req, Id::Delete, O::Delete, &r.cache_key)?;
        c.update(&r.cache_key, |slot, _| *slot = None);
        ok(DeleteResponse {})
    }

    async fn keys_exist(
        &self,
        req: Request<KeysExistRequest>,
    ) -> Result<Response<KeysExistResponse>, Status> {
        let r = req.get_ref();
        let keys = r.cache_keys.iter().map(Vec::as_slice);
        let c = self.batch(&req, Id::KeysExist, O::KeysExist, keys)?;
        let exists = r
            .cache_keys
            .iter()
            .map(|k| c.read(k, |e, _| e.is_some()))
            .collect();
        ok(KeysExistResponse { exists })
    }

    async fn increment(
        &self,
        req: Request<IncrementRequest>,
    ) -> Result<Response<IncrementResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(&req, Id::Increment, O::Increment, &r.cache_key)?;
        let value = c.update(&r.cache_key, |slot, now| {
            let old = match scalar(slot.as_ref())? {
                Some(b) => parse_i64(b)?,
                None => 0,
            };
            let new = old
                .checked_add(r.amount)
                .ok_or_else(|| Status::failed_precondition("the increment overflows"))?;
            // An existing item keeps its time to live; a new one gets the request's.
            match slot {
                Some(e) => e.value = Value::Scalar(new.to_string().into_bytes()),
                None => set_scalar(
                    &c,
                    slot,
                    now,
                    new.to_string().into_bytes(),
                    r.ttl_milliseconds,
                ),
            }
            Ok::<_, Status>(new)
        })?;
        ok(IncrementResponse { value })
    }

    async fn update_ttl(
        &self,
        req: Request<UpdateTtlRequest>,
    ) -> Result<Response<UpdateTtlResponse>, Status> {
        use update_ttl_request::UpdateTtl as U;
        use update_ttl_response::{Missing, NotSet, Result as R, Set};
        let r = req.get_ref();
        let caller = self.gate.caller(&req)?;
        let Some(how) = r.update_ttl else {
            return Err(Status::invalid_argument("UpdateTtl needs a time to live"));
        };
        let op = match how {
            U::IncreaseToMilliseconds(_) => O::IncreaseTtl,
            U::DecreaseToMilliseconds(_) => O::DecreaseTtl,
            U::OverwriteToMilliseconds(_) => O::UpdateTtl,
        };
        let c = self.item_with(&req, &caller, Id::UpdateTtl, op, &r.cache_key)?;
        let result = c.update(&r.cache_key, |slot, now| match slot {
            None => R::Missing(Missing {}),
            Some(e) => {
                let (ms, cmp) = match how {
                    U::IncreaseToMilliseconds(ms) => (ms, Some(true)),
                    U::DecreaseToMilliseconds(ms) => (ms, Some(false)),
                    U::OverwriteToMilliseconds(ms) => (ms, None),
                };
                let new = c.expiry(now, ms.max(1));
                let go = match cmp {
                    Some(true) => new > e.expires,
                    Some(false) => new < e.expires,
                    None => true,
                };
                if go {
                    e.expires = new;
                    R::Set(Set {})
                } else {
                    R::NotSet(NotSet {})
                }
            }
        });
        ok(UpdateTtlResponse {
            result: Some(result),
        })
    }

    async fn item_get_ttl(
        &self,
        req: Request<ItemGetTtlRequest>,
    ) -> Result<Response<ItemGetTtlResponse>, Status> {
        use item_get_ttl_response::{Found, Missing, Result as R};
        let r = req.get_ref();
        let c = self.item(&req, Id::ItemGetTtl, O::ItemGetTtl, &r.cache_key)?;
        let result = c.read(&r.cache_key, |e, now| match e {
            None => R::Missing(Missing {}),
            Some(e) => R::Found(Found {
                remaining_ttl_millis: u64::try_from(e.expires.duration_since(now).as_millis())
                    .unwrap_or(u64::MAX),
            }),
        });
        ok(ItemGetTtlResponse {
            result: Some(result),
        })
    }

    async fn item_get_type(
        &self,
        req: Request<ItemGetTypeRequest>,
    ) -> Result<Response<ItemGetTypeResponse>, Status> {
        use item_get_type_response::{Found, ItemType as T, Missing, Result as R};
        let r = req.get_ref();
        let c = self.item(&req, Id::ItemGetType, O::ItemGetType, &r.cache_key)?;
        let result = c.read(&r.cache_key, |e, _| match e.map(|e| &e.value) {
            None => R::Missing(Missing {}),
            Some(v) => R::Found(Found {
                item_type: match v {
                    Value::Scalar(_) => T::Scalar,
                    Value::Dictionary(_) => T::Dictionary,
                    Value::Set(_) => T::Set,
                    Value::List(_) => T::List,
                    Value::SortedSet(_) => T::SortedSet,
                } as i32,
            }),
        });
        ok(ItemGetTypeResponse {
            result: Some(result),
        })
    }

    async fn dictionary_get(
        &self,
        req: Request<DictionaryGetRequest>,
    ) -> Result<Response<DictionaryGetResponse>, Status> {
        use dictionary_get_response::{
            Dictionary as D, DictionaryGetResponsePart as Part, Found, Missing,
        };
        let r = req.get_ref();
        let op = one_or_many(
            r.fields.len(),
            O::DictionaryGetField,
            O::DictionaryGetFields,
        );
        let c = self.item(&req, Id::DictionaryGet, op, &r.dictionary_name)?;
        c.read(&r.dictionary_name, |e, _| {
            let dictionary = match read::<Dict>(e)? {
                None => D::Missing(Missing {}),
                Some(d) => D::Found(Found {
                    items: r
                        .fields
                        .iter()
                        .map(|f| match d.get(f) {
                            Some(v) => Part {
                                result: ECacheResult::Hit as i32,
                                cache_body: v.clone(),
                            },
                            None => Part {
                                result: ECacheResult::Miss as i32,
                                cache_body: Vec::new(),
                            },
                        })
                        .collect(),
                }),
            };
            ok(DictionaryGetResponse {
                dictionary: Some(dictionary),
            })
        })
    }

    async fn dictionary_fetch(
        &self,
        req: Request<DictionaryFetchRequest>,
    ) -> Result<Response<DictionaryFetchResponse>, Status> {
        use dictionary_fetch_response::{Dictionary as D, Found, Missing};
        let r = req.get_ref();
        let c = self.item(
            &req,
            Id::DictionaryFetch,
            O::DictionaryFetch,
            &r.dictionary_name,
        )?;
        c.read(&r.dictionary_name, |e, _| {
            let dictionary = match read::<Dict>(e)? {
                None => D::Missing(Missing {}),
                Some(d) => D::Found(Found {
                    items: d
                        .iter()
                        .map(|(f, v)| DictionaryFieldValuePair {
                            field: f.clone(),
                            value: v.clone(),
                        })
                        .collect(),
                }),
            };
            ok(DictionaryFetchResponse {
                dictionary: Some(dictionary),
            })
        })
    }

    async fn dictionary_set(
        &self,
        req: Request<DictionarySetRequest>,
    ) -> Result<Response<DictionarySetResponse>, Status> {
        let r = req.get_ref();
        let op = one_or_many(r.items.len(), O::DictionarySetField, O::DictionarySetFields);
        let c = self.item(&req, Id::DictionarySet, op, &r.dictionary_name)?;
        elements_fit(
            &c,
            r.items
                .iter()
                .flat_map(|p| [p.field.as_slice(), p.value.as_slice()]),
        )?;
        let grows = r.items.iter().map(|p| p.field.len() + p.value.len()).sum();
        write_collection(
            &c,
            &r.dictionary_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            grows,
            |d: &mut Dict| {
                for p in &r.items {
                    d.insert(p.field.clone(), p.value.clone());
                }
                Ok(())
            },
        )?;
        ok(DictionarySetResponse {})
    }

    async fn dictionary_increment(
        &self,
        req: Request<DictionaryIncrementRequest>,
    ) -> Result<Response<DictionaryIncrementResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(
            &req,
            Id::DictionaryIncrement,
            O::DictionaryIncrement,
            &r.dictionary_name,
        )?;
        elements_fit(&c, [r.field.as_slice()])?;
        let value = write_collection(
            &c,
            &r.dictionary_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            // The field, and a decimal i64.
            r.field.len() + 20,
            |d: &mut Dict| {
                let old = match d.get(&r.field) {
                    Some(b) => parse_i64(b)?,
                    None => 0,
                };
                let new = old
                    .checked_add(r.amount)
                    .ok_or_else(|| Status::failed_precondition("the increment overflows"))?;
                d.insert(r.field.clone(), new.to_string().into_bytes());
                Ok(new)
            },
        )?;
        ok(DictionaryIncrementResponse { value })
    }

    async fn dictionary_delete(
        &self,
        req: Request<DictionaryDeleteRequest>,
    ) -> Result<Response<DictionaryDeleteResponse>, Status> {
        use dictionary_delete_request::Delete as D;
        let r = req.get_ref();
        let caller = self.gate.caller(&req)?;
        let Some(how) = &r.delete else {
            return Err(Status::invalid_argument(
                "DictionaryDelete needs fields or all",
            ));
        };
        let op = match how {
            D::Some(s) => one_or_many(
                s.fields.len(),
                O::DictionaryRemoveField,
                O::DictionaryRemoveFields,
            ),
            D::All(_) => O::Delete,
        };
        let c = self.item_with(&req, &caller, Id::DictionaryDelete, op, &r.dictionary_name)?;
        match how {
            D::All(_) => c.update(&r.dictionary_name, |slot, _| {
                if let Some(e) = slot
                    && Dict::of(&e.value).is_none()
                {
                    return Err(wrong_type(&e.value, Dict::KIND));
                }
                *slot = None;
                Ok(())
            })?,
            D::Some(s) => {
                change_collection(&c, &r.dictionary_name, |d: &mut Dict| {
                    for f in &s.fields {
                        d.remove(f);
                    }
                    Ok(())
                })?;
            }
        }
        ok(DictionaryDeleteResponse {})
    }

    async fn dictionary_length(
        &self,
        req: Request<DictionaryLengthRequest>,
    ) -> Result<Response<DictionaryLengthResponse>, Status> {
        use dictionary_length_response::{Dictionary as D, Found, Missing};
        let r = req.get_ref();
        let c = self.item(
            &req,
            Id::DictionaryLength,
            O::DictionaryLength,
            &r.dictionary_name,
        )?;
        c.read(&r.dictionary_name, |e, _| {
            let dictionary = match read::<Dict>(e)? {
                None => D::Missing(Missing {}),
                Some(d) => D::Found(Found {
                    length: len32(d.len()),
                }),
            };
            ok(DictionaryLengthResponse {
                dictionary: Some(dictionary),
            })
        })
    }

    async fn set_fetch(
        &self,
        req: Request<SetFetchRequest>,
    ) -> Result<Response<SetFetchResponse>, Status> {
        use set_fetch_response::{Found, Missing, Set as S};
        let r = req.get_ref();
        let c = self.item(&req, Id::SetFetch, O::SetFetch, &r.set_name)?;
        c.read(&r.set_name, |e, _| {
            let set = match read::<Set>(e)? {
                None => S::Missing(Missing {}),
                Some(s) => S::Found(Found {
                    elements: s.iter().cloned().collect(),
                }),
            };
            ok(SetFetchResponse { set: Some(set) })
        })
    }

    async fn set_sample(
        &self,
        req: Request<SetSampleRequest>,
    ) -> Result<Response<SetSampleResponse>, Status> {
        use set_sample_response::{Found, Missing, Set as S};
        let r = req.get_ref();
        let c = self.item(&req, Id::SetSample, O::SetSample, &r.set_name)?;
        c.read(&r.set_name, |e, _| {
            // A hash set's iteration order is already arbitrary (randomly keyed per set).
            let set = match read::<Set>(e)? {
                None => S::Missing(Missing {}),
                Some(s) => S::Found(Found {
                    elements: s
                        .iter()
                        .take(usize::try_from(r.limit).unwrap_or(usize::MAX))
                        .cloned()
                        .collect(),
                }),
            };
            ok(SetSampleResponse { set: Some(set) })
        })
    }

    async fn set_union(
        &self,
        req: Request<SetUnionRequest>,
    ) -> Result<Response<SetUnionResponse>, Status> {
        let r = req.get_ref();
        let op = one_or_many(r.elements.len(), O::SetAddElement, O::SetAddElements);
        let c = self.item(&req, Id::SetUnion, op, &r.set_name)?;
        elements_fit(&c, r.elements.iter().map(Vec::as_slice))?;
        write_collection(
            &c,
            &r.set_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            total(&r.elements),
            |s: &mut Set| {
                for e in &r.elements {
                    s.insert(e.clone());
                }
                Ok(())
            },
        )?;
        ok(SetUnionResponse {})
    }

    async fn set_difference(
        &self,
        req: Request<SetDifferenceRequest>,
    ) -> Result<Response<SetDifferenceResponse>, Status> {
        use set_difference_request::Difference as D;
        use set_difference_request::subtrahend::SubtrahendSet as Sub;
        use set_difference_response::{Found, Missing, Set as S};
        let r = req.get_ref();
        let caller = self.gate.caller(&req)?;
        let found = match &r.difference {
            Some(D::Subtrahend(sub)) => {
                let Some(subtrahend) = &sub.subtrahend_set else {
                    return Err(Status::invalid_argument("a subtrahend needs a set"));
                };
                let op = match subtrahend {
                    Sub::Set(s) => {
                        one_or_many(s.elements.len(), O::SetRemoveElement, O::SetRemoveElements)
                    }
                    Sub::Identity(_) => O::Delete,
                };
                let cache = self.item_with(&req, &caller, Id::SetDifference, op, &r.set_name)?;
                change_collection(&cache, &r.set_name, |s: &mut Set| {
                    match subtrahend {
                        Sub::Set(x) => x.elements.iter().for_each(|e| {
                            s.remove(e);
                        }),
                        Sub::Identity(_) => s.clear(),
                    }
                    Ok(())
                })?
                .is_some()
            }
            Some(D::Minuend(m)) => {
                // Reads the set and writes it: both must be allowed.
                self.item_with(&req, &caller, Id::SetDifference, O::SetFetch, &r.set_name)?;
                let cache = self.item_with(
                    &req,
                    &caller,
                    Id::SetDifference,
                    O::SetAddElements,
                    &r.set_name,
                )?;
                change_collection(&cache, &r.set_name, |s: &mut Set| {
                    *s = m
                        .elements
                        .iter()
                        .filter(|e| !s.contains(e))
                        .cloned()
                        .collect();
                    Ok(())
                })?
                .is_some()
            }
            None => return Err(Status::invalid_argument("SetDifference needs a difference")),
        };
        ok(SetDifferenceResponse {
            set: Some(if found {
                S::Found(Found {})
            } else {
                S::Missing(Missing {})
            }),
        })
    }

    async fn set_contains(
        &self,
        req: Request<SetContainsRequest>,
    ) -> Result<Response<SetContainsResponse>, Status> {
        use set_contains_response::{Found, Missing, Set as S};
        let r = req.get_ref();
        let op = one_or_many(
            r.elements.len(),
            O::SetContainsElement,
            O::SetContainsElements,
        );
        let c = self.item(&req, Id::SetContains, op, &r.set_name)?;
        c.read(&r.set_name, |e, _| {
            let set = match read::<Set>(e)? {
                None => S::Missing(Missing {}),
                Some(s) => S::Found(Found {
                    contains: r.elements.iter().map(|x| s.contains(x)).collect(),
                }),
            };
            ok(SetContainsResponse { set: Some(set) })
        })
    }

    async fn set_length(
        &self,
        req: Request<SetLengthRequest>,
    ) -> Result<Response<SetLengthResponse>, Status> {
        use set_length_response::{Found, Missing, Set as S};
        let r = req.get_ref();
        let c = self.item(&req, Id::SetLength, O::SetLength, &r.set_name)?;
        c.read(&r.set_name, |e, _| {
            let set = match read::<Set>(e)? {
                None => S::Missing(Missing {}),
                Some(s) => S::Found(Found {
                    length: len32(s.len()),
                }),
            };
            ok(SetLengthResponse { set: Some(set) })
        })
    }

    async fn set_pop(
        &self,
        req: Request<SetPopRequest>,
    ) -> Result<Response<SetPopResponse>, Status> {
        use set_pop_response::{Found, Missing, Set as S};
        let r = req.get_ref();
        let c = self.item(&req, Id::SetPop, O::SetPop, &r.set_name)?;
        let popped = change_collection(&c, &r.set_name, |s: &mut Set| {
            let take: Vec<Vec<u8>> = s.iter().take(r.count.max(1) as usize).cloned().collect();
            for e in &take {
                s.remove(e);
            }
            Ok(take)
        })?;
        ok(SetPopResponse {
            set: Some(match popped {
                None => S::Missing(Missing {}),
                Some(elements) => S::Found(Found { elements }),
            }),
        })
    }

    async fn list_push_front(
        &self,
        req: Request<ListPushFrontRequest>,
    ) -> Result<Response<ListPushFrontResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(&req, Id::ListPushFront, O::ListPushFront, &r.list_name)?;
        elements_fit(&c, [r.value.as_slice()])?;
        let list_length = write_collection(
            &c,
            &r.list_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            r.value.len(),
            |l: &mut List| {
                Ok(push(
                    l,
                    std::slice::from_ref(&r.value),
                    true,
                    r.truncate_back_to_size,
                ))
            },
        )?;
        ok(ListPushFrontResponse { list_length })
    }

    async fn list_push_back(
        &self,
        req: Request<ListPushBackRequest>,
    ) -> Result<Response<ListPushBackResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(&req, Id::ListPushBack, O::ListPushBack, &r.list_name)?;
        elements_fit(&c, [r.value.as_slice()])?;
        let list_length = write_collection(
            &c,
            &r.list_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            r.value.len(),
            |l: &mut List| {
                Ok(push(
                    l,
                    std::slice::from_ref(&r.value),
                    false,
                    r.truncate_front_to_size,
                ))
            },
        )?;
        ok(ListPushBackResponse { list_length })
    }

    async fn list_pop_front(
        &self,
        req: Request<ListPopFrontRequest>,
    ) -> Result<Response<ListPopFrontResponse>, Status> {
        use list_pop_front_response::{Found, List as L, Missing};
        let r = req.get_ref();
        let c = self.item(&req, Id::ListPopFront, O::ListPopFront, &r.list_name)?;
        let popped = change_collection(&c, &r.list_name, |l: &mut List| {
            Ok(l.pop_front().map(|front| (front, len32(l.len()))))
        })?
        .flatten();
        ok(ListPopFrontResponse {
            list: Some(match popped {
                None => L::Missing(Missing {}),
                Some((front, list_length)) => L::Found(Found { front, list_length }),
            }),
        })
    }

    async fn list_pop_back(
        &self,
        req: Request<ListPopBackRequest>,
    ) -> Result<Response<ListPopBackResponse>, Status> {
        use list_pop_back_response::{Found, List as L, Missing};
        let r = req.get_ref();
        let c = self.item(&req, Id::ListPopBack, O::ListPopBack, &r.list_name)?;
        let popped = change_collection(&c, &r.list_name, |l: &mut List| {
            Ok(l.pop_back().map(|back| (back, len32(l.len()))))
        })?
        .flatten();
        ok(ListPopBackResponse {
            list: Some(match popped {
                None => L::Missing(Missing {}),
                Some((back, list_length)) => L::Found(Found { back, list_length }),
            }),
        })
    }

    async fn list_erase(
        &self,
        req: Request<ListEraseRequest>,
    ) -> Result<Response<ListEraseResponse>, Status> {
        use list_erase_request::Erase as E;
        use list_erase_response::{Found, List as L, Missing};
        let r = req.get_ref();
        let caller = self.gate.caller(&req)?;
        let Some(how) = &r.erase else {
            return Err(Status::invalid_argument("ListErase needs ranges or all"));
        };
        let c = self.item_with(&req, &caller, Id::ListErase, O::ListErase, &r.list_name)?;
        let left = change_collection(&c, &r.list_name, |l: &mut List| {
            match how {
                E::All(_) => l.clear(),
                E::Some(ranges) => l.erase_ranges(
                    ranges
                        .ranges
                        .iter()
                        .map(|r| (r.begin_index as usize, r.count as usize)),
                ),
            }
            Ok(len32(l.len()))
        })?;
        ok(ListEraseResponse {
            list: Some(match left {
                None => L::Missing(Missing {}),
                Some(list_length) => L::Found(Found { list_length }),
            }),
        })
    }

    async fn list_remove(
        &self,
        req: Request<ListRemoveRequest>,
    ) -> Result<Response<ListRemoveResponse>, Status> {
        use list_remove_request::Remove;
        use list_remove_response::{Found, List as L, Missing};
        let r = req.get_ref();
        let caller = self.gate.caller(&req)?;
        let Some(Remove::AllElementsWithValue(value)) = &r.remove else {
            return Err(Status::invalid_argument("ListRemove needs a value"));
        };
        let c = self.item_with(
            &req,
            &caller,
            Id::ListRemove,
            O::ListRemoveValue,
            &r.list_name,
        )?;
        let left = change_collection(&c, &r.list_name, |l: &mut List| {
            l.retain(|x| x != value);
            Ok(len32(l.len()))
        })?;
        ok(ListRemoveResponse {
            list: Some(match left {
                None => L::Missing(Missing {}),
                Some(list_length) => L::Found(Found { list_length }),
            }),
        })
    }

    async fn list_fetch(
        &self,
        req: Request<ListFetchRequest>,
    ) -> Result<Response<ListFetchResponse>, Status> {
        use list_fetch_request::{EndIndex, StartIndex};
        use list_fetch_response::{Found, List as L, Missing};
        let r = req.get_ref();
        let c = self.item(&req, Id::ListFetch, O::ListFetch, &r.list_name)?;
        let start = match r.start_index {
            Some(StartIndex::InclusiveStart(i)) => Some(i),
            _ => None,
        };
        let end = match r.end_index {
            Some(EndIndex::ExclusiveEnd(i)) => Some(i),
            _ => None,
        };
        c.read(&r.list_name, |e, _| {
            let list = match read::<List>(e)? {
                None => L::Missing(Missing {}),
                Some(l) => {
                    let (s, e) = slice(l.len(), start, end);
                    L::Found(Found {
                        values: l.range(s, e).cloned().collect(),
                    })
                }
            };
            ok(ListFetchResponse { list: Some(list) })
        })
    }

    async fn list_length(
        &self,
        req: Request<ListLengthRequest>,
    ) -> Result<Response<ListLengthResponse>, Status> {
        use list_length_response::{Found, List as L, Missing};
        let r = req.get_ref();
        let c = self.item(&req, Id::ListLength, O::ListLength, &r.list_name)?;
        c.read(&r.list_name, |e, _| {
            let list = match read::<List>(e)? {
                None => L::Missing(Missing {}),
                Some(l) => L::Found(Found {
                    length: len32(l.len()),
                }),
            };
            ok(ListLengthResponse { list: Some(list) })
        })
    }

    async fn list_concatenate_front(
        &self,
        req: Request<ListConcatenateFrontRequest>,
    ) -> Result<Response<ListConcatenateFrontResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(
            &req,
            Id::ListConcatenateFront,
            O::ListConcatenateFront,
            &r.list_name,
        )?;
        elements_fit(&c, r.values.iter().map(Vec::as_slice))?;
        let list_length = write_collection(
            &c,
            &r.list_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            total(&r.values),
            |l: &mut List| Ok(push(l, &r.values, true, r.truncate_back_to_size)),
        )?;
        ok(ListConcatenateFrontResponse { list_length })
    }

    async fn list_concatenate_back(
        &self,
        req: Request<ListConcatenateBackRequest>,
    ) -> Result<Response<ListConcatenateBackResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(
            &req,
            Id::ListConcatenateBack,
            O::ListConcatenateBack,
            &r.list_name,
        )?;
        elements_fit(&c, r.values.iter().map(Vec::as_slice))?;
        let list_length = write_collection(
            &c,
            &r.list_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            total(&r.values),
            |l: &mut List| Ok(push(l, &r.values, false, r.truncate_front_to_size)),
        )?;
        ok(ListConcatenateBackResponse { list_length })
    }

    async fn list_retain(
        &self,
        req: Request<ListRetainRequest>,
    ) -> Result<Response<ListRetainResponse>, Status> {
        use list_retain_request::{EndIndex, StartIndex};
        use list_retain_response::{Found, List as L, Missing};
        let r = req.get_ref();
        let c = self.item(&req, Id::ListRetain, O::ListRetain, &r.list_name)?;
        let start = match r.start_index {
            Some(StartIndex::InclusiveStart(i)) => Some(i),
            _ => None,
        };
        let end = match r.end_index {
            Some(EndIndex::ExclusiveEnd(i)) => Some(i),
            _ => None,
        };
        let left = c.update(&r.list_name, |slot, now| match slot {
            None => Ok(None),
            Some(e) => {
                let Value::List(l) = &mut e.value else {
                    return Err(wrong_type(&e.value, "list"));
                };
                let (s, en) = slice(l.len(), start, end);
                l.keep_range(s, en);
                if r.refresh_ttl {
                    e.expires = c.expiry(now, r.ttl_milliseconds);
                }
                Ok(Some(len32(l.len())))
            }
        })?;
        ok(ListRetainResponse {
            list: Some(match left {
                None => L::Missing(Missing {}),
                Some(list_length) => L::Found(Found { list_length }),
            }),
        })
    }

    async fn sorted_set_put(
        &self,
        req: Request<SortedSetPutRequest>,
    ) -> Result<Response<SortedSetPutResponse>, Status> {
        let r = req.get_ref();
        let op = one_or_many(
            r.elements.len(),
            O::SortedSetPutElement,
            O::SortedSetPutElements,
        );
        let c = self.item(&req, Id::SortedSetPut, op, &r.set_name)?;
        elements_fit(&c, r.elements.iter().map(|e| e.value.as_slice()))?;
        write_collection(
            &c,
            &r.set_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            r.elements.iter().map(|e| e.value.len() + 8).sum(),
            |z: &mut Sorted| {
                for e in &r.elements {
                    z.insert(e.value.clone(), e.score);
                }
                Ok(())
            },
        )?;
        ok(SortedSetPutResponse {})
    }

    async fn sorted_set_fetch(
        &self,
        req: Request<SortedSetFetchRequest>,
    ) -> Result<Response<SortedSetFetchResponse>, Status> {
        use sorted_set_fetch_request::by_index::{End, Start};
        use sorted_set_fetch_request::by_score::{Max, Min};
        use sorted_set_fetch_request::{Order, Range};
        use sorted_set_fetch_response::found::{Elements, Values, ValuesWithScores};
        use sorted_set_fetch_response::{Found, Missing, SortedSet as S};
        let r = req.get_ref();
        let op = match r.range {
            Some(Range::ByScore(_)) => O::SortedSetFetchByScore,
            _ => O::SortedSetFetchByRank,
        };
        let c = self.item(&req, Id::SortedSetFetch, op, &r.set_name)?;
        let descending = r.order == Order::Descending as i32;
        c.read(&r.set_name, |e, _| {
            let Some(z) = read::<Sorted>(e)? else {
                return ok(SortedSetFetchResponse {
                    sorted_set: Some(S::Missing(Missing {})),
                });
            };
            let mut all = z.ranked();
            if descending {
                all.reverse();
            }
            let picked: Vec<(&Vec<u8>, f64)> = match &r.range {
                Some(Range::ByScore(b)) => {
                    let above = |s: f64| match &b.min {
                        Some(Min::MinScore(m)) => {
                            if m.exclusive {
                                s > m.score
                            } else {
                                s >= m.score
                            }
                        }
                        _ => true,
                    };
                    let below = |s: f64| match &b.max {
                        Some(Max::MaxScore(m)) => {
                            if m.exclusive {
                                s < m.score
                            } else {
                                s <= m.score
                            }
                        }
                        _ => true,
                    };
                    let matching = all
                        .into_iter()
                        .filter(|(_, s)| above(*s) && below(*s))
                        .skip(b.offset as usize);
                    match usize::try_from(b.count) {
                        Ok(n) => matching.take(n).collect(),
                        Err(_) => matching.collect(),
                    }
                }
                Some(Range::ByIndex(b)) => {
                    let start = match b.start {
                        Some(Start::InclusiveStartIndex(i)) => Some(i),
                        _ => None,
                    };
                    let end = match b.end {
                        Some(End::ExclusiveEndIndex(i)) => Some(i),
                        _ => None,
                    };
                    let (s, en) = slice(all.len(), start, end);
                    all[s..en].to_vec()
                }
                None => all,
            };
            let elements = if r.with_scores {
                Elements::ValuesWithScores(ValuesWithScores {
                    elements: picked
                        .into_iter()
                        .map(|(v, score)| SortedSetElement {
                            value: v.clone(),
                            score,
                        })
                        .collect(),
                })
            } else {
                Elements::Values(Values {
                    values: picked.into_iter().map(|(v, _)| v.clone()).collect(),
                })
            };
            ok(SortedSetFetchResponse {
                sorted_set: Some(S::Found(Found {
                    elements: Some(elements),
                })),
            })
        })
    }

    async fn sorted_set_get_score(
        &self,
        req: Request<SortedSetGetScoreRequest>,
    ) -> Result<Response<SortedSetGetScoreResponse>, Status> {
        use sorted_set_get_score_response::{
            SortedSet as S, SortedSetFound, SortedSetGetScoreResponsePart as Part, SortedSetMissing,
        };
        let r = req.get_ref();
        let op = one_or_many(r.values.len(), O::SortedSetGetScore, O::SortedSetGetScores);
        let c = self.item(&req, Id::SortedSetGetScore, op, &r.set_name)?;
        c.read(&r.set_name, |e, _| {
            let sorted_set = match read::<Sorted>(e)? {
                None => S::Missing(SortedSetMissing {}),
                Some(z) => S::Found(SortedSetFound {
                    elements: r
                        .values
                        .iter()
                        .map(|v| match z.get(v) {
                            Some(score) => Part {
                                result: ECacheResult::Hit as i32,
                                score,
                            },
                            None => Part {
                                result: ECacheResult::Miss as i32,
                                score: 0.0,
                            },
                        })
                        .collect(),
                }),
            };
            ok(SortedSetGetScoreResponse {
                sorted_set: Some(sorted_set),
            })
        })
    }

    async fn sorted_set_remove(
        &self,
        req: Request<SortedSetRemoveRequest>,
    ) -> Result<Response<SortedSetRemoveResponse>, Status> {
        use sorted_set_remove_request::RemoveElements as Rm;
        let r = req.get_ref();
        let caller = self.gate.caller(&req)?;
        let Some(how) = &r.remove_elements else {
            return Err(Status::invalid_argument(
                "SortedSetRemove needs elements or all",
            ));
        };
        let op = match how {
            Rm::Some(s) => one_or_many(
                s.values.len(),
                O::SortedSetRemoveElement,
                O::SortedSetRemoveElements,
            ),
            Rm::All(_) => O::Delete,
        };
        let c = self.item_with(&req, &caller, Id::SortedSetRemove, op, &r.set_name)?;
        change_collection(&c, &r.set_name, |z: &mut Sorted| {
            match how {
                Rm::All(_) => z.clear(),
                Rm::Some(s) => s.values.iter().for_each(|x| {
                    z.remove(x);
                }),
            }
            Ok(())
        })?;
        ok(SortedSetRemoveResponse {})
    }

    async fn sorted_set_increment(
        &self,
        req: Request<SortedSetIncrementRequest>,
    ) -> Result<Response<SortedSetIncrementResponse>, Status> {
        let r = req.get_ref();
        let c = self.item(
            &req,
            Id::SortedSetIncrement,
            O::SortedSetIncrementScore,
            &r.set_name,
        )?;
        elements_fit(&c, [r.value.as_slice()])?;
        let score = write_collection(
            &c,
            &r.set_name,
            r.ttl_milliseconds,
            r.refresh_ttl,
            r.value.len() + 8,
            |z: &mut Sorted| Ok(z.increment(&r.value, r.amount)),
        )?;
        ok(SortedSetIncrementResponse { score })
    }

    async fn sorted_set_get_rank(
        &self,
        req: Request<SortedSetGetRankRequest>,
    ) -> Result<Response<SortedSetGetRankResponse>, Status> {
        use sorted_set_get_rank_request::Order;
        use sorted_set_get_rank_response::{Rank, RankResponsePart, SortedSetMissing};
        let r = req.get_ref();
        let c = self.item(&req, Id::SortedSetGetRank, O::SortedSetGetRank, &r.set_name)?;
        c.read(&r.set_name, |e, _| {
            let rank = match read::<Sorted>(e)? {
                None => Rank::Missing(SortedSetMissing {}),
                Some(z) => {
                    let mut all = z.ranked();
                    if r.order == Order::Descending as i32 {
                        all.reverse();
                    }
                    match all.iter().position(|(v, _)| **v == r.value) {
                        Some(i) => Rank::ElementRank(RankResponsePart {
                            result: ECacheResult::Hit as i32,
                            rank: i as u64,
                        }),
                        None => Rank::ElementRank(RankResponsePart {
                            result: ECacheResult::Miss as i32,
                            rank: 0,
                        }),
                    }
                }
            };
            ok(SortedSetGetRankResponse { rank: Some(rank) })
        })
    }

    async fn sorted_set_length(
        &self,
        req: Request<SortedSetLengthRequest>,
    ) -> Result<Response<SortedSetLengthResponse>, Status> {
        use sorted_set_length_response::{Found, Missing, SortedSet as S};
        let r = req.get_ref();
        let c = self.item(&req, Id::SortedSetLength, O::SortedSetLength, &r.set_name)?;
        c.read(&r.set_name, |e, _| {
            let sorted_set = match read::<Sorted>(e)? {
                None => S::Missing(Missing {}),
                Some(z) => S::Found(Found {
                    length: len32(z.len()),
                }),
            };
            ok(SortedSetLengthResponse {
                sorted_set: Some(sorted_set),
            })
        })
    }

    async fn sorted_set_length_by_score(
        &self,
        req: Request<SortedSetLengthByScoreRequest>,
    ) -> Result<Response<SortedSetLengthByScoreResponse>, Status> {
        use sorted_set_length_by_score_request::{Max, Min};
        use sorted_set_length_by_score_response::{Found, Missing, SortedSet as S};
        let r = req.get_ref();
        let c = self.item(
            &req,
            Id::SortedSetLengthByScore,
            O::SortedSetLengthByScore,
            &r.set_name,
        )?;
        c.read(&r.set_name, |e, _| {
            let sorted_set = match read::<Sorted>(e)? {
                None => S::Missing(Missing {}),
                Some(z) => S::Found(Found {
                    length: len32(
                        z.iter()
                            .map(|(_, s)| s)
                            .filter(|s| match r.min {
                                Some(Min::InclusiveMin(m)) => *s >= m,
                                Some(Min::ExclusiveMin(m)) => *s > m,
                                _ => true,
                            })
                            .filter(|s| match r.max {
                                Some(Max::InclusiveMax(m)) => *s <= m,
                                Some(Max::ExclusiveMax(m)) => *s < m,
                                _ => true,
                            })
                            .count(),
                    ),
                }),
            };
            ok(SortedSetLengthByScoreResponse {
                sorted_set: Some(sorted_set),
            })
        })
    }

    async fn sorted_set_union_store(
        &self,
        req: Request<SortedSetUnionStoreRequest>,
    ) -> Result<Response<SortedSetUnionStoreResponse>, Status> {
        use sorted_set_union_store_request::AggregateFunction as A;
        let r = req.get_ref();
        // Every key touched: the destination and each source.
        let keys = std::iter::once(r.set_name.as_slice())
            .chain(r.sources.iter().map(|s| s.set_name.as_slice()));
        let c = self.batch(&req, Id::SortedSetUnionStore, O::SortedSetUnionStore, keys)?;
        let aggregate = A::try_from(r.aggregate)
            .map_err(|_| Status::invalid_argument("unknown aggregate function"))?;
        // The work is each distinct source read once, whatever the request repeats: a source
        // named n times with weights w1..wn adds, for each element of score s, the aggregate of
        // s*w1..s*wn, which is s times the sum, the least or the greatest weight.
        let mut weights: HashMap<&[u8], Weights> = HashMap::new();
        for source in &r.sources {
            weights
                .entry(source.set_name.as_slice())
                .or_default()
                .add(f64::from(source.weight));
        }
        let union = off_the_reactor(|| union_of(&c, &weights, aggregate))?;
        let length = len32(union.len());
        let bytes = r.set_name.len() + union.bytes();
        if bytes > c.limits().max_item_bytes {
            return Err(too_large(bytes, c.limits()));
        }
        c.update(&r.set_name, |slot, now| {
            *slot = Some(Entry {
                value: Value::SortedSet(union),
                expires: c.expiry(now, r.ttl_milliseconds),
            });
        });
        ok(SortedSetUnionStoreResponse { length })
    }
}

/// The weights a union source was named with: their sum, the least and the greatest.
#[derive(Clone, Copy)]
struct Weights {
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Weights {
    fn add(&mut self, w: f64) {
        self.sum += w;
        self.min = self.min.min(w);
        self.max = self.max.max(w);
    }

    /// The aggregate of `s * w` over the weights `w`.
    fn apply(&self, s: f64, aggregate: sorted_set_union_store_request::AggregateFunction) -> f64 {
        use sorted_set_union_store_request::AggregateFunction as A;
        match aggregate {
            A::Sum => s * self.sum,
            A::Min if s >= 0.0 => s * self.min,
            A::Min => s * self.max,
            A::Max if s >= 0.0 => s * self.max,
            A::Max => s * self.min,
        }
    }
}

/// The union of the distinct sources `weights` names, each read once; refused when the sources
/// hold more than the limit of bytes one call may read.
fn union_of(
    c: &Cache,
    weights: &HashMap<&[u8], Weights>,
    aggregate: sorted_set_union_store_request::AggregateFunction,
) -> Result<Sorted, Status> {
    use sorted_set_union_store_request::AggregateFunction as A;
    let mut union: HashMap<Vec<u8>, f64> = HashMap::new();
    let mut bytes_read = 0usize;
    for (name, w) in weights {
        c.read(name, |e, _| {
            let Some(z) = read::<Sorted>(e)? else {
                return Ok(());
            };
            bytes_read += z.bytes();
            if bytes_read > c.limits().max_read_bytes {
                return Err(Status::resource_exhausted(format!(
                    "the sources hold more than {} bytes, the most one call reads",
                    c.limits().max_read_bytes
                )));
            }
            for (v, s) in z.iter() {
                let s = w.apply(s, aggregate);
                union
                    .entry(v.clone())
                    .and_modify(|t| {
                        *t = match aggregate {
                            A::Sum => *t + s,
                            A::Min => t.min(s),
                            A::Max => t.max(s),
                        }
                    })
                    .or_insert(s);
            }
            Ok(())
        })?;
    }
    let mut out = Sorted::default();
    for (v, s) in union {
        out.insert(v, s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_count_from_the_end_and_clamp() {
        assert_eq!(slice(5, None, None), (0, 5));
        assert_eq!(slice(5, Some(1), Some(-1)), (1, 4));
        assert_eq!(slice(5, Some(-2), None), (3, 5));
        assert_eq!(slice(5, Some(9), Some(2)), (5, 5));
        assert_eq!(slice(0, Some(-3), Some(-1)), (0, 0));
    }

    fn elements(l: &List) -> Vec<Vec<u8>> {
        l.range(0, l.len()).cloned().collect()
    }

    #[test]
    fn lists_truncate_from_the_side_named() {
        let mut l: List = (0u8..5).map(|i| vec![i]).collect();
        truncate(&mut l, 3, true);
        assert_eq!(elements(&l), [vec![2], vec![3], vec![4]]);
        truncate(&mut l, 2, false);
        assert_eq!(elements(&l), [vec![2], vec![3]]);
        truncate(&mut l, 0, false);
        assert_eq!(l.len(), 2);
        assert_eq!(l.bytes(), 2);
    }

    #[test]
    fn pushes_keep_the_order_given_and_truncate_the_other_end() {
        let v = |xs: &[u8]| xs.iter().map(|x| vec![*x]).collect::<Vec<_>>();
        let mut l: List = v(&[3, 4]).into_iter().collect();
        assert_eq!(push(&mut l, &v(&[1, 2]), true, 0), 4);
        assert_eq!(elements(&l), v(&[1, 2, 3, 4]));
        assert_eq!(push(&mut l, &v(&[5, 6]), false, 3), 3);
        assert_eq!(elements(&l), v(&[4, 5, 6]));
        assert_eq!(push(&mut l, &v(&[0]), true, 2), 2);
        assert_eq!(elements(&l), v(&[0, 4]));
    }

    fn cache(limits: crate::data::Limits) -> Arc<Cache> {
        let data = Data::new(std::time::Duration::from_secs(60), limits);
        data.create("c").unwrap();
        data.cache("c").unwrap()
    }

    #[test]
    fn collections_of_another_type_are_refused_untouched() {
        let c = cache(crate::data::Limits::default());
        write_collection(&c, b"k", 0, false, 1, |s: &mut Set| {
            s.insert(b"x".to_vec());
            Ok(())
        })
        .unwrap();
        let refused = write_collection(&c, b"k", 0, true, 1, |l: &mut List| {
            l.push_back(b"y".to_vec());
            Ok(())
        })
        .unwrap_err();
        assert_eq!(refused.message(), "the item is a set, not a list");
        let refused = change_collection(&c, b"k", |d: &mut Dict| Ok(d.len())).unwrap_err();
        assert_eq!(refused.message(), "the item is a set, not a dictionary");
        assert!(
            change_collection(&c, b"absent", |l: &mut List| Ok(l.len()))
                .unwrap()
                .is_none()
        );
        let set = c.read(b"k", |e, _| {
            read::<Set>(e).map(|s| s.map(|s| s.iter().cloned().collect::<Vec<_>>()))
        });
        assert_eq!(set.unwrap(), Some(vec![b"x".to_vec()]));
        assert!(c.read(b"k", |e, _| read::<Sorted>(e).map(|_| ())).is_err());
    }

    /// A write that would pass the item size limit is refused and leaves the item as it was,
    /// whatever `grows` promised; one that fits is applied.
    #[test]
    fn writes_past_the_item_size_limit_are_refused_untouched() {
        let c = cache(crate::data::Limits {
            max_item_bytes: 10,
            ..crate::data::Limits::default()
        });
        let add = |c: &Cache, e: &[u8]| {
            write_collection(c, b"k", 0, false, e.len(), |s: &mut Set| {
                s.insert(e.to_vec());
                Ok(())
            })
        };
        add(&c, b"abcd").unwrap();
        add(&c, b"ef").unwrap(); // key 1 + 6 bytes
        let refused = add(&c, b"ghijk").unwrap_err();
        assert!(
            refused.message().contains("item size limit"),
            "{}",
            refused.message()
        );
        let size = c.read(b"k", |e, _| e.map(|e| e.value.bytes()));
        assert_eq!(size, Some(6));
        // An element already there adds nothing, and fits even at the limit.
        add(&c, b"abcd").unwrap();
        assert!(fits(&c, b"k", b"123456789").is_ok());
        assert!(fits(&c, b"k", b"1234567890").is_err());
    }
}
