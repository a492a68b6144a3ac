//! The server driven by Momento's Rust SDK (crates.io `momento`), the second independent client
//! beside the Python suite in tests/sdk: the two must agree. Starts the real binary on loopback
//! and stops it by its PID.

use futures::StreamExt;
use momento::auth::{
    DisposableTokenScope, DisposableTokenScopes, ExpiresIn, GenerateDisposableTokenRequest,
    Permission, Permissions, TopicPermission, TopicRole,
};
use momento::cache::{GetResponse, configurations};
use momento::topics::ValueKind;
use momento::{AuthClient, CacheClient, CredentialProvider, MomentoErrorCode, TopicClient};
use std::time::{Duration, Instant};

mod common;
use common::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_sdk_agrees_with_the_python_sdk() {
    let server = start();
    let app = server.cache(&server.key("app"));

    // Data round trips.
    app.set("app", "rust:k", "v").await.unwrap();
    match app.get("app", "rust:k").await.unwrap() {
        GetResponse::Hit { value } => assert_eq!(String::try_from(value).unwrap(), "v"),
        GetResponse::Miss => panic!("the value was not stored"),
    }
    assert!(matches!(
        app.get("app", "rust:none").await.unwrap(),
        GetResponse::Miss
    ));

    // fgac's decisions, as the SDK's errors.
    let e = app.set("app", "ro:x", "v").await.unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);
    assert!(format!("{e:?}").contains("denied_by_rule #1"), "{e:?}");
    let e = app.create_cache("rust-new").await.unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);
    assert!(format!("{e:?}").contains("super_user_required"), "{e:?}");
    let e = server
        .cache("not-a-credential")
        .get("app", "k")
        .await
        .unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::AuthenticationError);

    // The control plane with the super-user key.
    let admin = server.cache(&server.key("admin"));
    admin.create_cache("rust-new").await.unwrap();
    let names: Vec<String> = admin
        .list_caches()
        .await
        .unwrap()
        .caches
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(names.contains(&"rust-new".to_owned()), "{names:?}");
    admin.delete_cache("rust-new").await.unwrap();

    // Minting: a token within the minter's rights works, and is narrower.
    let auth = AuthClient::builder()
        .credential_provider(server.provider(&server.key("minter")))
        .build()
        .unwrap();
    let minted = auth
        .send_request(
            GenerateDisposableTokenRequest::new(
                DisposableTokenScopes::cache_key_prefix_read_write("app", "user:5:"),
                ExpiresIn::minutes(5),
            )
            .token_id("rust-5".to_owned()),
        )
        .await
        .unwrap();
    let token = CredentialProvider::from_disposable_token(minted.clone().auth_token())
        .unwrap()
        .insecure_endpoint_override(&format!("http://127.0.0.1:{}", server.port));
    let as_token = CacheClient::builder()
        .default_ttl(Duration::from_secs(60))
        .configuration(configurations::Laptop::latest())
        .credential_provider(token)
        .build()
        .unwrap();
    as_token.set("app", "user:5:cart", "1").await.unwrap();
    let e = as_token.set("app", "user:6:cart", "1").await.unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);
    // More than the minter holds: refused with a counterexample.
    let e = auth
        .generate_disposable_token(
            DisposableTokenScopes::cache_key_read_write("app", "admin"),
            ExpiresIn::minutes(5),
        )
        .await
        .unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);
    assert!(format!("{e:?}").contains("cannot mint"), "{e:?}");

    // Topics: a subscriber sees what is published, with the publisher's token id.
    let publisher_token = auth
        .send_request(
            GenerateDisposableTokenRequest::new(
                DisposableTokenScope::Permissions(Permissions {
                    permissions: vec![Permission::TopicPermission(TopicPermission {
                        role: TopicRole::PublishSubscribe,
                        cache: "app".into(),
                        topic: "news-rust".into(),
                    })],
                }),
                ExpiresIn::minutes(5),
            )
            .token_id("publisher-1".to_owned()),
        )
        .await
        .unwrap();
    let topics = |p: CredentialProvider| {
        TopicClient::builder()
            .configuration(momento::topics::configurations::Laptop::latest())
            .credential_provider(p)
            .build()
            .unwrap()
    };
    let subscriber = topics(server.provider(&server.key("app")));
    let publisher = topics(
        CredentialProvider::from_disposable_token(publisher_token.auth_token())
            .unwrap()
            .insecure_endpoint_override(&format!("http://127.0.0.1:{}", server.port)),
    );
    let mut sub = subscriber.subscribe("app", "news-rust").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let got = loop {
        assert!(Instant::now() < deadline, "no message arrived");
        publisher
            .publish("app", "news-rust", "hello")
            .await
            .unwrap();
        if let Ok(Some(v)) = tokio::time::timeout(Duration::from_millis(500), sub.next()).await {
            break v;
        }
    };
    assert!(matches!(&got.kind, ValueKind::Text(t) if t == "hello"));
    assert_eq!(got.publisher_id, "publisher-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scalar_calls_the_python_sdk_lacks_round_trip_through_the_rust_sdk() {
    use momento::cache::{
        GetBatchResponse, IncreaseTtlResponse, ItemGetTtlResponse, ItemGetTypeResponse, ItemType,
        SetIfAbsentResponse, SetIfEqualResponse, UpdateTtlResponse,
    };
    use std::collections::HashMap;
    let server = start();
    let app = server.cache(&server.key("app"));

    // Batches: every key is authorized, and the values round-trip.
    app.set_batch("app", vec![("b:1", "one"), ("b:2", "two")])
        .await
        .unwrap();
    let got: HashMap<String, String> = app
        .get_batch("app", vec!["b:1", "b:2", "b:3"])
        .await
        .map(|r: GetBatchResponse| r.try_into().unwrap())
        .unwrap();
    assert_eq!(got.get("b:1").map(String::as_str), Some("one"));
    assert_eq!(got.get("b:2").map(String::as_str), Some("two"));
    assert!(!got.contains_key("b:3"));
    let exists: Vec<bool> = app
        .keys_exist("app", vec!["b:1", "b:3"])
        .await
        .unwrap()
        .into();
    assert_eq!(exists, vec![true, false]);
    // One key of a batch outside the credential denies the whole batch.
    let e = app
        .set_batch("app", vec![("b:4", "x"), ("ro:1", "x")])
        .await
        .unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);
    assert!(matches!(
        app.get("app", "b:4").await.unwrap(),
        GetResponse::Miss
    ));

    // The set-if family.
    assert!(matches!(
        app.set_if_absent("app", "c:1", "a").await.unwrap(),
        SetIfAbsentResponse::Stored
    ));
    assert!(matches!(
        app.set_if_absent("app", "c:1", "b").await.unwrap(),
        SetIfAbsentResponse::NotStored
    ));
    assert!(matches!(
        app.set_if_equal("app", "c:1", "c", "a").await.unwrap(),
        SetIfEqualResponse::Stored
    ));
    assert!(matches!(
        app.set_if_equal("app", "c:1", "d", "a").await.unwrap(),
        SetIfEqualResponse::NotStored
    ));

    // Item type and time to live.
    app.list_push_back("app", "l:1", "x").await.unwrap();
    assert!(matches!(
        app.item_get_type("app", "l:1").await.unwrap(),
        ItemGetTypeResponse::Hit {
            key_type: ItemType::List
        }
    ));
    assert!(matches!(
        app.item_get_type("app", "c:1").await.unwrap(),
        ItemGetTypeResponse::Hit {
            key_type: ItemType::Scalar
        }
    ));
    assert!(matches!(
        app.update_ttl("app", "c:1", Duration::from_secs(100))
            .await
            .unwrap(),
        UpdateTtlResponse::Set
    ));
    match app.item_get_ttl("app", "c:1").await.unwrap() {
        ItemGetTtlResponse::Hit { remaining_ttl } => {
            assert!(
                remaining_ttl <= Duration::from_secs(100)
                    && remaining_ttl > Duration::from_secs(90)
            );
        }
        ItemGetTtlResponse::Miss => panic!("the item is gone"),
    }
    assert!(matches!(
        app.increase_ttl("app", "c:1", Duration::from_secs(50))
            .await
            .unwrap(),
        IncreaseTtlResponse::NotSet
    ));
    assert!(matches!(
        app.update_ttl("app", "c:none", Duration::from_secs(5))
            .await
            .unwrap(),
        UpdateTtlResponse::Miss
    ));
    app.update_ttl("app", "c:1", Duration::from_millis(200))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !matches!(app.get("app", "c:1").await.unwrap(), GetResponse::Miss) {
        assert!(Instant::now() < deadline, "the item did not expire");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A union store touches its destination and every source; all are authorized.
    app.sorted_set_put_elements("app", "z:a", vec![("x", 1.0), ("y", 2.0)])
        .await
        .unwrap();
    app.sorted_set_put_elements("app", "z:b", vec![("y", 3.0), ("w", 4.0)])
        .await
        .unwrap();
    let union = app
        .sorted_set_union_store("app", "z:u", vec![("z:a", 1.0f32), ("z:b", 2.0f32)])
        .await
        .unwrap();
    assert_eq!(union.length, 3);
    let scores = app.sorted_set_get_score("app", "z:u", "y").await.unwrap();
    assert_eq!(f64::try_from(scores).unwrap(), 8.0);
    let e = app
        .sorted_set_union_store("app", "ro:u", vec![("z:a", 1.0f32)])
        .await
        .unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);

    // Conditional writes need read and write: the deny of write on `ro:` covers them.
    let e = app.set_if_absent("app", "ro:2", "x").await.unwrap_err();
    assert_eq!(e.error_code, MomentoErrorCode::PermissionError);
}

/// Topics as `cachepubsub.proto` describes them, through the Rust SDK (the Python suite checks
/// the same, and the discontinuities the SDKs do not show, in tests/sdk/test_topics.py): a
/// subscription starts with the latest messages the topic kept, a resume point is inclusive, and
/// one beyond the topic's last number resumes with its next message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_keep_history_and_resume_inclusively_through_the_rust_sdk() {
    use momento::topics::{SubscribeRequest, SubscriptionValue};
    let server = start();
    let client = TopicClient::builder()
        .configuration(momento::topics::configurations::Laptop::latest())
        .credential_provider(server.provider(&server.key("app")))
        .build()
        .unwrap();
    let text = |v: &SubscriptionValue| match &v.kind {
        ValueKind::Text(t) => t.clone(),
        ValueKind::Binary(b) => format!("{b:?}"),
    };
    async fn next(sub: &mut momento::topics::Subscription) -> SubscriptionValue {
        tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("a message within 10 s")
            .expect("the subscription goes on")
    }
    for m in ["one", "two", "three"] {
        client.publish("app", "history-rust", m).await.unwrap();
    }
    // Published before anyone subscribed, and delivered all the same, in order.
    let mut sub = client.subscribe("app", "history-rust").await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let v = next(&mut sub).await;
        seen.push((v.topic_sequence_number, text(&v)));
    }
    assert_eq!(
        seen,
        [(1, "one".into()), (2, "two".into()), (3, "three".into())]
    );
    let page = next_page(&client).await;
    // Resuming at 2 replays 2 (inclusive) and 3.
    let mut resumed = client
        .send_request(SubscribeRequest::new(
            "app",
            "history-rust",
            Some(2),
            Some(page),
        ))
        .await
        .unwrap();
    assert_eq!(next(&mut resumed).await.topic_sequence_number, 2);
    assert_eq!(next(&mut resumed).await.topic_sequence_number, 3);
    // Beyond the last: nothing replayed, the next message is the first delivered.
    let mut ahead = client
        .send_request(SubscribeRequest::new(
            "app",
            "history-rust",
            Some(50),
            Some(page),
        ))
        .await
        .unwrap();
    client.publish("app", "history-rust", "four").await.unwrap();
    let v = next(&mut ahead).await;
    assert_eq!((v.topic_sequence_number, text(&v)), (4, "four".into()));
    assert_eq!(v.topic_sequence_page, page);
    let v = next(&mut sub).await;
    assert_eq!((v.topic_sequence_number, text(&v)), (4, "four".into()));

    /// The page of `history-rust`, read from a fresh subscription's first replayed message.
    async fn next_page(client: &TopicClient) -> u64 {
        let mut s = client.subscribe("app", "history-rust").await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), s.next())
            .await
            .unwrap()
            .unwrap()
            .topic_sequence_page
    }
}
