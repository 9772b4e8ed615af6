//! The files in deploy/ and the README's team server section name flags of this very
//! `keyward`: each one they use is one `keyward <verb> --help` lists.

use std::path::Path;

use keyward_testkit::cli::keyward_bin;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

fn help(verb: &str) -> String {
    let out = std::process::Command::new(keyward_bin())
        .args([verb, "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `--flags` on the lines of `text` that run `keyward … VERB`.
fn flags_of(text: &str, verb: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .filter(|l| {
            l.contains("keyward") && l.split_whitespace().any(|w| w.trim_matches('"') == verb)
        })
        .flat_map(|l| {
            l.split_whitespace()
                .map(|w| w.trim_matches(|c| c == '"' || c == ',' || c == '[' || c == ']'))
                .collect::<Vec<_>>()
        })
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.split('=').next().unwrap().to_owned())
        .collect()
}

#[test]
fn every_flag_the_deploy_files_use_exists() {
    let serve = help("serve");
    let global = help("users");
    let files = ["deploy/keyward.service", "deploy/Dockerfile", "README.md"];
    let mut checked = 0;
    for f in files {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        for flag in flags_of(&text, "serve") {
            if flag == "--release"
                || flag == "--locked"
                || flag == "--name"
                || flag == "--owner"
                || flag == "--pwprompt"
                || flag == "--now"
            {
                continue;
            }
            assert!(
                serve.contains(&flag) || global.contains(&flag),
                "{f} uses `keyward serve {flag}`, which keyward serve --help does not list"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} flags found");
    let lifecycle =
        std::fs::read_to_string(root().join("deploy/keyward-lifecycle.service")).unwrap();
    assert!(lifecycle.contains("keyward --data-dir /var/lib/keyward lifecycle"));
    assert!(help("lifecycle").contains("--dry-run"));
}
