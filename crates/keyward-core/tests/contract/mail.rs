//! Reminders by email, as the store keeps them: the SMTP settings with their password
//! sealed and shown masked, an email queued with each reminder when email is on and the
//! owner can be written to, and nothing otherwise. Sending is tested against a real SMTP
//! server in the keyward-webhooks crate.

use keyward_core::archive::Progress;
use keyward_core::clock::DAY;
use keyward_core::store::{Read, Table};
use keyward_core::users::User;
use keyward_core::{AuditFilter, Settings};
use keyward_testkit::{Backend, Env};

const URL: &str = "smtp://mailer:hunter2-pass@mail.example.com:2525";
const SHOWN: &str = "smtp://mailer:•••@mail.example.com:2525";

fn email_on(env: &Env) -> Settings {
    let mut s = env.store.settings().unwrap();
    s.set("smtp_url", URL).unwrap();
    s.set("smtp_from", "Keyward <keyward@example.com>").unwrap();
    env.store.update_settings(s).unwrap()
}

fn audit_text(env: &Env) -> String {
    env.store
        .audit(&AuditFilter::default())
        .unwrap()
        .iter()
        .map(|e| e.summary.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn the_smtp_password_is_sealed_and_shown_masked(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let saved = email_on(&env);
    assert_eq!(saved.smtp_url, SHOWN);
    assert_eq!(env.store.settings().unwrap().smtp_url, SHOWN);
    let said = audit_text(&env);
    assert!(said.contains(SHOWN), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    let record = env
        .store
        .get_raw(Table::Meta, b"settings")
        .unwrap()
        .unwrap();
    assert!(!keyward_testkit::fs::contains(&record, b"hunter2"));
    let sealed = env
        .store
        .get_raw(Table::Meta, b"smtp_password")
        .unwrap()
        .unwrap();
    assert!(!keyward_testkit::fs::contains(&sealed, b"hunter2"));

    // The masked URL sent back (as a form does) keeps the password.
    let env = env.reopen();
    let mut s = env.store.settings().unwrap();
    assert_eq!(s.smtp_url, SHOWN);
    s.set("smtp_from", "keyward@example.com").unwrap();
    env.store.update_settings(s).unwrap();
    assert_eq!(
        env.store.get_raw(Table::Meta, b"smtp_password").unwrap(),
        Some(sealed)
    );

    // A new password alone is a change, and says so without showing it.
    let mut s = env.store.settings().unwrap();
    s.set("smtp_url", "smtp://mailer:0ther-pass@mail.example.com:2525")
        .unwrap();
    env.store.update_settings(s).unwrap();
    let said = audit_text(&env);
    assert!(said.contains("the SMTP password"), "{said}");
    assert!(!said.contains("0ther"), "{said}");

    // No password in the URL: none kept.
    let mut s = env.store.settings().unwrap();
    s.set("smtp_url", "smtp://mail.example.com").unwrap();
    env.store.update_settings(s).unwrap();
    assert_eq!(
        env.store.get_raw(Table::Meta, b"smtp_password").unwrap(),
        None
    );
    // And the mask cannot stand for a password that is not there.
    let mut s = env.store.settings().unwrap();
    s.smtp_url = SHOWN.into();
    let e = env.store.update_settings(s).unwrap_err();
    assert_eq!((e.code(), e.field()), ("INVALID_INPUT", Some("smtp_url")));
}

pub fn bad_smtp_settings_are_refused_and_change_nothing(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let saved = email_on(&env);
    let events = env.count("settings.updated");
    for (field, value) in [
        ("smtp_url", "https://mail.example.com"),
        ("smtp_url", "smtp://mail.example.com/inbox"),
        ("smtp_url", "smtps://u:hunter2@mail.example.com?tls=none"),
        ("smtp_from", "keyward"),
        ("smtp_from", "Keyward <keyward@>"),
    ] {
        let mut s = saved.clone();
        if field == "smtp_url" {
            s.smtp_url = value.into();
        } else {
            s.smtp_from = value.into();
        }
        let e = env.store.update_settings(s).unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            ("INVALID_INPUT", Some(field)),
            "{value}"
        );
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
    assert_eq!(env.store.settings().unwrap(), saved);
    assert_eq!(env.count("settings.updated"), events);
}

pub fn without_smtp_settings_reminders_queue_no_email(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    env.key(&ada.id, "Zapier");
    // A server but no sender is not enough either.
    let mut s = env.store.settings().unwrap();
    s.set("smtp_url", "smtp://mail.example.com").unwrap();
    env.store.update_settings(s).unwrap();
    env.at(75 * DAY);
    assert_eq!(env.store.run_lifecycle(false).unwrap().reminders.len(), 1);
    assert!(env.store.waiting_emails().unwrap().is_empty());
    assert_eq!(env.store.next_delivery_at().unwrap(), None);
}

pub fn a_reminder_queues_one_email_to_its_owner_that_survives_reopening(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    email_on(&env);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Zapier");
    env.at(75 * DAY);
    assert_eq!(env.store.run_lifecycle(true).unwrap().reminders.len(), 1);
    assert!(
        env.store.waiting_emails().unwrap().is_empty(),
        "a dry run queues nothing"
    );
    env.store.run_lifecycle(false).unwrap();
    let env = env.reopen();
    let queued = env.store.waiting_emails().unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].to, "Ada <ada@example.com>");
    assert_eq!(queued[0].key_id.as_deref(), Some(k.view.id.as_str()));
    assert_eq!(
        queued[0].subject,
        "Your API key \"Zapier\" will be deleted in 15 days"
    );
    assert_eq!(env.store.next_delivery_at().unwrap(), Some(env.store.now()));
    // Raised once: once emailed.
    env.at(75 * DAY + 6 * 3_600_000);
    env.store.run_lifecycle(false).unwrap();
    assert_eq!(env.store.waiting_emails().unwrap().len(), 1);
}

pub fn owners_without_an_address_or_deactivated_get_no_email(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    email_on(&env);
    let ada = env.admin("Ada", "ada@example.com");
    let bob = env.admin("Bob", "bob@example.com");
    let cy = env.admin("Cy", "cy@example.com");
    env.key(&ada.id, "Ada's key");
    env.key(&bob.id, "Bob's key");
    env.key(&cy.id, "Cy's key");
    env.store.set_user_active(&bob.id, false).unwrap();
    // A record without an address (as an older or imported store may hold).
    env.store
        .write(|tx| {
            let mut u: User = tx.get(Table::Users, &cy.id)?.unwrap();
            u.email = String::new();
            tx.put(Table::Users, &cy.id, &u)
        })
        .unwrap();
    env.at(75 * DAY);
    assert_eq!(env.store.run_lifecycle(false).unwrap().reminders.len(), 3);
    let queued = env.store.waiting_emails().unwrap();
    let to: Vec<&str> = queued.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["Ada <ada@example.com>"]);
}

pub fn an_archive_carries_the_smtp_password_and_the_waiting_emails(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    email_on(&env);
    let ada = env.admin("Ada", "ada@example.com");
    env.key(&ada.id, "Zapier");
    env.at(75 * DAY);
    env.store.run_lifecycle(false).unwrap();
    let (archive, _) = env
        .store
        .export_archive("correct horse battery staple")
        .unwrap();
    assert!(!keyward_testkit::fs::contains(&archive, b"hunter2"));

    let dest = Env::on(backend);
    dest.clock.set(env.store.now());
    dest.store
        .import_archive(
            &archive,
            "correct horse battery staple",
            &mut |_: Progress| {},
        )
        .unwrap();
    assert_eq!(dest.store.settings().unwrap().smtp_url, SHOWN);
    let due = dest.store.due_emails(10).unwrap();
    assert_eq!(due.len(), 1);
    let password = due[0].server.password.as_deref().map(String::as_str);
    assert_eq!(
        password,
        Some("hunter2-pass"),
        "sealed again under the new master key"
    );
}
