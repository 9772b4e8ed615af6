//! Fills a data directory with many keys, for measuring the desktop app and the HTTP API
//! at scale: `cargo run --release -p keyward-core --example seed -- DIR 10000 [secrets.txt]`.
//! Writes are batched without a flush per key, then flushed once. With a third argument,
//! the secrets are written there, one per line (for `make bench-http`).

use std::io::Write;

use keyward_core::{Store, StoreOptions};

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
    let started = std::time::Instant::now();
    keyward_testkit::bulk::seed_keys(&store, count, |created| match secrets.as_mut() {
        Some(w) => writeln!(w, "{}", created.key.expose()),
        None => Ok(()),
    })?;
    store.flush()?;
    eprintln!(
        "seeded {count} keys into {dir} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
