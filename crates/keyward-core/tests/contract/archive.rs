//! Moving a whole store: an archive encrypted with a passphrase, loaded into an empty
//! store with another master key, where every key, token and webhook secret still works.

use keyward_core::archive::{Progress, PASSPHRASE_MIN};
use keyward_core::error::ErrorCode;
use keyward_core::{AuditFilter, Disclosure, KeyFilter};
use keyward_testkit::{Backend, Env};

const PASSPHRASE: &str = "correct horse battery staple";

struct Source {
    env: Env,
    secrets: Vec<(String, String)>,
    tokens: Vec<String>,
    hook: (String, String),
}

fn source(backend: &'static dyn Backend) -> Source {
    let env = Env::on(backend);
    let ada = env.admin("Ada Lovelace", "ada@example.com");
    env.manager("Bob Builder", "bob@example.com");
    let austin = env.store.add_location("Austin office").unwrap();
    let agency = env.key(&ada.id, "Zapier lead sync");
    let located = env.key_at(&ada.id, "Website form", Some(&austin.id));
    let token = env.store.create_token(&agency.view.id).unwrap();
    let hook = env.hook(&ada.id, "api_key", "*");
    let mut settings = env.store.settings().unwrap();
    settings.inactivity_days = 60;
    env.store.update_settings(settings).unwrap();
    Source {
        secrets: [&agency, &located]
            .iter()
            .map(|k| (k.view.id.clone(), k.key.0.expose().to_owned()))
            .collect(),
        tokens: vec![token.token.0.expose().to_owned()],
        hook: (hook.view.id.clone(), hook.secret.clone()),
        env,
    }
}

pub fn an_archive_moves_everything_and_every_secret_still_works(backend: &'static dyn Backend) {
    let src = source(backend);
    let (archive, summary) = src.env.store.export_archive(PASSPHRASE).unwrap();
    assert_eq!(
        (
            summary.users,
            summary.locations,
            summary.keys,
            summary.tokens,
            summary.webhooks
        ),
        (2, 1, 2, 1, 1)
    );

    let dest = Env::on(backend);
    let mut seen = Vec::new();
    let imported = dest
        .store
        .import_archive(&archive, PASSPHRASE, &mut |p: Progress| seen.push(p))
        .unwrap();
    assert_eq!(imported, summary);
    let last = seen.last().unwrap();
    assert_eq!(last.done, last.total);
    // The history came along, and the import itself is in it.
    let audit = |e: &Env| {
        e.store
            .audit(&AuditFilter {
                limit: Some(1000),
                ..Default::default()
            })
            .unwrap()
    };
    let history = audit(&dest);
    assert_eq!(history.len(), audit(&src.env).len() + 1);
    assert_eq!(history[0].action, "store.imported");

    for (id, secret) in &src.secrets {
        assert_eq!(dest.verify(secret), "VALID");
        // Sealed again under the destination's own master key: it still opens.
        let revealed = dest.store.reveal_key(id, Disclosure::Reveal).unwrap();
        assert_eq!(revealed.expose(), secret);
    }
    for t in &src.tokens {
        assert_eq!(dest.verify(t), "VALID");
    }
    assert_eq!(
        dest.store
            .reveal_webhook_secret(&src.hook.0)
            .unwrap()
            .expose(),
        src.hook.1
    );
    assert_eq!(dest.store.settings().unwrap().inactivity_days, 60);
    let names = |e: &Env| {
        let mut v: Vec<String> = e
            .store
            .list_keys(&KeyFilter::default())
            .unwrap()
            .into_iter()
            .map(|k| k.name)
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&dest), names(&src.env));
    assert_eq!(dest.store.list_users().unwrap().len(), 2);
}

pub fn the_archive_holds_no_secret_in_clear(backend: &'static dyn Backend) {
    let src = source(backend);
    let (archive, _) = src.env.store.export_archive(PASSPHRASE).unwrap();
    let text = String::from_utf8_lossy(&archive);
    for (_, s) in &src.secrets {
        assert!(!text.contains(s.as_str()) && !text.contains(&s[4..20]));
    }
    for t in &src.tokens {
        assert!(!text.contains(t.as_str()));
    }
    assert!(!text.contains(&src.hook.1));
    for word in ["Ada Lovelace", "ada@example.com", "Zapier", "Austin"] {
        assert!(!text.contains(word), "{word} in clear");
    }
}

pub fn a_wrong_passphrase_or_a_damaged_archive_changes_nothing(backend: &'static dyn Backend) {
    let src = source(backend);
    let (archive, _) = src.env.store.export_archive(PASSPHRASE).unwrap();
    let dest = Env::on(backend);
    let before = dest.store.audit(&AuditFilter::default()).unwrap().len();
    let e = dest
        .store
        .import_archive(&archive, "correct horse battery stapler", &mut |_| {})
        .unwrap_err();
    assert_eq!(
        (e.error_code(), e.field()),
        (ErrorCode::InvalidInput, Some("passphrase"))
    );
    let mut damaged = archive.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(dest
        .store
        .import_archive(&damaged, PASSPHRASE, &mut |_| {})
        .is_err());
    let e = dest
        .store
        .import_archive(b"not an archive at all, no", PASSPHRASE, &mut |_| {})
        .unwrap_err();
    assert_eq!(e.field(), Some("archive"));
    assert!(dest.store.list_users().unwrap().is_empty());
    assert_eq!(
        dest.store.audit(&AuditFilter::default()).unwrap().len(),
        before
    );
}

pub fn import_refuses_a_store_that_is_not_empty_and_export_a_short_passphrase(
    backend: &'static dyn Backend,
) {
    let src = source(backend);
    let short = "x".repeat(PASSPHRASE_MIN - 1);
    let e = src.env.store.export_archive(&short).unwrap_err();
    assert_eq!(e.field(), Some("passphrase"));
    let (archive, _) = src.env.store.export_archive(PASSPHRASE).unwrap();
    let e = src
        .env
        .store
        .import_archive(&archive, PASSPHRASE, &mut |_| {})
        .unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
}
