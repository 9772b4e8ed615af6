//! Fills a data directory with many keys, for measuring the desktop app and the HTTP API
//! at scale: `cargo run --release -p keyward-core --example seed -- DIR 10000 [secrets.txt]`.
//! Writes are batched without a flush per key, then flushed once. With a third argument,
//! the secrets are written there, one per line (for `make bench-http`).

use std::io::Write;

use keyward_core::{NewKey, NewUser, Store, StoreOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: seed DIR COUNT [SECRETS_FILE]")?;
    let count: usize = args
        .next()
        .ok_or("usage: seed DIR COUNT [SECRETS_FILE]")?
        .parse()?;
    let mut secrets = match args.next() {
        Some(p) => {
            // The file holds every secret: readable by its owner only.
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            Some(std::io::BufWriter::new(opts.open(p)?))
        }
        None => None,
    };
    let store = Store::open_default(
        std::path::Path::new(&dir),
        StoreOptions {
            durable: false,
            ..StoreOptions::default()
        },
    )?;
    let names = [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Katherine Johnson",
        "Linus Pauling",
    ];
    let mut owners = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let email = format!(
            "{}@example.com",
            n.split(' ').next().unwrap_or("user").to_lowercase()
        );
        let user = match store.user(&email) {
            Ok(u) => u.id,
            Err(_) => {
                store
                    .add_user(NewUser {
                        name: (*n).into(),
                        email,
                        admin: i < 4,
                    })?
                    .id
            }
        };
        owners.push(user);
    }
    let locations: Vec<String> = (0..5)
        .map(|i| store.add_location(&format!("Location {i}")).map(|l| l.id))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    let purposes = [
        "Zapier sync",
        "Weekly volunteer export",
        "Marketing Automation",
        "CRM bridge",
        "Reporting",
    ];
    let started = std::time::Instant::now();
    for i in 0..count {
        let created = store.create_key(NewKey {
            owner: owners[i % 4].clone(),
            name: format!("{} #{i}", purposes[i % purposes.len()]),
            location: (i % 3 == 0 && !locations.is_empty())
                .then(|| locations[i % locations.len()].clone()),
        })?;
        if let Some(w) = secrets.as_mut() {
            writeln!(w, "{}", created.key.expose())?;
        }
    }
    store.flush()?;
    eprintln!(
        "seeded {count} keys into {dir} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
