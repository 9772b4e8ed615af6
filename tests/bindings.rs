//! The UI's TypeScript types are generated from the Rust types and committed; this fails
//! when they drift. `make bindings` (UPDATE_BINDINGS=1) rewrites the file.

use std::path::Path;

#[test]
fn typescript_bindings_match_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings.ts");
    let fresh = keyward_app::bindings::typescript();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/lib/bindings.ts is out of date with the Rust types: run `make bindings`"
    );
}
