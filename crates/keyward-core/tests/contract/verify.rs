//! Verification of what is presented: malformed before any lookup, unknown when well formed.

use keyward_core::{Secret, SecretKind};
use keyward_testkit::{Backend, Env};

pub fn one_changed_character_is_malformed(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    for secret in [k.key.expose(), t.token.expose()] {
        for pos in [4, 10, 35, 37, 41] {
            let mut chars: Vec<char> = secret.chars().collect();
            chars[pos] = if chars[pos] == 'A' { 'B' } else { 'A' };
            let changed: String = chars.into_iter().collect();
            assert_eq!(env.verify(&changed), "MALFORMED", "position {pos}");
        }
        assert_eq!(env.verify(&secret[..41]), "MALFORMED");
        assert_eq!(env.verify(&format!("{secret} ")), "MALFORMED");
    }
    assert_eq!(env.verify(""), "MALFORMED");
    assert_eq!(env.verify("Bearer nonsense"), "MALFORMED");
    // The key is untouched and still works.
    assert_eq!(env.verify(k.key.expose()), "VALID");
}

pub fn well_formed_unknown_secret_is_not_found(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    env.key("ada@example.com", "Zapier");
    for kind in [
        SecretKind::AgencyKey,
        SecretKind::LocationKey,
        SecretKind::Token,
    ] {
        let unknown = Secret::generate(kind);
        assert_eq!(env.verify(unknown.expose()), "NOT_FOUND");
    }
}
