//! The background lifecycle: runs at start, hourly, on wake from sleep, and when asked.
//! Owned by a `SchedulerHandle` whose drop cancels the task.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use keyward_core::lifecycle::ReminderKind;
use keyward_core::LifecycleReport;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::notify;
use crate::state::{lock, AppState};

const PERIOD: Duration = Duration::from_secs(3600);
const TICK: Duration = Duration::from_secs(60);
/// A tick that took this much longer than it should have means the machine slept.
const RESUME_SLACK: Duration = Duration::from_secs(120);

pub struct SchedulerHandle {
    cancel: CancellationToken,
    wake: Arc<Notify>,
}

impl SchedulerHandle {
    /// Runs the lifecycle now instead of waiting for the next hour.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

impl Drop for SchedulerHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub fn start<R: Runtime>(app: AppHandle<R>) -> SchedulerHandle {
    let cancel = CancellationToken::new();
    let wake = Arc::new(Notify::new());
    let (c, w) = (cancel.clone(), wake.clone());
    tauri::async_runtime::spawn(async move {
        loop {
            run_once(&app).await;
            if !wait(&c, &w).await {
                break;
            }
        }
    });
    SchedulerHandle { cancel, wake }
}

/// Waits for the next run; `false` when cancelled.
async fn wait(cancel: &CancellationToken, wake: &Notify) -> bool {
    let started = Instant::now();
    let mut wall = SystemTime::now();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return false,
            _ = wake.notified() => return true,
            _ = tokio::time::sleep(TICK) => {
                let now = SystemTime::now();
                let gap = now.duration_since(wall).unwrap_or_default();
                wall = now;
                if started.elapsed() >= PERIOD || gap > TICK + RESUME_SLACK {
                    return true;
                }
            }
        }
    }
}

/// One lifecycle pass: raise reminders as notifications, refresh the tray, tell the UI.
pub async fn run_once<R: Runtime>(app: &AppHandle<R>) -> Option<LifecycleReport> {
    let state = app.state::<AppState>();
    if state.server().is_some() {
        // A team server runs its own lifecycle; the app tells of what it reminded.
        server_reminders(app).await;
        return None;
    }
    let report = match state.run(|s| s.run_lifecycle(false)).await {
        Ok(r) => r,
        Err(e) => {
            log::error!("lifecycle run failed: {e}");
            return None;
        }
    };
    let notifications = state
        .run(|s| s.settings())
        .await
        .map(|s| s.notifications)
        .unwrap_or(true);
    let app2 = app.clone();
    let r2 = report.clone();
    let _ = tauri::async_runtime::spawn_blocking(move || deliver(&app2, &r2, notifications)).await;
    crate::tray::refresh(app).await;
    let _ = app.emit("lifecycle", &report);
    Some(report)
}

/// On a team server: a native notification for each key the token may manage whose
/// deletion the server has raised a reminder for, once per deadline in this session;
/// then the tray.
async fn server_reminders<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let read = state
        .run(|m| Ok((m.expiring_soon()?, m.settings()?.notifications)))
        .await;
    let (soon, notifications) = match read {
        Ok(r) => r,
        Err(e) => {
            log::warn!("the team server's reminders could not be read: {e}");
            return;
        }
    };
    let fresh: Vec<_> = {
        let mut seen = lock(&state.server_reminded);
        soon.keys
            .iter()
            .filter(|k| k.reminded && seen.insert(format!("{}@{}", k.id, k.deletes_at)))
            .cloned()
            .collect()
    };
    if notifications {
        for k in &fresh {
            let (summary, body) = notify::due_key_text(k);
            let shown =
                state
                    .notifier
                    .notify_about_key(&summary, &body, &k.id, true, on_choice(app));
            if let Err(e) = shown {
                log::warn!("notification not shown ({e}); the reminder stays in the tray");
                *lock(&state.notification_problem) = Some(e);
            }
        }
    }
    crate::tray::refresh(app).await;
    if !fresh.is_empty() {
        let _ = app.emit("lifecycle", ());
    }
}

/// Keeps each reminder for the app and the tray, and shows it (and each deletion) as a
/// native notification when notifications are on. A missing notification server is
/// logged and shown in Preferences, never fatal.
/// A reminder of a coming deletion carries "Keep" and "Open" actions, other reminders
/// "Open", where the platform has actions.
pub fn deliver<R: Runtime>(app: &AppHandle<R>, report: &LifecycleReport, notifications: bool) {
    let state = app.state::<AppState>();
    lock(&state.reminders).extend(report.reminders.iter().cloned());
    if !notifications {
        return;
    }
    for r in &report.reminders {
        let (summary, body) = notify::reminder_text(r);
        let keepable = r.kind == ReminderKind::KeyDeletion;
        let shown =
            state
                .notifier
                .notify_about_key(&summary, &body, &r.key_id, keepable, on_choice(app));
        note_shown(&state, shown);
    }
    for d in &report.deleted {
        let (summary, body) = notify::deletion_text(d);
        note_shown(&state, state.notifier.notify(&summary, &body));
    }
}

fn note_shown(state: &AppState, shown: Result<(), String>) {
    match shown {
        Ok(()) => *lock(&state.notification_problem) = None,
        Err(e) => {
            log::warn!("notification not shown ({e}); the reminder stays in the app and tray");
            *lock(&state.notification_problem) = Some(e);
        }
    }
}

/// What a choice on a notification does: "Open" shows the key in the app; "Keep"
/// restarts its inactivity clock (on this computer's store or the team server) and says
/// so in a notification.
pub fn on_choice<R: Runtime>(app: &AppHandle<R>) -> notify::OnChoice {
    let app = app.clone();
    Box::new(move |chosen| match chosen {
        notify::Chosen::Open(key_id) => {
            crate::show_main_window(&app);
            let _ = app.emit("open-key", key_id);
        }
        notify::Chosen::Keep(key_id) => {
            let state = app.state::<AppState>();
            let kept = tauri::async_runtime::block_on(state.run(move |m| m.keep_key(&key_id)));
            let (summary, body) = match &kept {
                Ok(k) => k.kept_notice(),
                Err(e) => ("The key could not be kept".to_owned(), e.to_string()),
            };
            let _ = state.notifier.notify(&summary, &body);
            if kept.is_ok() {
                let _ = app.emit("lifecycle", ());
                tauri::async_runtime::block_on(crate::tray::refresh(&app));
            }
        }
    })
}
