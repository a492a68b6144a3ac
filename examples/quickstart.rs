//! Loads a document (in the DSL or JSON), compiles it, and decides a few requests, printing each
//! decision and why. Run: `cargo run --release --example quickstart [-- FILE]`.

use fgac::{Authorizer, Operation, Resource, Timestamp};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/grammar/examples/checkout.fgac"
        )
        .to_owned()
    });
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read `{path}`: {e}");
            std::process::exit(2);
        }
    };
    let authz = match Authorizer::from_source(&text) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{}", e.with_origin(&path));
            std::process::exit(1);
        }
    };
    println!(
        "{path}: {} credentials compiled into {} bytes",
        authz.credentials().len(),
        authz.memory_usage()
    );
    // 2026-11-26T00:00:00Z
    let now = Timestamp::from_unix_seconds(1_795_651_200);
    let requests = [
        (
            "checkout-service",
            Operation::Set,
            Resource::item("sessions", b"user:1"),
        ),
        (
            "checkout-service",
            Operation::Get,
            Resource::item("sessions", b"user:admin"),
        ),
        (
            "checkout-service",
            Operation::Set,
            Resource::item("catalog", b"p1"),
        ),
        (
            "checkout-service",
            Operation::Get,
            Resource::item("tmp-export", b"x"),
        ),
        (
            "checkout-service",
            Operation::Publish,
            Resource::topic("chat", "room-7"),
        ),
        (
            "checkout-service",
            Operation::CreateCache,
            Resource::cache("new"),
        ),
        (
            "browser-42",
            Operation::Get,
            Resource::item("profiles", b"user:42"),
        ),
        (
            "browser-42",
            Operation::Get,
            Resource::item("profiles", b"user:43"),
        ),
        ("ops", Operation::FlushCache, Resource::cache("sessions")),
        (
            "intruder",
            Operation::Get,
            Resource::item("sessions", b"user:1"),
        ),
    ];
    for (name, op, resource) in requests {
        // A server looks the credential up once per connection; a name the store does not hold
        // has no credential to decide with.
        let decision = match authz.credential(name) {
            Some(credential) => credential.authorize(op, resource, now).to_string(),
            None => "deny (unknown credential)".to_owned(),
        };
        println!(
            "{name:>16}  {op:<12}  {:<34}  {decision}",
            resource.to_string()
        );
    }
}
