//! Many keys at once, for the benchmarks and measurements at scale: five site managers
//! (the first four admins), five locations, and keys spread over them, one in three scoped
//! to a location. Open the store with `durable: false` and flush once at the end.

use keyward_core::model::usage::{day_of, row_key, DayCounts};
use keyward_core::store::Table;
use keyward_core::{CreatedKey, Millis, NewKey, NewUser, Result, Store};

const PEOPLE: [&str; 5] = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Linus Pauling",
];

const PURPOSES: [&str; 5] = [
    "Zapier sync",
    "Weekly volunteer export",
    "Marketing Automation",
    "CRM bridge",
    "Reporting",
];

/// Adds the site managers (kept if already there) and locations, then `count` keys owned
/// by the four admins; `each` sees every key as it is made. Returns the admins' ids.
pub fn seed_keys(
    store: &Store,
    count: usize,
    mut each: impl FnMut(&CreatedKey) -> std::io::Result<()>,
) -> Result<Vec<String>> {
    let mut owners = Vec::new();
    for (i, name) in PEOPLE.iter().enumerate() {
        let email = format!(
            "{}@example.com",
            name.split(' ').next().unwrap_or("user").to_lowercase()
        );
        let id = match store.user(&email) {
            Ok(u) => u.id,
            Err(_) => {
                store
                    .add_user(NewUser {
                        name: (*name).into(),
                        email,
                        admin: i < 4,
                    })?
                    .id
            }
        };
        owners.push(id);
    }
    owners.truncate(4);
    let locations: Vec<String> = (0..5)
        .map(|i| store.add_location(&format!("Location {i}")).map(|l| l.id))
        .collect::<Result<_>>()
        .unwrap_or_default();
    for i in 0..count {
        let created = store.create_key(NewKey {
            owner: owners[i % owners.len()].clone(),
            name: format!("{} #{i}", PURPOSES[i % PURPOSES.len()]),
            location: (i % 3 == 0 && !locations.is_empty())
                .then(|| locations[i % locations.len()].clone()),
            ..Default::default()
        })?;
        each(&created)?;
    }
    Ok(owners)
}

/// Gives every key of `ids` a count of valid verifications on each of the last `days`
/// days up to `now`, as stored counts (written in batches of a thousand keys), so a
/// measurement of the keys list reads as many usage rows as a busy store holds.
pub fn seed_usage(store: &Store, ids: &[String], days: i64, now: Millis) -> Result<()> {
    let today = day_of(now);
    for chunk in ids.chunks(1000) {
        store.write(|tx| {
            for (i, id) in chunk.iter().enumerate() {
                for day in (today - days + 1)..=today {
                    let counts = DayCounts {
                        valid: (i as u64 + day as u64) % 50,
                        ..DayCounts::default()
                    };
                    tx.put(Table::Usage, row_key(day, id), &counts)?;
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}
