//! Activity (the audit log), the "Expiring soon" summary and reminders.

use keyward_core::lifecycle::ReminderNotice;
use keyward_core::{AuditFilter, AuditView, ExpiringSoon};
use serde::Deserialize;
use tauri::State;

use crate::error::Result;
use crate::state::{lock, AppState};

#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct AuditQuery {
    pub limit: Option<u32>,
    pub object_id: Option<String>,
    pub user_id: Option<String>,
    pub entity: Option<String>,
    pub search: Option<String>,
}

#[tauri::command]
pub async fn list_audit(state: State<'_, AppState>, query: AuditQuery) -> Result<Vec<AuditView>> {
    crate::memory::release_soon();
    state
        .run(move |s| {
            s.audit(&AuditFilter {
                limit: query.limit.map(|l| l as usize),
                object_id: query.object_id,
                user_id: query.user_id,
                entity: query.entity,
                search: query.search,
            })
        })
        .await
}

/// Copies an id (Activity's "copy id"): plain text, not a secret, so never cleared.
#[tauri::command]
pub fn copy_id(state: State<'_, AppState>, id: String) -> Result<()> {
    if !keyward_core::ids::looks_like_id(&id) {
        return Err(
            keyward_core::Error::invalid_field("id", "only an id can be copied here").into(),
        );
    }
    state.clipboard.write(&id)
}

#[tauri::command]
pub async fn expiring_soon(state: State<'_, AppState>) -> Result<ExpiringSoon> {
    state.run(|s| s.expiring_soon()).await
}

/// Reminders raised since the app started, newest first.
#[tauri::command]
pub fn recent_reminders(state: State<'_, AppState>) -> Vec<ReminderNotice> {
    lock(&state.reminders).iter().rev().cloned().collect()
}

/// Runs the lifecycle now (the scheduler also runs it hourly).
#[tauri::command]
pub fn run_lifecycle(state: State<'_, AppState>) {
    if let Some(s) = lock(&state.scheduler).as_ref() {
        s.wake();
    }
}
