//! No secret at rest in plaintext (SPEC §2): after a realistic session — users, agency and
//! location keys, a regeneration, tokens, a reveal, verifications (good and bad), the
//! lifecycle reminding and deleting — no file in the data directory holds any API key or
//! token, nor the 32 random characters of one, and the master key file is 0600. Nor
//! does any hold a webhook's signing secret.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use keyward_core::clock::DAY;
use keyward_core::store::master_key_path;
use keyward_core::{Disclosure, FileMasterKey, ManualClock, NewKey, NewUser, Store, StoreOptions};
use keyward_testkit::fs::{contains, files_under};
use keyward_testkit::webhooks::HOOK_URL;
use keyward_testkit::Env;

#[test]
fn no_secret_or_token_is_stored_in_plaintext() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let t0 = 1_750_000_000_000;
    let clock = Arc::new(ManualClock::new(t0));
    let mut secrets: Vec<String> = Vec::new();
    {
        let store = Store::open(
            &dir,
            clock.clone(),
            &FileMasterKey::new(master_key_path(&dir)),
            StoreOptions::default(),
        )
        .expect("open");
        let ada = store
            .add_user(NewUser {
                name: "Ada Lovelace".into(),
                email: "ada@example.com".into(),
                admin: true,
            })
            .expect("add admin");
        let bob = store
            .add_user(NewUser {
                name: "Bob Manager".into(),
                email: "bob@example.com".into(),
                admin: false,
            })
            .expect("add manager");
        store.set_api_access(&bob.id, true).expect("api access on");
        let downtown = store.add_location("Downtown").expect("location");

        let agency = store
            .create_key(NewKey {
                owner: ada.id.clone(),
                name: "Marketing Automation".into(),
                location: None,
                ..Default::default()
            })
            .expect("agency key");
        let local = store
            .create_key(NewKey {
                owner: bob.id.clone(),
                name: "Downtown POS".into(),
                location: Some(downtown.id.clone()),
                ..Default::default()
            })
            .expect("location key");
        let idle = store
            .create_key(NewKey {
                owner: bob.id.clone(),
                name: "Forgotten integration".into(),
                location: None,
                ..Default::default()
            })
            .expect("idle key");
        assert!(agency.key.expose().starts_with("kwa_"));
        assert!(local.key.expose().starts_with("kwl_"));
        secrets.extend(
            [agency.key.expose(), local.key.expose(), idle.key.expose()].map(str::to_owned),
        );

        let t1 = store.create_token(&agency.view.id).expect("token");
        let t2 = store.create_token(&local.view.id).expect("token");
        let t3 = store.create_token(&idle.view.id).expect("token");
        secrets
            .extend([t1.token.expose(), t2.token.expose(), t3.token.expose()].map(str::to_owned));
        let exchanged = store
            .exchange_key_for_token(agency.key.expose())
            .expect("exchange")
            .expect("a valid key exchanges");
        secrets.push(exchanged.token.expose().to_owned());

        let regenerated = store
            .regenerate_key(&local.view.id, DAY)
            .expect("regenerate");
        secrets.push(regenerated.key.expose().to_owned());
        let t4 = store
            .create_token(&local.view.id)
            .expect("token after regeneration");
        secrets.push(t4.token.expose().to_owned());

        let revealed = store
            .reveal_key(&agency.view.id, Disclosure::Reveal)
            .expect("reveal");
        assert_eq!(revealed.expose(), agency.key.expose());
        store
            .reveal_key(&local.view.id, Disclosure::Copy)
            .expect("copy");
        store
            .reveal_key(&agency.view.id, Disclosure::ExportForPostman)
            .expect("export");

        // Good and bad verifications: the bad ones are aggregated into the audit log.
        assert!(store.verify(agency.key.expose()).expect("verify").valid);
        assert!(
            store
                .verify(regenerated.key.expose())
                .expect("verify")
                .valid
        );
        assert!(
            store.verify(local.key.expose()).expect("verify").valid,
            "within the grace period"
        );
        assert!(store.verify(t1.token.expose()).expect("verify").valid);
        assert!(store.verify(t4.token.expose()).expect("verify").valid);
        // Another last character (the checksum no longer matches).
        let last = if agency.key.expose().ends_with('x') {
            'y'
        } else {
            'x'
        };
        let mangled = format!("{}{last}", &agency.key.expose()[..41]);
        assert!(!store.verify(&mangled).expect("verify").valid);
        store.revoke_token(&t2.id).expect("revoke");
        assert!(!store.verify(t2.token.expose()).expect("verify").valid);

        // The lifecycle: reminders for the idle key, then its deletion.
        clock.advance(80 * DAY);
        assert!(store.verify(agency.key.expose()).expect("verify").valid);
        assert!(
            store
                .verify(regenerated.key.expose())
                .expect("verify")
                .valid
        );
        let report = store.run_lifecycle(false).expect("lifecycle");
        assert!(report.reminders.iter().any(|r| r.key_id == idle.view.id));
        // The final (1-day) reminder, then the deletion a day later.
        clock.advance(9 * DAY + 12 * 3_600_000);
        let report = store.run_lifecycle(false).expect("lifecycle");
        assert!(
            report.reminders.iter().any(|r| r.key_id == idle.view.id),
            "{report:?}"
        );
        clock.advance(DAY);
        let report = store.run_lifecycle(false).expect("lifecycle");
        assert!(
            report.deleted.iter().any(|d| d.id == idle.view.id),
            "{report:?}"
        );
        store.run_lifecycle(true).expect("dry run");
        let now_missing = store.verify(idle.key.expose()).expect("verify");
        assert!(!now_missing.valid);

        // A minute later so that the failed-verification counts are written as well.
        clock.advance(2 * 60_000);
        assert!(!store.verify(t3.token.expose()).expect("verify").valid);
        store.flush().expect("flush");
    }

    // Every secret shown during the session, and the random body of each.
    assert_eq!(secrets.len(), 9);
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for s in &secrets {
        assert_eq!(s.len(), 42, "secret shape");
        needles.push(("a full secret".into(), s.as_bytes().to_vec()));
        needles.push((
            "a secret's random body".into(),
            s.as_bytes()[4..36].to_vec(),
        ));
    }

    let files = files_under(&dir);
    assert!(
        files.len() >= 2,
        "expected the database and the master key: {files:?}"
    );
    let mut bytes_read = 0;
    // A control: the scan sees what the store wrote (sled keeps values uncompressed), so a
    // secret stored in plaintext could not slip past it.
    let mut control_found = false;
    for f in &files {
        let bytes = std::fs::read(f).expect("read a data file");
        bytes_read += bytes.len();
        control_found |= contains(&bytes, b"Forgotten integration");
        for (what, needle) in &needles {
            assert!(
                !contains(&bytes, needle),
                "{} holds {what} in plaintext (mask {}…)",
                f.display(),
                String::from_utf8_lossy(&needle[..8])
            );
        }
    }
    assert!(bytes_read > 0);
    assert!(
        control_found,
        "the scan did not find a key name the store wrote: is it reading the data?"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(master_key_path(&dir))
            .expect("master.key exists")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "master.key must be readable by its owner only"
        );
        let dir_mode = std::fs::metadata(&dir)
            .expect("data dir")
            .permissions()
            .mode();
        assert_eq!(
            dir_mode & 0o077,
            0,
            "the data directory must not be open to others"
        );
    }
}

#[test]
fn the_signing_secret_is_not_stored_in_plaintext() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let secret = env.hook(&ada.id, "api_key", "*").secret;
    env.key(&ada.id, "Queued so the outbox has a message too");
    env.store.flush().unwrap();
    let closed = env.close();

    let raw = secret.strip_prefix("whsec_").unwrap();
    let bytes = B64.decode(raw).unwrap();
    let files = files_under(closed.dir());
    // The scan does see what is stored: the subscription's URL is there in plain text.
    let mut url_seen = false;
    for f in files {
        let content = std::fs::read(&f).unwrap();
        url_seen |= contains(&content, HOOK_URL.as_bytes());
        assert!(!contains(&content, secret.as_bytes()), "{}", f.display());
        assert!(!contains(&content, raw.as_bytes()), "{}", f.display());
        assert!(!contains(&content, &bytes), "{}", f.display());
    }
    assert!(
        url_seen,
        "the stored webhook was not found in the data directory"
    );
}
