//! The delivery passes: every due message sent and recorded, a subscription's messages in
//! order, then every due email; the background worker that runs them; the bounded pass of
//! a one-shot command.

use std::sync::Arc;
use std::time::Duration;

use keyward_core::webhooks::DueMessage;
use keyward_core::Store;
use tokio::sync::{watch, Notify};

use crate::{Deliverer, Result};

/// Messages taken from the outbox per pass (sent a few at a time).
const BATCH: usize = 64;
const IN_FLIGHT: usize = 8;
/// The longest a worker sleeps without looking at the outbox (clock jumps, suspend).
const MAX_IDLE: Duration = Duration::from_secs(30);

async fn blocking<T: Send + 'static>(
    store: &Arc<Store>,
    f: impl FnOnce(&Store) -> keyward_core::Result<T> + Send + 'static,
) -> keyward_core::Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .unwrap_or_else(|e| {
            Err(keyward_core::Error::Storage(format!(
                "a store task failed: {e}"
            )))
        })
}

/// Sends every message due now and records how each went: one subscription's messages in
/// the order they were queued, up to eight subscriptions at once; then the emails due.
/// Returns how many attempts were made.
pub async fn deliver_due(store: &Arc<Store>, deliverer: &Deliverer) -> Result<usize> {
    let hooks = deliver_due_messages(store, deliverer).await?;
    Ok(hooks + send_due_emails(store).await?)
}

/// Sends every email due now, one after another, and records how each went. Returns how
/// many attempts were made.
pub async fn send_due_emails(store: &Arc<Store>) -> Result<usize> {
    let mut attempts = 0;
    loop {
        let due = blocking(store, |s| s.due_emails(BATCH)).await?;
        let batch_len = due.len();
        for m in due {
            let result = crate::mail::send_email(&m).await;
            let id = m.mail_id;
            blocking(store, move |s| s.record_email(&id, result)).await?;
            attempts += 1;
        }
        if batch_len < BATCH {
            return Ok(attempts);
        }
    }
}

async fn deliver_due_messages(store: &Arc<Store>, deliverer: &Deliverer) -> Result<usize> {
    let mut attempts = 0;
    loop {
        let due = blocking(store, |s| s.due_messages(BATCH)).await?;
        let batch_len = due.len();
        let mut groups: Vec<Vec<DueMessage>> = Vec::new();
        for m in due {
            match groups.iter_mut().find(|g| g[0].webhook_id == m.webhook_id) {
                Some(g) => g.push(m),
                None => groups.push(vec![m]),
            }
        }
        let mut groups = groups.into_iter();
        loop {
            let mut set = tokio::task::JoinSet::new();
            for group in groups.by_ref().take(IN_FLIGHT) {
                let d = deliverer.clone();
                let store = store.clone();
                set.spawn(async move {
                    let mut made = 0;
                    for m in group {
                        let result = d.attempt(&m, store.now()).await;
                        let id = m.message_id;
                        blocking(&store, move |s| s.record_attempt(&id, result)).await?;
                        made += 1;
                    }
                    Ok::<usize, keyward_core::Error>(made)
                });
            }
            if set.is_empty() {
                break;
            }
            while let Some(joined) = set.join_next().await {
                if let Ok(made) = joined {
                    attempts += made?;
                }
            }
        }
        if batch_len < BATCH {
            return Ok(attempts);
        }
    }
}

/// What a one-shot command does before it exits: one bounded pass over what is due.
/// An attempt cut short is not recorded, so the next Keyward process makes it again.
pub async fn deliver_once(store: &Arc<Store>, within: Duration) -> Result<usize> {
    if blocking(store, |s| s.next_delivery_at()).await?.is_none() {
        return Ok(0);
    }
    let deliverer = Deliverer::new()?;
    tokio::time::timeout(within, deliver_due(store, &deliverer))
        .await
        .unwrap_or(Ok(0))
}

/// The background delivery worker of the desktop app and `keyward serve`. Stops when
/// dropped or shut down.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Worker {
    /// Starts delivering on the current tokio runtime. It wakes when a commit queues a
    /// message, when a retry falls due, and at least every 30 s.
    pub fn start(store: Arc<Store>) -> Result<Worker> {
        Worker::start_with(store, |_| {})
    }

    /// [`Worker::start`], calling `after_pass` with the number of attempts of each pass
    /// that made any (a window refreshes its delivery log).
    pub fn start_with(
        store: Arc<Store>,
        after_pass: impl Fn(usize) + Send + Sync + 'static,
    ) -> Result<Worker> {
        let deliverer = Deliverer::new()?;
        crate::mail::enable(&store);
        let wake = Arc::new(Notify::new());
        {
            let wake = wake.clone();
            store.on_outbox(move || wake.notify_one());
        }
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                match deliver_due(&store, &deliverer).await {
                    Ok(0) => {}
                    Ok(n) => after_pass(n),
                    Err(e) => log::warn!("webhook and email delivery: {e}"),
                }
                let next = blocking(&store, |s| s.next_delivery_at())
                    .await
                    .ok()
                    .flatten();
                let wait = match next {
                    Some(at) => {
                        Duration::from_millis((at - store.now()).max(0) as u64).min(MAX_IDLE)
                    }
                    None => MAX_IDLE,
                };
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Ok(Worker {
            stop,
            task: Some(task),
        })
    }

    /// Stops the worker and waits for an attempt in progress to be recorded.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
