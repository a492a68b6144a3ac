//! Dictionaries: field -> value.

use super::*;
use crate::data::{Collection, change_collection, read, write_collection};
use crate::data::{Dictionary as Dict, wrong_type};

pub(super) async fn dictionary_get(
    s: &ScsService,
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
    let c = s.item(&req, op, &r.dictionary_name)?;
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

pub(super) async fn dictionary_fetch(
    s: &ScsService,
    req: Request<DictionaryFetchRequest>,
) -> Result<Response<DictionaryFetchResponse>, Status> {
    use dictionary_fetch_response::{Dictionary as D, Found, Missing};
    let r = req.get_ref();
    let c = s.item(&req, O::DictionaryFetch, &r.dictionary_name)?;
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

pub(super) async fn dictionary_set(
    s: &ScsService,
    req: Request<DictionarySetRequest>,
) -> Result<Response<DictionarySetResponse>, Status> {
    let r = req.get_ref();
    let op = one_or_many(r.items.len(), O::DictionarySetField, O::DictionarySetFields);
    let c = s.item(&req, op, &r.dictionary_name)?;
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

pub(super) async fn dictionary_increment(
    s: &ScsService,
    req: Request<DictionaryIncrementRequest>,
) -> Result<Response<DictionaryIncrementResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::DictionaryIncrement, &r.dictionary_name)?;
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

pub(super) async fn dictionary_delete(
    s: &ScsService,
    req: Request<DictionaryDeleteRequest>,
) -> Result<Response<DictionaryDeleteResponse>, Status> {
    use dictionary_delete_request::Delete as D;
    let r = req.get_ref();
    let caller = s.gate.caller(&req)?;
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
    let c = s.item_with(&req, &caller, op, &r.dictionary_name)?;
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

pub(super) async fn dictionary_length(
    s: &ScsService,
    req: Request<DictionaryLengthRequest>,
) -> Result<Response<DictionaryLengthResponse>, Status> {
    use dictionary_length_response::{Dictionary as D, Found, Missing};
    let r = req.get_ref();
    let c = s.item(&req, O::DictionaryLength, &r.dictionary_name)?;
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
