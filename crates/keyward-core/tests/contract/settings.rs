//! Settings: defaults, validated updates that persist, and the store following them.

use keyward_core::clock::{to_datetime, DAY};
use keyward_core::Settings;
use keyward_testkit::{code, Backend, Env, T0};

pub fn settings_default_and_updates_persist_and_invalid_are_refused(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    assert_eq!(env.store.settings().unwrap(), Settings::default());
    let s = Settings {
        inactivity_days: 30,
        reminder_days: vec![3, 10, 3],
        token_lifetime_days: 60,
        ..Settings::default()
    };
    let saved = env.store.update_settings(s).unwrap();
    assert_eq!(saved.reminder_days, vec![10, 3]);
    assert_eq!(env.count("settings.updated"), 1);

    let env = env.reopen();
    let got = env.store.settings().unwrap();
    assert_eq!(got, saved);

    let bad: [fn(&mut Settings); 6] = [
        |s| s.inactivity_days = 4000,
        |s| s.reminder_days = vec![0],
        |s| s.reminder_days = vec![30],
        |s| s.token_lifetime_days = 0,
        |s| s.clipboard_clear_seconds = 4000,
        |s| s.local_api_port = 80,
    ];
    for change in bad {
        let mut s = got.clone();
        change(&mut s);
        assert_eq!(code(env.store.update_settings(s)), "INVALID_INPUT");
    }
    assert_eq!(env.store.settings().unwrap(), saved);
    assert_eq!(env.count("settings.updated"), 1);

    // The store follows its settings.
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    assert_eq!(k.view.deletes_at, Some(to_datetime(T0 + 30 * DAY)));
    let t = env.store.create_token(&k.view.id).unwrap();
    assert_eq!(t.expires_at, to_datetime(T0 + 60 * DAY));
    env.at(19 * DAY);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());
    env.at(20 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    let days: Vec<u32> = r.reminders.iter().map(|n| n.days_before).collect();
    assert_eq!(days, [10]);
}
