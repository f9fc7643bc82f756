use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, TestDb};

#[tokio::test]
async fn openapi_lists_every_route_the_router_serves() {
    let db = TestDb::new().await;
    let app = TestApp::start(&db.url).await;
    let (s, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );

    let served: BTreeSet<(String, String)> = todo_api::app::routes()
        .into_iter()
        .map(|(m, p)| (m.as_str().to_lowercase(), p.to_owned()))
        .collect();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
    assert!(served.len() >= 16, "{served:?}");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    // The table really is what the router serves: every entry answers something other than
    // the unknown-route 404 or 405, and a path outside it is the unknown-route 404.
    let u = app.register("openapi@example.com").await;
    for (m, p) in &served {
        let path = p.replace("{user_id}", &u.0).replace("{id}", "1");
        let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let (s, v) = app.call(method, &path, Some(&u.1), body).await;
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} {p}");
        let unknown = v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no such route"));
        assert!(!unknown, "{m} {p} is in the table but not routed");
    }
    let (s, v) = app.call(Method::GET, "/api/nothing-here", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("no such route")
    );
    app.stop().await;
}
