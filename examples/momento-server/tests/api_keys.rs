//! Minting API keys through the `auth.Auth` service (`GenerateApiToken`, `RefreshApiToken`).
//! Neither Momento SDK here has these calls in its AuthClient (Python 1.29.1, Rust 0.70), so the
//! test drives them with the generated tonic client of the same protos, then uses what it minted
//! through Momento's Rust SDK.

mod common;

use momento::MomentoErrorCode;
use momento::cache::GetResponse;
use momento_protos::auth::auth_client::AuthClient;
use momento_protos::auth::generate_api_token_request::{Expires, Expiry, Never};
use momento_protos::auth::{GenerateApiTokenRequest, RefreshApiTokenRequest};
use momento_protos::permission_messages::permissions_type::{
    All, CacheItemSelector, CachePermissions, CacheSelector, Kind, cache_item_selector,
    cache_permissions, cache_selector,
};
use momento_protos::permission_messages::{
    CacheRole, ExplicitPermissions, Permissions, PermissionsType, SuperUserPermissions, permissions,
};
use tonic::{Code, Request};

/// Read and write of the cache `cache`: keys under `prefix`, or every item.
fn read_write(cache: &str, prefix: Option<&[u8]>) -> Permissions {
    Permissions {
        kind: Some(permissions::Kind::Explicit(ExplicitPermissions {
            permissions: vec![PermissionsType {
                kind: Some(Kind::CachePermissions(CachePermissions {
                    role: CacheRole::CacheReadWrite as i32,
                    cache: Some(cache_permissions::Cache::CacheSelector(CacheSelector {
                        kind: Some(cache_selector::Kind::CacheName(cache.to_owned())),
                    })),
                    cache_item: Some(match prefix {
                        Some(p) => cache_permissions::CacheItem::ItemSelector(CacheItemSelector {
                            kind: Some(cache_item_selector::Kind::KeyPrefix(p.to_vec())),
                        }),
                        None => cache_permissions::CacheItem::AllItems(All {}),
                    }),
                })),
            }],
        })),
    }
}

fn generate(
    key: &str,
    permissions: Permissions,
    expiry: Expiry,
) -> Request<GenerateApiTokenRequest> {
    let mut r = Request::new(GenerateApiTokenRequest {
        auth_token: key.to_owned(),
        permissions: Some(permissions),
        token_id: String::new(),
        description: "test key".to_owned(),
        expiry: Some(expiry),
    });
    r.metadata_mut()
        .insert("authorization", key.parse().unwrap());
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_minted_within_the_caller_and_refreshed() {
    let server = common::start();
    let mut auth = AuthClient::connect(server.uri()).await.unwrap();
    let minter = server.key("minter");

    // Within the minter's rights: a key for `user:3:`, which the Rust SDK then uses.
    let minted = auth
        .generate_api_token(generate(
            &minter,
            read_write("app", Some(b"user:3:")),
            Expiry::Expires(Expires {
                valid_for_seconds: 600,
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(minted.valid_until > 0);
    let client = server.cache(&minted.api_key);
    client.set("app", "user:3:a", "v").await.unwrap();
    let e = client.set("app", "user:4:a", "v").await.unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);

    // More than the minter holds: every item of the cache, or super user. (`never` is within
    // the minter, whose own key never expires.)
    let refused = auth
        .generate_api_token(generate(
            &minter,
            read_write("app", None),
            Expiry::Never(Never {}),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(
        refused.message().contains("cannot mint"),
        "{}",
        refused.message()
    );
    let refused = auth
        .generate_api_token(generate(
            &minter,
            Permissions {
                kind: Some(permissions::Kind::SuperUser(
                    SuperUserPermissions::SuperUser as i32,
                )),
            },
            Expiry::Never(Never {}),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Code::PermissionDenied,
        "{}",
        refused.message()
    );

    // A key without the right to mint is refused before any minting.
    let refused = auth
        .generate_api_token(generate(
            &server.key("reader"),
            read_write("app", Some(b"user:")),
            Expiry::Never(Never {}),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(
        refused.message().contains("generate_api_key"),
        "{}",
        refused.message()
    );

    // Refreshing: the refresh token must be the key's; the successor works like the key.
    let refresh = |api_key: &str, refresh_token: &str| {
        let mut r = Request::new(RefreshApiTokenRequest {
            api_key: api_key.to_owned(),
            refresh_token: refresh_token.to_owned(),
        });
        r.metadata_mut()
            .insert("authorization", minter.parse().unwrap());
        r
    };
    let wrong = auth
        .refresh_api_token(refresh(&minted.api_key, "not-its-id"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    let successor = auth
        .refresh_api_token(refresh(&minted.api_key, &minted.refresh_token))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(successor.api_key, minted.api_key);
    assert_ne!(successor.refresh_token, minted.refresh_token);
    assert!(successor.valid_until >= minted.valid_until);
    let next = server.cache(&successor.api_key);
    assert!(matches!(
        next.get("app", "user:3:a").await.unwrap(),
        GetResponse::Hit { .. }
    ));
    let e = next.set("app", "user:4:a", "v").await.unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);
}

/// The refresh rule through RefreshApiToken: the refresh token is a secret (not the key's id),
/// a narrower caller cannot refresh a wider key (refused with a request it may not make),
/// and revoking the first key revokes its successor and what was minted from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_stays_within_the_caller_and_dies_with_the_key() {
    use fgac::credentials::{Revocation, RevocationLog, RevocationRecord, inspect};
    use momento_protos::auth::RefreshApiTokenResponse;
    let server = common::start();
    let mut auth = AuthClient::connect(server.uri()).await.unwrap();
    let minter = server.key("minter");
    let minted = auth
        .generate_api_token(generate(
            &minter,
            read_write("app", Some(b"user:3:")),
            Expiry::Expires(Expires {
                valid_for_seconds: 600,
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    let id = |key: &str| {
        inspect(key, None, &fgac::Limits::default())
            .unwrap()
            .claims
            .unwrap()
            .id
    };
    assert_ne!(
        minted.refresh_token,
        id(&minted.api_key),
        "not the key's id"
    );
    let refresh = |caller: &str, api_key: &str, refresh_token: &str| {
        let mut r = Request::new(RefreshApiTokenRequest {
            api_key: api_key.to_owned(),
            refresh_token: refresh_token.to_owned(),
        });
        r.metadata_mut()
            .insert("authorization", caller.parse().unwrap());
        r
    };
    // The key's id is not its refresh token.
    let refused = auth
        .refresh_api_token(refresh(&minter, &minted.api_key, &id(&minted.api_key)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    // `narrow` may refresh (it holds auth_write) but holds only `user:3:a`.
    let refused = auth
        .refresh_api_token(refresh(
            &server.key("narrow"),
            &minted.api_key,
            &minted.refresh_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("cannot mint"),
        "{}",
        refused.message()
    );
    // The key refreshes itself... (its successor is its next generation)
    let next: RefreshApiTokenResponse = auth
        .refresh_api_token(refresh(&minter, &minted.api_key, &minted.refresh_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(id(&next.api_key), format!("{}~1", id(&minted.api_key)));
    let child = server.cache(&next.api_key);
    child.set("app", "user:3:x", "v").await.unwrap();
    // ...and a revocation of the first key, by id, reaches the successor.
    RevocationLog::append(
        &server.revocation_log(),
        &RevocationRecord::forever(
            Revocation::Credential(id(&minted.api_key)),
            fgac::Timestamp::now(),
        ),
    )
    .unwrap();
    // (The Rust SDK's message for UNAUTHENTICATED is its own; the server's reason is `revoked`.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut refused = false;
    while !refused && std::time::Instant::now() < deadline {
        match child.get("app", "user:3:x").await {
            Err(e) if e.error_code == MomentoErrorCode::AuthenticationError => refused = true,
            _ => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    assert!(refused, "the successor was not refused within 10 s");
    // The server says why: its status for the successor, read directly.
    let mut scs = momento_protos::cache_client::scs_client::ScsClient::new(server.channel().await);
    let mut get = Request::new(momento_protos::cache_client::GetRequest {
        cache_key: b"user:3:x".to_vec(),
    });
    get.metadata_mut()
        .insert("authorization", next.api_key.parse().unwrap());
    get.metadata_mut().insert("cache", "app".parse().unwrap());
    let status = scs.get(get).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("revoked"), "{}", status.message());
}
