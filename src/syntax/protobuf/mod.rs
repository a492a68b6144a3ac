//! Momento's v1 permission protobuf: the `Permissions` message of `permissionmessages.proto`,
//! which Momento's SDKs send when they mint API keys and disposable tokens (feature `protobuf`).
//!
//! A message is read strictly, by MOMENTO.md's rules for what may be unset:
//!
//! * an unset `cache_item` means every item of the selected caches (Momento's SDKs send the cache
//!   permissions of API keys so);
//! * a `*PermitNone` role (or no role, which is the same on the wire), an unset `cache` or
//!   `topic` oneof, a selector message with nothing selected, an unknown enum value and an empty
//!   message are errors, never "nothing" or "all";
//! * unknown fields, a singular field given twice and two members of one oneof are errors (the
//!   wire format would skip the first or keep the last; fgac does not guess), as are function
//!   permissions, which fgac does not authorize;
//! * keys are bytes and stay bytes; names are UTF-8 strings.
//!
//! Errors carry byte offsets into the message. As a document, a message is one API key named
//! [`DEFAULT_CREDENTIAL_NAME`](super::json::DEFAULT_CREDENTIAL_NAME) that never expires, as
//! Momento's scope JSON is; files in this format end in `.binpb` (or `.pb`).
//!
//! ```
//! use fgac::syntax::{self, Format, Reader};
//!
//! // What Momento's Python SDK sends for `PermissionScope` "readonly on cache `c`".
//! let bytes = [0x12, 0x0b, 0x0a, 0x09, 0x0a, 0x07, 0x08, 0x02, 0x1a, 0x03, 0x0a, 0x01, b'c'];
//! let reader = Reader::new().format(Format::MomentoProtobuf);
//! let doc = reader.read(&bytes)?.document;
//! let printed = syntax::to_bytes(&doc, Format::MomentoProtobuf)?;
//! assert_eq!(printed, bytes);
//!
//! let err = reader.read(&[0x12, 0x04, 0x0a, 0x02, 0x0a, 0x00]).unwrap_err();
//! assert_eq!(err.diagnostics()[0].message, "`CachePermissions` has no role (on the wire, an unset role is the zero value, `*PermitNone`)");
//! # Ok::<(), fgac::Error>(())
//! ```

mod messages;
mod messages_v2;
mod read;
#[cfg(test)]
mod tests;
mod v2;
mod wire;
mod write;

use super::momento::momento_credential;
use crate::error::Error;
use crate::limits::Limits;
use crate::model::{CredentialDef, CredentialKind, Document, Permissions, Span};

/// Reads a `Permissions` message as a document (one API key named `default` that never expires)
/// under `limits`.
pub(crate) fn read_document(bytes: &[u8], limits: &Limits) -> Result<Document, Error> {
    let permissions = read_permissions(bytes, limits)?;
    Ok(Document {
        credentials: vec![momento_credential(
            permissions,
            crate::ops::AccountRights::NONE,
            Vec::new(),
            Span::new(0, bytes.len()),
        )],
    })
}

/// Reads a v2 `PermissionSet` message as a document (one API key named `default` that never
/// expires, with the grants, account rights and networks the message gives) under `limits`.
/// Function and database rules are refused: fgac does not authorize them.
pub(crate) fn read_document_v2(bytes: &[u8], limits: &Limits) -> Result<Document, Error> {
    let set = v2::permission_set(bytes, limits).map_err(|d| Error::one(*d))?;
    Ok(Document {
        credentials: vec![momento_credential(
            set.permissions,
            set.account,
            set.networks,
            Span::new(0, bytes.len()),
        )],
    })
}

/// `credential` as a v2 `PermissionSet` message, refusing (one diagnostic each) what it cannot
/// say: anything but an API key named `default` that never expires, deny rules, and cache
/// prefixes. Networks become an `ip_filter` condition, account rights management rules and
/// `list` permissions.
pub(crate) fn to_v2_bytes(credential: &CredentialDef) -> Result<Vec<u8>, Error> {
    let problems = super::momento::refusals(
        credential,
        "Momento's v2 protobuf",
        super::momento::Model::V2,
        "print fgac's key-store JSON instead",
    );
    if !problems.is_empty() {
        return Err(Error::new(problems));
    }
    write::permission_set(credential)
}

/// Reads a `Permissions` message as the permissions of a credential a server is about to mint
/// (the kind, expiry and token id come from the rest of the mint request). The result is not yet
/// validated: build the credential and validate or compile it, which applies the limits of its
/// kind.
pub fn read_permissions(bytes: &[u8], limits: &Limits) -> Result<Permissions, Error> {
    read::permissions(bytes, limits).map_err(|d| Error::one(*d))
}

/// `credential` as a `Permissions` message, refusing (one diagnostic each) what the message
/// cannot say: anything but an API key named `default` that never expires and may be used from
/// anywhere, deny rules, and cache prefixes.
pub(crate) fn to_bytes(credential: &CredentialDef) -> Result<Vec<u8>, Error> {
    let problems = super::momento::refusals(
        credential,
        "Momento's protobuf",
        crate::syntax::momento::Model::V1,
        "print fgac's key-store JSON instead",
    );
    if !problems.is_empty() {
        return Err(Error::new(problems));
    }
    write::permissions(&credential.permissions, credential.kind, &credential.name)
}

/// `permissions` as the `Permissions` message of a mint request for a credential of `kind`, the
/// way Momento's SDKs write it (every item of a cache left unset for an API key, `all_items` for
/// a token), refusing deny rules, cache prefixes, roles on the wrong kind of resource and a
/// super-user token.
pub fn write_permissions(
    permissions: &Permissions,
    kind: CredentialKind,
) -> Result<Vec<u8>, Error> {
    write::permissions(permissions, kind, "the permissions")
}
