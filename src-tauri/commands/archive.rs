//! Preferences › "Back up…" and "Restore…": the whole store as an archive encrypted with
//! a passphrase (the same as `keyward export` / `keyward import`).

use keyward_core::archive::{ArchiveSummary, Progress};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::error::{AppError, Result};
use crate::state::AppState;

/// Where "Back up…" wrote the archive, and what it holds.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct BackupReceipt {
    pub path: String,
    pub summary: ArchiveSummary,
}

/// Writes `keyward-backup-DATE.kwarchive` (0600) to the Downloads folder, never over an
/// existing file.
#[tauri::command]
pub async fn back_up_store(
    state: State<'_, AppState>,
    passphrase: String,
) -> Result<BackupReceipt> {
    let dir = dirs::download_dir()
        .or_else(dirs::home_dir)
        .ok_or_else(|| AppError::Io("no Downloads folder to write to".into()))?;
    let (bytes, summary) = state
        .run_local(move |s| s.export_archive(&passphrase))
        .await?;
    let day = chrono::Utc::now().format("%Y-%m-%d");
    let path = (1..1000)
        .map(|n| {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            dir.join(format!("keyward-backup-{day}{suffix}.kwarchive"))
        })
        .find(|p| !p.exists())
        .ok_or_else(|| AppError::Io("too many backups of today in the Downloads folder".into()))?;
    keyward_core::archive::save(&path, &bytes).map_err(|e| {
        AppError::Io(format!(
            "the backup could not be written to {}: {e}",
            path.display()
        ))
    })?;
    Ok(BackupReceipt {
        path: path.display().to_string(),
        summary,
    })
}

/// Loads an archive the user picked into this store, which must be empty; progress goes
/// out as `restore-progress` events.
#[tauri::command]
pub async fn restore_store<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    archive: Vec<u8>,
    passphrase: String,
) -> Result<ArchiveSummary> {
    let summary = state
        .run_local(move |s| {
            s.import_archive(&archive, &passphrase, &mut |p: Progress| {
                let _ = app.emit("restore-progress", p);
            })
        })
        .await?;
    Ok(summary)
}
