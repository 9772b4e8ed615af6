fn main() {
    // The built UI is embedded in the binary: rebuild when it changes.
    println!("cargo:rerun-if-changed=ui/dist");
    println!("cargo:rerun-if-changed=src-tauri/commands/list.rs");
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(keyward_commands::ALL)),
    )
    .expect("tauri-build");
}

/// Every command the UI may call; each gets an `allow-…` permission for the capability.
mod keyward_commands {
    macro_rules! commands {
        ($($module:ident :: $command:ident),* $(,)?) => {
            pub const ALL: &[&str] = &[$(stringify!($command)),*];
        };
    }
    include!("commands/list.rs");
}
