//! Reading the JSON the CLI prints and the HTTP API answers.

use serde_json::Value;

/// Checks `{"error":{"code":"…","message":"…"}}` (nothing more, nothing less, and a
/// message that says something) and returns the code and the message.
#[track_caller]
pub fn error_of(v: &Value) -> (String, String) {
    let outer = v.as_object().expect("the error is an object");
    assert_eq!(outer.len(), 1, "only an `error` member: {v}");
    let inner = v["error"].as_object().expect("`error` is an object");
    assert_eq!(inner.len(), 2, "error has exactly code and message: {v}");
    let code = inner["code"].as_str().expect("code is a string").to_owned();
    let message = inner["message"]
        .as_str()
        .expect("message is a string")
        .to_owned();
    assert!(
        !message.trim().is_empty(),
        "the message says something: {v}"
    );
    (code, message)
}

/// A JSON string field, which must be present.
#[track_caller]
pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_owned()
}

/// A JSON array, which must be present.
#[track_caller]
pub fn arr(v: &Value) -> Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .clone()
}

/// The ids of a JSON array of objects, in order.
#[track_caller]
pub fn ids(v: &Value) -> Vec<String> {
    arr(v).iter().map(|x| s(&x["id"])).collect()
}
