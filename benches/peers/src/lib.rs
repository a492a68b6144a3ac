//! fgac beside its peers: the same generated policy as Cedar policies (`permit`/`forbid` with
//! attribute conditions on one resource entity per request) and as casbin rules (ACL with
//! `keyMatch` and deny-override), the same requests, and a check that every engine decides alike.

pub use fgac_test_support::policy;

use fgac::model::{
    CacheSelector, Document, Effect, Grant, ItemSelector, Permissions, ResourceSelector,
    TopicSelector, ValidDocument,
};
use fgac::{Authorizer, Limits, Operation, Resource, Timestamp, reference};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// The time every request is decided at.
pub const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_651_200);

/// A benchmark request: a `get` of an item, which needs `read`.
pub use policy::Probe as BenchRequest;
pub use policy::{prefix_hit_of_length, probes as requests};

fn resource(r: &BenchRequest) -> Resource<'_> {
    Resource::item(&r.cache, &r.key)
}

/// The one action every benchmark request asks for.
pub const ACTION: &str = "read";

/// fgac's engine and reference evaluator on the policy.
pub struct Fgac {
    /// The document (leaked, so that its validated form can live beside it for the benchmark's
    /// whole run: the reference evaluator takes only validated input).
    pub doc: &'static Document,
    valid: ValidDocument<'static>,
    /// The compiled engine.
    pub authz: Authorizer,
}

impl Fgac {
    /// Compiles the generated policy of `n` grants.
    pub fn new(n: usize) -> Fgac {
        let doc: &'static Document = Box::leak(Box::new(policy::generated(n)));
        let authz = Authorizer::builder()
            .limits(Limits::unbounded())
            .compile(doc)
            .expect("the generated policy compiles");
        let valid = fgac::validate(doc, &Limits::unbounded()).expect("valid");
        Fgac { doc, valid, authz }
    }

    /// The engine's answer, the credential looked up by name included.
    pub fn engine(&self, r: &BenchRequest) -> bool {
        self.authz
            .credential(policy::KEY)
            .is_some_and(|c| c.authorize(Operation::Get, resource(r), NOW).is_allowed())
    }

    /// The reference evaluator's answer, the credential looked up by name included.
    pub fn reference(&self, r: &BenchRequest) -> bool {
        self.valid.credential(policy::KEY).is_some_and(|c| {
            reference::decide(c, Operation::Get.need(), resource(r), NOW).is_allowed()
        })
    }

    fn grants(&self) -> &[Grant] {
        match &self.doc.credentials[0].permissions {
            Permissions::Explicit(g) => g,
            Permissions::SuperUser { .. } => &[],
        }
    }
}

fn rights_of(g: &Grant) -> Vec<&'static str> {
    let r = g.role.rights();
    [
        (fgac::Rights::READ, "read"),
        (fgac::Rights::WRITE, "write"),
        (fgac::Rights::PUBLISH, "publish"),
        (fgac::Rights::SUBSCRIBE, "subscribe"),
    ]
    .into_iter()
    .filter(|(bit, _)| r.contains(*bit))
    .map(|(_, name)| name)
    .collect()
}

/// A Cedar string literal.
fn cedar_string(s: &str) -> String {
    format!("\"{}\"", s.escape_default())
}

/// A Cedar `like` pattern matching every string that starts with `prefix`.
fn cedar_prefix(prefix: &str) -> String {
    format!(
        "\"{}*\"",
        prefix.escape_default().to_string().replace('*', "\\*")
    )
}

/// The Cedar policy of one grant.
pub fn cedar_policy(g: &Grant) -> String {
    let effect = match g.effect {
        Effect::Allow => "permit",
        Effect::Deny => "forbid",
    };
    let actions: Vec<String> = rights_of(g)
        .iter()
        .map(|a| format!("Action::{}", cedar_string(a)))
        .collect();
    let mut conditions = Vec::new();
    match &g.cache {
        CacheSelector::All => {}
        CacheSelector::Name(n) => conditions.push(format!("resource.cache == {}", cedar_string(n))),
        CacheSelector::Prefix(p) => {
            conditions.push(format!("resource.cache like {}", cedar_prefix(p)))
        }
    }
    let (kind, field, sel) = match &g.resource {
        ResourceSelector::Items(ItemSelector::All) => ("Item", "key", None),
        ResourceSelector::Items(ItemSelector::Key(k)) => (
            "Item",
            "key",
            Some((false, String::from_utf8_lossy(k).into_owned())),
        ),
        ResourceSelector::Items(ItemSelector::Prefix(p)) => (
            "Item",
            "key",
            Some((true, String::from_utf8_lossy(p).into_owned())),
        ),
        ResourceSelector::Topics(TopicSelector::All) => ("Topic", "topic", None),
        ResourceSelector::Topics(TopicSelector::Name(n)) => {
            ("Topic", "topic", Some((false, n.clone())))
        }
        ResourceSelector::Topics(TopicSelector::Prefix(p)) => {
            ("Topic", "topic", Some((true, p.clone())))
        }
        // The benchmark policies grant on caches only.
        ResourceSelector::StoreItems(_) => {
            panic!("the peers translate cache and topic grants, not store grants: {g:?}")
        }
    };
    match sel {
        Some((false, v)) => conditions.push(format!("resource.{field} == {}", cedar_string(&v))),
        Some((true, p)) => conditions.push(format!("resource.{field} like {}", cedar_prefix(&p))),
        None => {}
    }
    let when = if conditions.is_empty() {
        String::new()
    } else {
        format!(" when {{ {} }}", conditions.join(" && "))
    };
    format!(
        "{effect}(principal == Key::{}, action in [{}], resource is {kind}){when};",
        cedar_string(policy::KEY),
        actions.join(", ")
    )
}

/// Cedar on the policy.
pub struct Cedar {
    policies: cedar_policy::PolicySet,
    authorizer: cedar_policy::Authorizer,
}

/// A Cedar request with its one resource entity, built before timing.
pub struct CedarRequest {
    request: cedar_policy::Request,
    entities: cedar_policy::Entities,
}

impl Cedar {
    /// The generated policy's grants as Cedar policies.
    pub fn new(fgac: &Fgac) -> Cedar {
        let text: Vec<String> = fgac.grants().iter().map(cedar_policy).collect();
        let policies = cedar_policy::PolicySet::from_str(&text.join("\n"))
            .expect("the Cedar translation parses");
        Cedar {
            policies,
            authorizer: cedar_policy::Authorizer::new(),
        }
    }

    /// The request and its resource entity.
    pub fn prepare(&self, r: &BenchRequest) -> CedarRequest {
        use cedar_policy::{Context, Entities, Entity, EntityUid, RestrictedExpression};
        let uid = |s: &str| EntityUid::from_str(s).expect("entity uid");
        let key = String::from_utf8_lossy(&r.key).into_owned();
        let resource = uid(&format!(
            "Item::{}",
            cedar_string(&format!("{}/{key}", r.cache))
        ));
        let attrs = HashMap::from([
            (
                "cache".to_owned(),
                RestrictedExpression::new_string(r.cache.clone()),
            ),
            ("key".to_owned(), RestrictedExpression::new_string(key)),
        ]);
        let entity = Entity::new(resource.clone(), attrs, HashSet::new()).expect("entity");
        let entities = Entities::from_entities([entity], None).expect("entities");
        let request = cedar_policy::Request::new(
            uid(&format!("Key::{}", cedar_string(policy::KEY))),
            uid(&format!("Action::{}", cedar_string(ACTION))),
            resource,
            Context::empty(),
            None,
        )
        .expect("request");
        CedarRequest { request, entities }
    }

    /// Cedar's answer.
    pub fn decide(&self, r: &CedarRequest) -> bool {
        self.authorizer
            .is_authorized(&r.request, &self.policies, &r.entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}

/// The casbin model: an ACL whose objects are `i:CACHE/KEY` or `t:CACHE/TOPIC`, where a policy's
/// object may end in `*` (keyMatch: a prefix), and a deny overrides every allow.
pub const CASBIN_MODEL: &str = "
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, eft

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.sub == p.sub && r.act == p.act && keyMatch(r.obj, p.obj)
";

/// The casbin rules of one grant: one per right.
pub fn casbin_rules(g: &Grant) -> Vec<Vec<String>> {
    let (tag, sel) = match &g.resource {
        ResourceSelector::Items(ItemSelector::All) => ("i", Some("*".to_owned())),
        ResourceSelector::Items(ItemSelector::Key(k)) => {
            ("i", Some(String::from_utf8_lossy(k).into_owned()))
        }
        ResourceSelector::Items(ItemSelector::Prefix(p)) => {
            ("i", Some(format!("{}*", String::from_utf8_lossy(p))))
        }
        ResourceSelector::Topics(TopicSelector::All) => ("t", Some("*".to_owned())),
        ResourceSelector::Topics(TopicSelector::Name(n)) => ("t", Some(n.clone())),
        ResourceSelector::Topics(TopicSelector::Prefix(p)) => ("t", Some(format!("{p}*"))),
        ResourceSelector::StoreItems(_) => {
            panic!("the peers translate cache and topic grants, not store grants: {g:?}")
        }
    };
    let object = match (&g.cache, sel.as_deref()) {
        (CacheSelector::Name(c), Some(s)) => format!("{tag}:{c}/{s}"),
        // keyMatch has one trailing wildcard: a cache prefix or all caches only with all items.
        (CacheSelector::Prefix(p), Some("*")) => format!("{tag}:{p}*"),
        (CacheSelector::All, Some("*")) => format!("{tag}:*"),
        (cache, sel) => panic!("casbin's keyMatch cannot express {cache:?} with {sel:?}"),
    };
    let effect = match g.effect {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
    };
    rights_of(g)
        .into_iter()
        .map(|a| {
            vec![
                policy::KEY.to_owned(),
                object.clone(),
                a.to_owned(),
                effect.to_owned(),
            ]
        })
        .collect()
}

/// casbin on the policy.
pub struct Casbin {
    enforcer: casbin::Enforcer,
}

impl Casbin {
    /// The generated policy's grants as casbin rules, in a memory adapter.
    pub fn new(fgac: &Fgac) -> Casbin {
        use casbin::prelude::*;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let rules: Vec<Vec<String>> = fgac.grants().iter().flat_map(casbin_rules).collect();
        let enforcer = runtime.block_on(async {
            let model = DefaultModel::from_str(CASBIN_MODEL)
                .await
                .expect("casbin model");
            let mut e = Enforcer::new(model, MemoryAdapter::default())
                .await
                .expect("enforcer");
            e.add_policies(rules).await.expect("rules");
            e
        });
        Casbin { enforcer }
    }

    /// The object a request names.
    pub fn object(r: &BenchRequest) -> String {
        format!("i:{}/{}", r.cache, String::from_utf8_lossy(&r.key))
    }

    /// casbin's answer.
    pub fn decide(&self, object: &str) -> bool {
        use casbin::CoreApi;
        self.enforcer
            .enforce((policy::KEY, object, ACTION))
            .expect("casbin enforces")
    }
}
