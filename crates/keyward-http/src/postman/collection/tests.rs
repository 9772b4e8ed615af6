//! The collection against the OpenAPI document: the same routes, each with tests, the
//! management requests in their folders with the variables they need.

use super::*;

fn all_steps() -> impl Iterator<Item = &'static Step> {
    STEPS.iter().chain(manage_steps::STEPS)
}

#[test]
fn every_declared_route_has_a_step_and_every_step_a_route() {
    let routes = routes();
    assert!(!routes.is_empty());
    for r in &routes {
        assert!(
            all_steps().any(|s| s.operation == r.id()),
            "{} {} ({}) has no Postman step",
            r.method,
            r.path,
            r.id()
        );
    }
    for s in all_steps() {
        let r = routes
            .iter()
            .find(|r| r.id() == s.operation)
            .unwrap_or_else(|| panic!("step {:?} names no route", s.name));
        assert_eq!(
            s.bearer.is_some(),
            r.takes_bearer(),
            "{}: a credential exactly where the route takes one",
            s.name
        );
        assert_eq!(
            s.body.is_some(),
            r.takes_body(),
            "{}: a body exactly where the route takes one",
            s.name
        );
        assert!(r.success_status().is_some(), "{}: no 2xx declared", s.name);
        let params: Vec<&str> = r
            .path
            .split('{')
            .skip(1)
            .filter_map(|p| p.split('}').next())
            .collect();
        for (param, _) in s.path {
            assert!(
                params.contains(param),
                "{}: the route has no {{{param}}}",
                s.name
            );
        }
    }
    // The API-key steps come first, outside any folder; the management steps each go in
    // their tag's folder, and only there.
    for s in STEPS {
        let r = routes.iter().find(|r| r.id() == s.operation).unwrap();
        assert_eq!(r.tag(), "keyward", "{}", s.name);
    }
    for s in manage_steps::STEPS {
        let r = routes.iter().find(|r| r.id() == s.operation).unwrap();
        assert_eq!(s.bearer, Some(MANAGEMENT_TOKEN), "{}", s.name);
        let folder = FOLDERS.iter().find(|f| f.tag == r.tag());
        let folder = folder.unwrap_or_else(|| panic!("{}: no folder for {}", s.name, r.tag()));
        if r.path.contains('{') && s.path.is_empty() {
            assert!(
                !folder.id.is_empty(),
                "{}: its folder has no id variable",
                s.name
            );
        }
    }
}

/// Every request with its folder's name ("" outside one).
fn requests(c: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for i in c["item"].as_array().unwrap() {
        match i["item"].as_array() {
            Some(inner) => out.extend(
                inner
                    .iter()
                    .map(|r| (i["name"].as_str().unwrap().to_owned(), r.clone())),
            ),
            None => out.push((String::new(), i.clone())),
        }
    }
    out
}

/// A URL with its query dropped and each `{{variable}}` or `{param}` as `{}`.
fn shape(url: &str) -> String {
    let url = url.split('?').next().unwrap_or_default();
    let mut out = String::new();
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let close = if rest[start..].starts_with("{{") {
            "}}"
        } else {
            "}"
        };
        let end = rest[start..].find(close).unwrap() + start + close.len();
        out.push_str("{}");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn collection_covers_every_route_with_tests_and_no_secret() {
    let c = collection(&crate::base_url(7420));
    assert_eq!(
        c["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    assert_eq!(c["variable"][0]["key"], "baseUrl");
    assert_eq!(c["variable"][0]["value"], "http://127.0.0.1:7420");
    let top = c["item"].as_array().unwrap();
    assert_eq!(top.len(), STEPS.len() + FOLDERS.len());
    let all = requests(&c);
    assert_eq!(all.len(), STEPS.len() + manage_steps::STEPS.len());
    let items: Vec<&Value> = all.iter().map(|(_, i)| i).collect();
    let routes: Vec<String> = items
        .iter()
        .map(|i| {
            let raw = i["request"]["url"]["raw"].as_str().unwrap();
            format!(
                "{} {}",
                i["request"]["method"].as_str().unwrap(),
                shape(raw)
            )
        })
        .collect();
    for (route, _) in crate::ROUTES {
        let (method, path) = route.split_once(' ').unwrap();
        let want = format!("{method} {}", shape(&format!("{{{{baseUrl}}}}{path}")));
        assert!(routes.contains(&want), "{want} missing: {routes:?}");
    }
    let script = |i: &Value| {
        i["event"][0]["script"]["exec"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for i in &items {
        assert_eq!(i["event"][0]["listen"], "test");
        let s = script(i);
        assert!(
            s.contains("pm.response.to.have.status(")
                || s.contains("pm.expect(pm.response.code).to.be.oneOf(["),
            "{}: its status is tested",
            i["name"]
        );
        assert!(
            !i["request"]["description"].as_str().unwrap().is_empty(),
            "{}: described",
            i["name"]
        );
    }
    // The exchange keeps the token; the /v1/me after it uses it.
    let exchange = items
        .iter()
        .position(|i| {
            i["request"]["method"] == "POST"
                && i["request"]["url"]["raw"] == "{{baseUrl}}/v1/tokens"
        })
        .unwrap();
    assert!(script(items[exchange]).contains("pm.response.to.have.status(201)"));
    assert!(script(items[exchange]).contains("pm.collectionVariables.set(\"token\""));
    let bearer = |i: &Value| i["request"]["auth"]["bearer"][0]["value"].clone();
    assert_eq!(bearer(items[exchange]), "{{apiKey}}");
    assert_eq!(bearer(items[exchange + 1]), "{{token}}");
    let verify = routes
        .iter()
        .position(|r| r.contains("/v1/verify"))
        .unwrap();
    assert_eq!(items[verify]["request"]["auth"]["type"], "noauth");
    assert_eq!(items[verify]["request"]["body"]["mode"], "raw");
    let text = c.to_string();
    assert!(
        !text.contains("kwa_") && !text.contains("kwl_") && !text.contains("kwm_"),
        "no key in the collection"
    );
}

#[test]
fn the_management_folders_use_the_management_token_and_declared_variables() {
    let c = collection(&crate::base_url(7420));
    let declared: Vec<&str> = c["variable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    for name in used_variables(c["item"].as_array().unwrap()) {
        assert!(
            name == "apiKey" || declared.contains(&name.as_str()),
            "{{{{{name}}}}} is used but not declared: {declared:?}"
        );
    }
    let kept = c.to_string();
    for (folder, i) in requests(&c).iter().filter(|(f, _)| !f.is_empty()) {
        let r = &i["request"];
        assert_eq!(
            r["auth"]["bearer"][0]["value"], "{{managementToken}}",
            "{folder}: {}",
            i["name"]
        );
        // Every variable a request's path stands on is set by a request before it.
        for segment in r["url"]["path"].as_array().unwrap() {
            let s = segment.as_str().unwrap();
            if let Some(var) = s.strip_prefix("{{").and_then(|v| v.strip_suffix("}}")) {
                assert!(
                    kept.contains(&format!("pm.collectionVariables.set(\\\"{var}\\\"")),
                    "{folder}: {} uses {var}, which nothing sets",
                    i["name"]
                );
            }
        }
    }
    let users = requests(&c)
        .into_iter()
        .find(|(_, i)| i["name"] == "Add a site manager")
        .unwrap()
        .1;
    assert!(users["request"]["body"]["raw"]
        .as_str()
        .unwrap()
        .contains("{{$timestamp}}"));
}
