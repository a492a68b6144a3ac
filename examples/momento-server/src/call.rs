//! What a layer in front of every service records about each call: its row of the RPC table, from
//! the path it came in on (so that a handler can only be authorized as an operation of its own
//! row), and, for the minting RPCs, the message bytes the client sent.
//!
//! The minting RPCs read the permissions they mint with fgac's strict reader, from those bytes.
//!
//! tonic decodes requests with prost, whose decoding follows protobuf's lenient rules: a field
//! given twice keeps the last (or, for a message, merges both), an unknown field is dropped, a
//! second member of a oneof wins. For a permission each of those is a guess. So a layer in front
//! of the minting services keeps the request's message bytes ([`RawMessage`]), and the handler
//! walks the outer message itself ([`permissions_field`]: every field once, none unknown) and
//! reads its permissions with [`fgac::syntax::protobuf::read_permissions`], exactly what `fgac
//! convert` reads. A request the layer could not keep (compressed, or not one message) is
//! refused rather than read leniently.

use crate::rpc::Id;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::Status;
use tonic::body::Body;

/// The gRPC paths whose message bytes are kept.
pub const KEPT: [&str; 2] = [
    "/token.Token/GenerateDisposableToken",
    "/auth.Auth/GenerateApiToken",
];

/// The largest message kept: tonic's default decoding limit.
const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The bytes of a request's one protobuf message, as the client sent them.
#[derive(Clone, Debug)]
pub struct RawMessage(pub Bytes);

/// The row of the RPC table a call came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call(pub Id);

/// The layer that records every call's [`Call`], keeps the message bytes of the [`KEPT`] calls,
/// and answers a request larger than the transport decodes as Momento does.
///
/// tonic refuses a message past its decoding limit with OUT_OF_RANGE, which Momento's SDKs
/// read as a bad request; Momento answers RESOURCE_EXHAUSTED with `err:
/// request_size_limit_exceeded`, its limit-exceeded error. No handler of this server answers
/// OUT_OF_RANGE, so every one that comes back is tonic's, and is rewritten.
#[derive(Clone, Copy, Debug)]
pub struct CallLayer {
    /// The decoding limit the services were given.
    pub max_request_bytes: usize,
}

impl<S> tower::Layer<S> for CallLayer {
    type Service = CallService<S>;

    fn layer(&self, inner: S) -> CallService<S> {
        CallService {
            inner,
            max_request_bytes: self.max_request_bytes,
        }
    }
}

/// See [`CallLayer`].
#[derive(Clone, Debug)]
pub struct CallService<S> {
    inner: S,
    max_request_bytes: usize,
}

/// The response, with tonic's OUT_OF_RANGE for a message past the decoding limit (a response
/// of headers only) answered as Momento's request size limit.
fn as_momento(response: http::Response<Body>, limit: usize) -> http::Response<Body> {
    let out_of_range = response
        .headers()
        .get("grpc-status")
        .is_some_and(|s| s.as_bytes() == b"11");
    if !out_of_range {
        return response;
    }
    crate::data::limit_exceeded(
        "request_size_limit_exceeded",
        format!("the request is larger than the request size limit of {limit} bytes"),
    )
    .into_http()
}

type Boxed<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> tower::Service<http::Request<Body>> for CallService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Boxed<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        if let Some(id) = Id::from_path(req.uri().path()) {
            req.extensions_mut().insert(Call(id));
        }
        let limit = self.max_request_bytes;
        if !KEPT.contains(&req.uri().path()) {
            let call = self.inner.call(req);
            return Box::pin(async move { Ok(as_momento(call.await?, limit)) });
        }
        // The service that was made ready is the one to call (tower's clone-and-swap).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let bytes = match Limited::new(body, MAX_MESSAGE_BYTES + 5).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    return Ok(Status::invalid_argument(
                        "fgac: the request body could not be read",
                    )
                    .into_http());
                }
            };
            if let Some(message) = one_message(&bytes) {
                parts.extensions.insert(RawMessage(message));
            }
            inner
                .call(http::Request::from_parts(
                    parts,
                    Body::new(Full::new(bytes)),
                ))
                .await
        })
    }
}

/// The message of a gRPC body holding exactly one uncompressed message.
fn one_message(body: &Bytes) -> Option<Bytes> {
    let (&flag, rest) = body.split_first()?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    (flag == 0 && rest.len() == 4 + len).then(|| body.slice(5..5 + len))
}

/// The bytes of field `permissions` of the outer message `raw`, whose fields are `known` (every
/// one a singular field or a oneof member): refused when a field is given twice, a field is not
/// one of `known`, or the permissions are absent or not a message.
pub fn permissions_field<'a>(
    raw: &'a [u8],
    permissions: u32,
    known: &[u32],
) -> Result<&'a [u8], Status> {
    use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint, skip_field};
    let bad =
        |why: String| Status::invalid_argument(format!("fgac: the request does not read: {why}"));
    let mut buf = raw;
    let mut seen = Vec::new();
    let mut found = None;
    while !buf.is_empty() {
        let at = raw.len() - buf.len();
        let (tag, wire) = decode_key(&mut buf).map_err(|e| bad(format!("byte {at}: {e}")))?;
        if !known.contains(&tag) {
            return Err(bad(format!(
                "byte {at}: field {tag} is not a field of this request"
            )));
        }
        if seen.contains(&tag) {
            return Err(bad(format!(
                "byte {at}: field {tag} is given twice (protobuf would keep the last, or merge)"
            )));
        }
        seen.push(tag);
        if tag == permissions {
            if wire != WireType::LengthDelimited {
                return Err(bad(format!("byte {at}: the permissions are not a message")));
            }
            let len = decode_varint(&mut buf).map_err(|e| bad(format!("byte {at}: {e}")))?;
            let len = usize::try_from(len)
                .ok()
                .filter(|&n| n <= buf.len())
                .ok_or_else(|| bad(format!("byte {at}: the permissions run past the message")))?;
            found = Some(&buf[..len]);
            buf = &buf[len..];
        } else {
            skip_field(wire, tag, &mut buf, DecodeContext::default())
                .map_err(|e| bad(format!("byte {at}: {e}")))?;
        }
    }
    found.ok_or_else(|| Status::invalid_argument("a mint request needs permissions"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn the_outer_message_is_read_field_by_field() {
        // GenerateDisposableTokenRequest: expires = 1, auth_token = 2, permissions = 3,
        // token_id = 4.
        let known = [1, 2, 3, 4];
        let perms = [0x0a, 0x00]; // any bytes: read by fgac's reader afterwards
        let field = |tag: u8, body: &[u8]| {
            let mut v = vec![(tag << 3) | 2, body.len() as u8];
            v.extend_from_slice(body);
            v
        };
        let once = [field(2, b"key"), field(3, &perms)].concat();
        assert_eq!(permissions_field(&once, 3, &known).unwrap(), &perms);
        let twice = [field(3, &perms), field(3, &perms)].concat();
        assert!(
            permissions_field(&twice, 3, &known)
                .unwrap_err()
                .message()
                .contains("given twice")
        );
        let unknown = [field(3, &perms), field(9, b"x")].concat();
        assert!(
            permissions_field(&unknown, 3, &known)
                .unwrap_err()
                .message()
                .contains("field 9")
        );
        let none = field(2, b"key");
        assert!(permissions_field(&none, 3, &known).is_err());
        // What prost writes for the request reads back.
        let req = momento_protos::token::GenerateDisposableTokenRequest {
            auth_token: "k".into(),
            token_id: "t".into(),
            ..Default::default()
        };
        assert!(permissions_field(&req.encode_to_vec(), 3, &known).is_err());
    }

    #[test]
    fn only_one_uncompressed_message_is_kept() {
        let frame = |flag: u8, msg: &[u8]| {
            let mut v = vec![flag];
            v.extend_from_slice(&(msg.len() as u32).to_be_bytes());
            v.extend_from_slice(msg);
            Bytes::from(v)
        };
        assert_eq!(one_message(&frame(0, b"abc")).as_deref(), Some(&b"abc"[..]));
        assert_eq!(one_message(&frame(1, b"abc")), None, "compressed");
        let two = [frame(0, b"a").to_vec(), frame(0, b"b").to_vec()].concat();
        assert_eq!(one_message(&Bytes::from(two)), None);
        assert_eq!(one_message(&Bytes::from_static(b"\0\0")), None);
    }
}
