//! Scalars: get, set and their batches, the conditional sets, delete, increment, TTLs, types.

use super::*;
use crate::data::value_hash;

pub(super) async fn get(
    s: &ScsService,
    req: Request<GetRequest>,
) -> Result<Response<GetResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::Get, &r.cache_key)?;
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

pub(super) async fn get_with_hash(
    s: &ScsService,
    req: Request<GetWithHashRequest>,
) -> Result<Response<GetWithHashResponse>, Status> {
    use get_with_hash_response::{Found, Missing, Result as R};
    let r = req.get_ref();
    let c = s.item(&req, O::GetWithHash, &r.cache_key)?;
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

pub(super) async fn get_batch(
    s: &ScsService,
    req: Request<GetBatchRequest>,
) -> Result<Response<BatchStream<GetResponse>>, Status> {
    let r = req.get_ref();
    let keys = r.items.iter().map(|i| i.cache_key.as_slice());
    let c = s.batch(&req, O::GetBatch, keys)?;
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

pub(super) async fn set(
    s: &ScsService,
    req: Request<SetRequest>,
) -> Result<Response<SetResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::Set, &r.cache_key)?;
    fits(&c, &r.cache_key, &r.cache_body)?;
    let ttl = c.ttl(r.ttl_milliseconds)?;
    c.update(&r.cache_key, |slot, now| {
        set_scalar(&c, slot, now, r.cache_body.clone(), ttl);
    });
    ok(SetResponse {
        result: ECacheResult::Ok as i32,
        message: String::new(),
    })
}

pub(super) async fn set_batch(
    s: &ScsService,
    req: Request<SetBatchRequest>,
) -> Result<Response<BatchStream<SetResponse>>, Status> {
    let r = req.get_ref();
    let keys = r.items.iter().map(|i| i.cache_key.as_slice());
    let c = s.batch(&req, O::SetBatch, keys)?;
    let mut ttls = Vec::with_capacity(r.items.len());
    for item in &r.items {
        fits(&c, &item.cache_key, &item.cache_body)?;
        ttls.push(c.ttl(item.ttl_milliseconds)?);
    }
    let mut out = Vec::with_capacity(r.items.len());
    for (item, ttl) in r.items.iter().zip(ttls) {
        c.update(&item.cache_key, |slot, now| {
            set_scalar(&c, slot, now, item.cache_body.clone(), ttl);
        });
        out.push(Ok(SetResponse {
            result: ECacheResult::Ok as i32,
            message: String::new(),
        }));
    }
    ok(tokio_stream::iter(out))
}

pub(super) async fn set_if(
    s: &ScsService,
    req: Request<SetIfRequest>,
) -> Result<Response<SetIfResponse>, Status> {
    use set_if_request::Condition as C;
    use set_if_response::{NotStored, Result as R, Stored};
    let r = req.get_ref();
    let caller = s.gate.caller(&req)?;
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
    let c = s.item_with(&req, &caller, op, &r.cache_key)?;
    fits(&c, &r.cache_key, &r.cache_body)?;
    let ttl = c.ttl(r.ttl_milliseconds)?;
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
            set_scalar(&c, slot, now, r.cache_body.clone(), ttl);
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

pub(super) async fn set_if_hash(
    s: &ScsService,
    req: Request<SetIfHashRequest>,
) -> Result<Response<SetIfHashResponse>, Status> {
    use set_if_hash_request::Condition as C;
    use set_if_hash_response::{NotStored, Result as R, Stored};
    let r = req.get_ref();
    let caller = s.gate.caller(&req)?;
    let Some(cond) = &r.condition else {
        return Err(Status::invalid_argument("SetIfHash needs a condition"));
    };
    let c = s.item_with(&req, &caller, O::SetIfHash, &r.cache_key)?;
    fits(&c, &r.cache_key, &r.cache_body)?;
    let ttl = c.ttl(r.ttl_milliseconds)?;
    let stored = c.update(&r.cache_key, |slot, now| {
        let current = scalar(slot.as_ref())?.map(|b| value_hash(b));
        let go = match (cond, &current) {
            (C::PresentAndNotHashEqual(h), cur) => {
                cur.as_ref().is_some_and(|x| *x != h.hash_to_check)
            }
            (C::PresentAndHashEqual(h), cur) => cur.as_ref().is_some_and(|x| *x == h.hash_to_check),
            (C::AbsentOrHashEqual(h), cur) => cur.as_ref().is_none_or(|x| *x == h.hash_to_check),
            (C::AbsentOrNotHashEqual(h), cur) => cur.as_ref().is_none_or(|x| *x != h.hash_to_check),
            (C::Unconditional(_), _) => true,
        };
        if go {
            set_scalar(&c, slot, now, r.cache_body.clone(), ttl);
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

pub(super) async fn set_if_not_exists(
    s: &ScsService,
    req: Request<SetIfNotExistsRequest>,
) -> Result<Response<SetIfNotExistsResponse>, Status> {
    use set_if_not_exists_response::{NotStored, Result as R, Stored};
    let r = req.get_ref();
    let c = s.item(&req, O::SetIfNotExists, &r.cache_key)?;
    fits(&c, &r.cache_key, &r.cache_body)?;
    let ttl = c.ttl(r.ttl_milliseconds)?;
    let stored = c.update(&r.cache_key, |slot, now| {
        let go = slot.is_none();
        if go {
            set_scalar(&c, slot, now, r.cache_body.clone(), ttl);
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

pub(super) async fn delete(
    s: &ScsService,
    req: Request<DeleteRequest>,
) -> Result<Response<DeleteResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::Delete, &r.cache_key)?;
    c.update(&r.cache_key, |slot, _| *slot = None);
    ok(DeleteResponse {})
}

pub(super) async fn keys_exist(
    s: &ScsService,
    req: Request<KeysExistRequest>,
) -> Result<Response<KeysExistResponse>, Status> {
    let r = req.get_ref();
    let keys = r.cache_keys.iter().map(Vec::as_slice);
    let c = s.batch(&req, O::KeysExist, keys)?;
    let exists = r
        .cache_keys
        .iter()
        .map(|k| c.read(k, |e, _| e.is_some()))
        .collect();
    ok(KeysExistResponse { exists })
}

pub(super) async fn increment(
    s: &ScsService,
    req: Request<IncrementRequest>,
) -> Result<Response<IncrementResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::Increment, &r.cache_key)?;
    let ttl = c.ttl(r.ttl_milliseconds)?;
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
            None => set_scalar(&c, slot, now, new.to_string().into_bytes(), ttl),
        }
        Ok::<_, Status>(new)
    })?;
    ok(IncrementResponse { value })
}

pub(super) async fn update_ttl(
    s: &ScsService,
    req: Request<UpdateTtlRequest>,
) -> Result<Response<UpdateTtlResponse>, Status> {
    use update_ttl_request::UpdateTtl as U;
    use update_ttl_response::{Missing, NotSet, Result as R, Set};
    let r = req.get_ref();
    let caller = s.gate.caller(&req)?;
    let Some(how) = r.update_ttl else {
        return Err(Status::invalid_argument("UpdateTtl needs a time to live"));
    };
    let op = match how {
        U::IncreaseToMilliseconds(_) => O::IncreaseTtl,
        U::DecreaseToMilliseconds(_) => O::DecreaseTtl,
        U::OverwriteToMilliseconds(_) => O::UpdateTtl,
    };
    let c = s.item_with(&req, &caller, op, &r.cache_key)?;
    let (ms, cmp) = match how {
        U::IncreaseToMilliseconds(ms) => (ms, Some(true)),
        U::DecreaseToMilliseconds(ms) => (ms, Some(false)),
        U::OverwriteToMilliseconds(ms) => (ms, None),
    };
    // 0 is not "the default" here: the shortest time to live there is.
    let ttl = c.ttl(ms.max(1))?;
    let result = c.update(&r.cache_key, |slot, now| match slot {
        None => R::Missing(Missing {}),
        Some(e) => {
            let new = c.expiry(now, ttl);
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

pub(super) async fn item_get_ttl(
    s: &ScsService,
    req: Request<ItemGetTtlRequest>,
) -> Result<Response<ItemGetTtlResponse>, Status> {
    use item_get_ttl_response::{Found, Missing, Result as R};
    let r = req.get_ref();
    let c = s.item(&req, O::ItemGetTtl, &r.cache_key)?;
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

pub(super) async fn item_get_type(
    s: &ScsService,
    req: Request<ItemGetTypeRequest>,
) -> Result<Response<ItemGetTypeResponse>, Status> {
    use item_get_type_response::{Found, ItemType as T, Missing, Result as R};
    let r = req.get_ref();
    let c = s.item(&req, O::ItemGetType, &r.cache_key)?;
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
