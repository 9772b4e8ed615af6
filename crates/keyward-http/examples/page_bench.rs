//! The spec's figure for the management API: one page (300 rows) of 10,000 keys, p50 ≤ 50
//! ms over HTTP. Seeds a store with 10,000 keys (bulk: no flush per key, one at the end),
//! serves it on 127.0.0.1:0, and sends `GET /v1/keys?limit=300` with a management token
//! 200 times — the first page and later ones (through their cursors), in several sorts,
//! some filtered — over one keep-alive connection, timing each from send to the last
//! byte. Prints p50, p99 and max.
//!
//! `cargo run --release -p keyward-http --example page_bench` (`make bench-http` runs it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_core::{Store, StoreOptions};

const KEYS: usize = 10_000;
const REQUESTS: usize = 200;
const TARGET_P50_MS: f64 = 50.0;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A store holding `KEYS` keys of four admins (`keyward_testkit::bulk`), one in three
/// scoped to a location;
/// and a management token of its first admin.
fn seed(dir: &std::path::Path) -> Result<(Store, String), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let store = Store::open_default(
        dir,
        StoreOptions {
            durable: false,
            ..StoreOptions::default()
        },
    )?;
    let mut ids = Vec::with_capacity(KEYS);
    let owners = keyward_testkit::bulk::seed_keys(&store, KEYS, |k| {
        ids.push(k.view.id.clone());
        Ok(())
    })?;
    // Every key used on each of the last 30 days: the most usage rows a page's
    // sparklines can read (300,000).
    keyward_testkit::bulk::seed_usage(&store, &ids, 30, store.now())?;
    // What a server does on start; the first page then times the usage read alone.
    store.warm_index()?;
    let token = store.create_management_token(&owners[0], Some("Bench"), None)?;
    store.flush()?;
    println!(
        "seeded {KEYS} keys in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok((store, token.token.expose().to_owned()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let (store, token) = tokio::task::block_in_place(|| seed(dir.path()))?;
    let store = Arc::new(store);
    let listener = keyward_http::bind(0).await?;
    let port = listener.local_addr()?.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(keyward_http::serve(store, listener, async move {
        let _ = stopped.await;
    }));
    keyward_webhooks::install_crypto_provider();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/v1/keys?limit=300");
    let get = |url: String| {
        let req = client.get(url).bearer_auth(&token);
        async move {
            let started = Instant::now();
            let r = req.send().await?;
            let status = r.status();
            let body = r.bytes().await?;
            let took = started.elapsed();
            if !status.is_success() {
                return Err(format!("{status}: {}", String::from_utf8_lossy(&body)).into());
            }
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            Ok::<_, Box<dyn std::error::Error>>((took, page))
        }
    };

    // The pages to ask for: the first pages of several sorts and filters, and later pages
    // reached through their cursors.
    let mut urls: Vec<String> = [
        "",
        "&sort=name&dir=asc",
        "&sort=attention",
        "&sort=last_used&dir=desc",
        "&sort=owner",
        "&status=active&sort=status",
        "&search=zapier",
        "&scope=agency&sort=scope",
    ]
    .iter()
    .map(|q| format!("{base}{q}"))
    .collect();
    // The first page reads the last 30 days' usage rows for the sparklines (today's and
    // yesterday's again once a minute, all of them once an hour): timed on its own.
    let (first, _) = get(base.clone()).await?;
    println!(
        "first page, reading 30 days of usage ({} rows): {:.2} ms",
        KEYS * 30,
        ms(first)
    );
    let mut cursor = None;
    for _ in 0..10 {
        let url = match &cursor {
            Some(c) => format!("{base}&cursor={c}"),
            None => base.clone(),
        };
        let (_, page) = get(url.clone()).await?;
        assert_eq!(page["items"].as_array().map(Vec::len), Some(300));
        assert_eq!(page["matching"], KEYS);
        assert_eq!(page["usage"].as_object().map(|u| u.len()), Some(300));
        urls.push(url);
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    // Warm-up: the connection, the index, the allocator.
    for url in urls.iter().take(5) {
        get(url.clone()).await?;
    }

    let mut times = Vec::with_capacity(REQUESTS);
    let mut by_kind = vec![Vec::new(); urls.len()];
    for i in 0..REQUESTS {
        let (took, page) = get(urls[i % urls.len()].clone()).await?;
        assert!(!page["items"].as_array().is_none_or(Vec::is_empty));
        times.push(took);
        by_kind[i % urls.len()].push(took);
    }
    let _ = stop.send(());
    server.await??;

    // The slowest kind of page, by its median: where the time goes.
    let (slowest, median) = by_kind
        .iter_mut()
        .map(|t| {
            t.sort();
            percentile(t, 0.5)
        })
        .enumerate()
        .max_by_key(|(_, d)| *d)
        .unwrap_or((0, Duration::ZERO));
    println!(
        "slowest kind of page: {} (p50 {:.2} ms)",
        urls[slowest].trim_start_matches(&format!("http://127.0.0.1:{port}")),
        ms(median)
    );
    times.sort();
    let p50 = ms(percentile(&times, 0.50));
    println!(
        "GET /v1/keys?limit=300 over {KEYS} keys ({} page kinds, {REQUESTS} requests, {} cores): \
         p50 {p50:.2} ms, p99 {:.2} ms, max {:.2} ms — target p50 ≤ {TARGET_P50_MS} ms: {}",
        urls.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap_or(&Duration::ZERO)),
        if p50 <= TARGET_P50_MS {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}
