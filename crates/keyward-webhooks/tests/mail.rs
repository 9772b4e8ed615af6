//! Reminder emails against a real SMTP server on 127.0.0.1 (aiosmtpd, started by the
//! test): what the owner receives for each kind of reminder, the login, retries under
//! the same Message-ID while the server is down, and giving up (audited) when the server
//! refuses for good or three days pass.

use std::time::Duration;

use keyward_core::clock::{DAY, HOUR, SECOND};
use keyward_core::{NewKey, Settings};
use keyward_testkit::smtp::{Received, SmtpReceiver};
use keyward_testkit::{Backend, Env};
use keyward_webhooks::{deliver_due, deliver_once, send_due_emails, Deliverer};

fn t0() -> keyward_core::Millis {
    keyward_testkit::t0_2026()
}

/// A store from `t0()` with email on through `rx`, an owner (Mia, an admin) and another
/// admin (Ada), whom the emails name to ask.
fn setup_on(backend: &'static dyn Backend, rx: &SmtpReceiver) -> (Env, String) {
    let env = Env::build().on(backend).starting_at(t0()).open();
    env.admin("Ada Admin", "ada@example.com");
    let mia = env.admin("Mia Owner", "mia@example.com").id;
    let mut s = env.store.settings().unwrap();
    s.set("smtp_url", &rx.url()).unwrap();
    s.set("smtp_from", "Keyward <keyward@example.com>").unwrap();
    env.store.update_settings(s).unwrap();
    (env, mia)
}

fn setup(rx: &SmtpReceiver) -> (Env, String) {
    setup_on(&keyward_testkit::Sled, rx)
}

fn key(env: &Env, owner: &str, name: &str, expires: Option<&str>, keep_always: bool) -> String {
    env.store
        .create_key(NewKey {
            owner: owner.into(),
            name: name.into(),
            expires: expires.map(Into::into),
            keep_always,
            ..Default::default()
        })
        .unwrap()
        .view
        .id
}

fn one(rx: &SmtpReceiver) -> Received {
    let got = rx.wait_for(1, Duration::from_secs(5));
    assert_eq!(got.len(), 1, "one email: {got:#?}");
    got.into_iter().next().unwrap()
}

/// What every reminder email has: from the sender, to the owner, its Message-ID the one
/// queued, the owner greeted and the other admin named.
fn check_envelope(env: &Env, m: &Received, message_id: &str) {
    assert_eq!(m.mail_from, "keyward@example.com");
    assert_eq!(m.rcpt_tos, vec!["mia@example.com".to_owned()]);
    assert_eq!(m.header("From"), Some("Keyward <keyward@example.com>"));
    assert_eq!(m.header("To"), Some("Mia Owner <mia@example.com>"));
    assert_eq!(m.header("Message-ID"), Some(message_id));
    assert!(message_id.starts_with("<mail_") && message_id.ends_with("@example.com>"));
    assert!(m.header("Date").is_some());
    assert!(m.body.starts_with("Hello Mia Owner,"), "{}", m.body);
    assert!(m.body.contains("Ada Admin <ada@example.com>"), "{}", m.body);
    assert!(
        !m.body.contains("mia@example.com>"),
        "the owner is not named to ask"
    );
    assert_eq!(env.count("email.sent"), 1);
}

#[tokio::test]
async fn a_key_reaching_its_deletion_reminder_emails_its_owner() {
    let rx = SmtpReceiver::start();
    let (env, mia) = setup(&rx);
    let id = key(&env, &mia, "Zapier", None, false);

    env.at(83 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1);
    let queued = env.store.waiting_emails().unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].to, "Mia Owner <mia@example.com>");
    assert_eq!(queued[0].key_id.as_deref(), Some(id.as_str()));

    assert_eq!(send_due_emails(&env.store).await.unwrap(), 1);
    let m = one(&rx);
    check_envelope(&env, &m, &queued[0].message_id);
    assert_eq!(
        m.header("Subject"),
        Some("Your API key \"Zapier\" will be deleted in 7 days")
    );
    for said in [
        &format!("Your API key \"Zapier\" ({id}) will be deleted in 7 days, on"),
        "2026 at 10:00 UTC.",
        "have not been used for 90 days",
        "It has not been used since it was created on 12 August 2026.",
        "press Keep on \"Zapier\"",
        &format!("keyward keys keep {id}"),
    ] {
        assert!(m.body.contains(said), "{said:?} in:\n{}", m.body);
    }
    assert!(env.store.waiting_emails().unwrap().is_empty());
    assert_eq!(send_due_emails(&env.store).await.unwrap(), 0, "sent once");
    let sent = env
        .audit()
        .into_iter()
        .find(|e| e.action == "email.sent")
        .unwrap();
    assert_eq!(sent.key_id.as_deref(), Some(id.as_str()));
    assert_eq!(sent.user_id.as_deref(), Some(mia.as_str()));
}

#[tokio::test]
async fn a_key_reaching_its_expiry_reminder_emails_its_owner() {
    let rx = SmtpReceiver::start();
    let (env, mia) = setup(&rx);
    let id = key(&env, &mia, "Partner feed", Some("90d"), true);

    env.at(60 * DAY);
    assert_eq!(env.store.run_lifecycle(false).unwrap().reminders.len(), 1);
    let queued = env.store.waiting_emails().unwrap();
    assert_eq!(send_due_emails(&env.store).await.unwrap(), 1);
    let m = one(&rx);
    check_envelope(&env, &m, &queued[0].message_id);
    assert_eq!(
        m.header("Subject"),
        Some("Your API key \"Partner feed\" expires in 30 days")
    );
    for said in [
        &format!("Your API key \"Partner feed\" ({id}) expires in 30 days, on Tuesday 10 November 2026 at 10:00 UTC."),
        "This end date was chosen when the key was created",
        "Create a new key to replace it",
    ] {
        assert!(m.body.contains(said), "{said:?} in:\n{}", m.body);
    }
}

#[tokio::test]
async fn a_token_reaching_its_expiry_reminder_emails_its_owner() {
    let rx = SmtpReceiver::start();
    let (env, mia) = setup(&rx);
    let id = key(&env, &mia, "Zapier", None, true);
    let token = env.store.create_token(&id).unwrap();

    env.at(364 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1, "the most urgent reminder only");
    let queued = env.store.waiting_emails().unwrap();
    assert_eq!(send_due_emails(&env.store).await.unwrap(), 1);
    let m = one(&rx);
    check_envelope(&env, &m, &queued[0].message_id);
    assert_eq!(
        m.header("Subject"),
        Some("A token of your API key \"Zapier\" expires in 24 hours")
    );
    for said in [
        &format!("A token ({}) of your API key \"Zapier\" ({id}) expires in 24 hours", token.id),
        "Tokens expire 365 days after they are generated; this one was generated on 12 August 2026.",
        &format!("keyward tokens create {id}"),
    ] {
        assert!(m.body.contains(said), "{said:?} in:\n{}", m.body);
    }
}

#[tokio::test]
async fn the_server_login_is_the_sealed_password() {
    let rx = SmtpReceiver::with_login("keyward-mailer", "s3cret:pass");
    let (env, mia) = setup(&rx);
    let shown = env.store.settings().unwrap().smtp_url;
    assert_eq!(
        shown,
        format!("smtp://keyward-mailer:•••@127.0.0.1:{}?tls=none", rx.port)
    );
    key(&env, &mia, "Zapier", None, false);
    env.at(75 * DAY);
    env.store.run_lifecycle(false).unwrap();
    // The one-shot pass a CLI command makes before it exits.
    assert_eq!(
        deliver_once(&env.store, Duration::from_secs(10))
            .await
            .unwrap(),
        1
    );
    let m = one(&rx);
    assert_eq!(m.login.as_deref(), Some("keyward-mailer"));
    assert!(!env.audit().iter().any(|e| e.summary.contains("s3cret")));
}

#[tokio::test]
async fn a_server_that_is_down_gets_the_same_email_once_it_is_back() {
    let mut rx = SmtpReceiver::down();
    let (env, mia) = setup(&rx);
    key(&env, &mia, "Zapier", None, false);
    env.at(75 * DAY);
    env.store.run_lifecycle(false).unwrap();

    let d = Deliverer::new().unwrap();
    assert_eq!(deliver_due(&env.store, &d).await.unwrap(), 1);
    let waiting = env.store.waiting_emails().unwrap();
    assert_eq!(waiting.len(), 1, "kept for a retry");
    assert_eq!(waiting[0].attempts, 1);
    let error = waiting[0].last_error.clone().unwrap();
    assert!(error.contains(&format!("127.0.0.1:{}", rx.port)), "{error}");
    let retry_at = waiting[0].next_attempt_at.timestamp_millis();
    assert_eq!(retry_at, env.store.now() + 5 * SECOND);
    assert_eq!(env.store.next_delivery_at().unwrap(), Some(retry_at));
    assert_eq!(
        deliver_due(&env.store, &d).await.unwrap(),
        0,
        "not before the backoff"
    );

    rx.start_again();
    env.at(75 * DAY + 5 * SECOND);
    assert_eq!(deliver_due(&env.store, &d).await.unwrap(), 1);
    let m = one(&rx);
    assert_eq!(m.header("Message-ID"), Some(waiting[0].message_id.as_str()));
    assert!(env.store.waiting_emails().unwrap().is_empty());
    assert_eq!(env.count("email.sent"), 1);
}

#[tokio::test]
async fn an_email_failing_for_three_days_is_given_up_and_audited() {
    let rx = SmtpReceiver::down();
    let (env, mia) = setup(&rx);
    key(&env, &mia, "Zapier", None, false);
    env.at(75 * DAY);
    env.store.run_lifecycle(false).unwrap();
    let mut attempts = 0;
    while !env.store.waiting_emails().unwrap().is_empty() {
        let at = env.store.next_delivery_at().unwrap().unwrap();
        env.clock.set(at);
        attempts += send_due_emails(&env.store).await.unwrap();
        assert!(attempts < 20, "gives up in a bounded number of attempts");
    }
    assert!(env.store.now() <= t0() + 75 * DAY + 3 * DAY);
    let failed: Vec<_> = env
        .audit()
        .into_iter()
        .filter(|e| e.action == "email.failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].summary.contains("mia@example.com"),
        "{}",
        failed[0].summary
    );
    assert!(failed[0]
        .summary
        .contains(&format!("{attempts} attempt(s)")));
}

#[tokio::test]
async fn a_recipient_the_server_refuses_for_good_is_given_up_at_once() {
    let rx = SmtpReceiver::start();
    let (env, _) = setup(&rx);
    let gone = env.admin("Gone", "rejected@example.com").id;
    key(&env, &gone, "Zapier", None, false);
    env.at(75 * DAY);
    env.store.run_lifecycle(false).unwrap();
    assert_eq!(send_due_emails(&env.store).await.unwrap(), 1);
    assert!(env.store.waiting_emails().unwrap().is_empty());
    let failed = env
        .audit()
        .into_iter()
        .find(|e| e.action == "email.failed")
        .expect("audited");
    assert!(failed.summary.contains("550"), "{}", failed.summary);
    assert!(rx.messages().is_empty());
}

#[tokio::test]
async fn email_turned_off_before_sending_drops_what_waits_and_says_so() {
    let rx = SmtpReceiver::start();
    let (env, mia) = setup(&rx);
    key(&env, &mia, "Zapier", None, false);
    env.at(75 * DAY);
    env.store.run_lifecycle(false).unwrap();
    env.store
        .update_settings(Settings {
            smtp_url: String::new(),
            ..env.store.settings().unwrap()
        })
        .unwrap();
    assert_eq!(send_due_emails(&env.store).await.unwrap(), 0);
    assert!(env.store.waiting_emails().unwrap().is_empty());
    assert_eq!(env.count("email.failed"), 1);
    assert!(rx.messages().is_empty());
}

/// The synchronous PostgreSQL client runs outside any async runtime: only the sending
/// pass runs on one, its store calls on blocking threads as in the workers.
#[test]
fn on_postgresql_a_deletion_reminder_reaches_the_owner_once() {
    let rx = SmtpReceiver::start();
    let (env, mia) = setup_on(&keyward_testkit::Postgres, &rx);
    key(&env, &mia, "Zapier", None, false);
    env.at(75 * DAY + HOUR);
    env.store.run_lifecycle(false).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(rt.block_on(send_due_emails(&env.store)).unwrap(), 1);
    let m = one(&rx);
    assert_eq!(
        m.header("Subject"),
        Some("Your API key \"Zapier\" will be deleted in 15 days")
    );
    assert_eq!(rt.block_on(send_due_emails(&env.store)).unwrap(), 0);
    drop(rt);
    assert_eq!(env.count("email.sent"), 1);
}

/// `setup`, with the store able to send email now ("Send a test email").
fn sending(rx: &SmtpReceiver) -> Env {
    let (env, _) = setup(rx);
    keyward_webhooks::mail::enable(&env.store);
    env
}

/// What the audit log says of the test email.
fn tested(env: &Env) -> String {
    env.audit()
        .into_iter()
        .find(|e| e.action == "email.tested")
        .expect("the test email is audited")
        .summary
}

/// "Send a test email": sent now with the saved settings (the sealed password included),
/// answered with how it went, and audited.
#[test]
fn a_test_email_goes_out_at_once_through_the_saved_server() {
    let rx = SmtpReceiver::with_login("keyward-mailer", "s3cret:pass");
    let env = sending(&rx);
    let sent = env.store.send_test_email(" lee@example.com ").unwrap();
    assert!(sent.sent, "{sent:?}");
    assert_eq!(sent.error, None);
    assert_eq!(sent.to, "lee@example.com");
    assert_eq!(
        sent.server,
        format!("smtp://keyward-mailer:•••@127.0.0.1:{}?tls=none", rx.port)
    );
    let m = one(&rx);
    assert_eq!(m.login.as_deref(), Some("keyward-mailer"));
    assert_eq!(m.rcpt_tos, vec!["lee@example.com".to_owned()]);
    assert_eq!(m.header("From"), Some("Keyward <keyward@example.com>"));
    assert_eq!(m.header("Subject"), Some("Keyward test email"));
    assert_eq!(m.header("Message-ID"), Some(sent.message_id.as_str()));
    assert!(m.body.contains(&sent.server), "{}", m.body);
    assert!(!m.body.contains("s3cret"), "{}", m.body);
    // Nothing was queued: a test is not a reminder to retry.
    assert!(env.store.waiting_emails().unwrap().is_empty());
    let tested = tested(&env);
    assert!(
        tested.contains("sent a test email to lee@example.com"),
        "{tested}"
    );
    assert!(!tested.contains("s3cret"), "{tested}");
}

#[test]
fn a_test_email_the_server_cannot_take_says_why() {
    let rx = SmtpReceiver::down();
    let env = sending(&rx);
    let sent = env.store.send_test_email("lee@example.com").unwrap();
    assert!(!sent.sent);
    let error = sent.error.clone().unwrap();
    assert!(error.contains(&format!("127.0.0.1:{}", rx.port)), "{error}");
    assert!(env.store.waiting_emails().unwrap().is_empty());
    let tested = tested(&env);
    assert!(tested.contains("was not sent"), "{tested}");

    // A recipient the server refuses: its answer, word for word.
    let rx = SmtpReceiver::start();
    let env = sending(&rx);
    let sent = env.store.send_test_email("rejected@example.com").unwrap();
    assert!(!sent.sent);
    assert!(sent.error.as_deref().unwrap().contains("550"), "{sent:?}");
    assert!(rx.messages().is_empty());
}

#[test]
fn a_test_email_needs_email_on_and_an_address() {
    let rx = SmtpReceiver::start();
    let env = sending(&rx);
    let err = env.store.send_test_email("not an address").unwrap_err();
    assert_eq!((err.code(), err.field()), ("INVALID_INPUT", Some("to")));
    env.store
        .update_settings(Settings {
            smtp_from: String::new(),
            ..env.store.settings().unwrap()
        })
        .unwrap();
    let err = env.store.send_test_email("lee@example.com").unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("INVALID_INPUT", Some("smtp_url"))
    );
    assert!(err.to_string().contains("email is off"), "{err}");
    assert!(rx.messages().is_empty());
    assert_eq!(env.count("email.tested"), 0);
}

/// A server's certificate is checked against the system's trust store: one it does not
/// vouch for (here, self-signed) gets nothing — over STARTTLS and over TLS alike.
#[test]
fn a_server_whose_certificate_is_not_trusted_is_told_nothing() {
    use keyward_testkit::smtp::SmtpTls;
    for tls in [SmtpTls::StartTls, SmtpTls::Implicit] {
        let rx = SmtpReceiver::with_tls(tls, Some(("keyward-mailer", "s3cret")));
        let env = sending(&rx);
        let sent = env.store.send_test_email("lee@example.com").unwrap();
        assert!(!sent.sent, "{tls:?}: {sent:?}");
        let error = sent.error.unwrap().to_lowercase();
        assert!(error.contains("certificate"), "{tls:?}: {error}");
        assert!(rx.messages().is_empty(), "{tls:?}");
    }
}

/// With a password, STARTTLS is required: a server that does not offer it is never sent
/// the password (nor the email).
#[test]
fn a_password_is_never_sent_to_a_server_without_starttls() {
    let rx = SmtpReceiver::with_login("keyward-mailer", "s3cret");
    let (env, _) = setup(&rx);
    let mut s = env.store.settings().unwrap();
    s.set(
        "smtp_url",
        &format!("smtp://keyward-mailer:s3cret@127.0.0.1:{}", rx.port),
    )
    .unwrap();
    env.store.update_settings(s).unwrap();
    keyward_webhooks::mail::enable(&env.store);
    let sent = env.store.send_test_email("lee@example.com").unwrap();
    assert!(!sent.sent, "{sent:?}");
    let error = sent.error.unwrap();
    assert!(error.to_lowercase().contains("tls"), "{error}");
    assert!(rx.messages().is_empty());
}
