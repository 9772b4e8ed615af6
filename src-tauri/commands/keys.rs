//! The API keys page. Copy, Copy as cURL and Export for Postman read the secret in Rust
//! and hand it to the clipboard or a file: it never enters the web view.

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};

use keyward_core::keys::parse_grace;
use keyward_core::{
    CreatedKey, DeletedKey, DeletedKeyView, Disclosure, KeyDetail, KeyEdit, KeyFilter, KeyPage,
    KeySort, KeyView, NewKey,
};
use keyward_http::postman;

use crate::clipboard::copy_and_clear_later;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::tray::refresh_later;

/// Filters of the keys list.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct KeyQuery {
    pub owner: Option<String>,
    pub status: Option<String>,
    pub search: Option<String>,
    pub scope: Option<String>,
}

/// What a copy did: the clipboard is cleared after this many seconds (0: never).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CopyReceipt {
    pub clears_in_seconds: u32,
}

/// Where "Export for Postman" wrote the environment (with the key) and the collection.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ExportReceipt {
    pub path: String,
    pub collection_path: String,
}

/// One page of the keys list: the screen asks for the rows it shows.
#[tauri::command]
pub async fn list_keys(
    state: State<'_, AppState>,
    query: KeyQuery,
    sort: KeySort,
    offset: usize,
    limit: usize,
) -> Result<KeyPage> {
    crate::memory::release_soon();
    state
        .run(move |s| {
            let filter = KeyFilter {
                owner: query.owner,
                status: query.status,
                search: query.search,
                scope: query.scope,
            };
            s.key_page(&filter, sort, offset, limit)
        })
        .await
}

#[tauri::command]
pub async fn get_key(state: State<'_, AppState>, id: String) -> Result<KeyDetail> {
    state.run(move |s| s.key_detail(&id)).await
}

/// What the create dialog's "More options" set; all optional.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct KeyPolicyInput {
    /// `30d`, `90d`, `1y`, a date (`2027-03-31`) or `never`.
    pub expires: Option<String>,
    /// Empty: everything (`*`).
    pub permissions: Vec<String>,
    /// `600/min`; `null`: no limit.
    pub rate: Option<String>,
    pub notes: String,
    pub tags: Vec<String>,
    pub keep_always: bool,
}

#[tauri::command]
pub async fn create_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    owner: String,
    name: String,
    location: Option<String>,
    policy: Option<KeyPolicyInput>,
) -> Result<CreatedKey> {
    let p = policy.unwrap_or_default();
    let created = state
        .run(move |s| {
            s.create_key(NewKey {
                owner,
                name,
                location,
                expires: p.expires,
                permissions: p.permissions,
                rate: p.rate,
                notes: p.notes,
                tags: p.tags,
                keep_always: p.keep_always,
            })
        })
        .await?;
    refresh_later(&app);
    Ok(created)
}

/// How often a key was verified over the last `days` days, a day each.
#[tauri::command]
pub async fn key_usage(
    state: State<'_, AppState>,
    id: String,
    days: u32,
) -> Result<Vec<keyward_core::UsageDay>> {
    state.run(move |s| s.key_usage(&id, days)).await
}

#[tauri::command]
pub async fn rename_key(state: State<'_, AppState>, id: String, name: String) -> Result<KeyView> {
    let edit = KeyEdit {
        name: Some(name),
        ..KeyEdit::default()
    };
    state.run(move |s| s.edit_key(&id, edit)).await
}

/// Changes a key's notes, tags, permissions, rate limit or "never delete for inactivity"
/// (and its name); what is left out stays.
#[tauri::command]
pub async fn edit_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    edit: KeyEdit,
) -> Result<KeyView> {
    let view = state.run(move |s| s.edit_key(&id, edit)).await?;
    refresh_later(&app);
    Ok(view)
}

#[tauri::command]
pub async fn regenerate_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    grace: String,
) -> Result<CreatedKey> {
    let created = state
        .run(move |s| s.regenerate_key(&id, parse_grace(&grace)?))
        .await?;
    refresh_later(&app);
    Ok(created)
}

#[tauri::command]
pub async fn set_key_disabled(
    state: State<'_, AppState>,
    id: String,
    disabled: bool,
) -> Result<KeyView> {
    state.run(move |s| s.set_key_disabled(&id, disabled)).await
}

#[tauri::command]
pub async fn keep_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Result<KeyView> {
    let view = state.run(move |s| s.keep_key(&id)).await?;
    refresh_later(&app);
    Ok(view)
}

/// A key in use is deleted only when `typed_name` is its name.
#[tauri::command]
pub async fn delete_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    typed_name: Option<String>,
) -> Result<DeletedKey> {
    let deleted = state
        .run(move |s| s.delete_key(&id, false, typed_name.as_deref()))
        .await?;
    refresh_later(&app);
    Ok(deleted)
}

/// Keys deleted in the last 30 days, newest first.
#[tauri::command]
pub async fn deleted_keys(state: State<'_, AppState>) -> Result<Vec<DeletedKeyView>> {
    state.run(|s| s.deleted_keys()).await
}

/// Brings a deleted key back with its tokens as they were.
#[tauri::command]
pub async fn restore_key<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Result<KeyView> {
    let view = state.run(move |s| s.restore_key(&id)).await?;
    refresh_later(&app);
    Ok(view)
}

/// Purges a deleted key for good.
#[tauri::command]
pub async fn purge_deleted_key(state: State<'_, AppState>, id: String) -> Result<DeletedKeyView> {
    state.run(move |s| s.purge_deleted_key(&id)).await
}

#[tauri::command]
pub async fn copy_key(state: State<'_, AppState>, id: String) -> Result<CopyReceipt> {
    let (secret, clear) = state
        .run(move |s| {
            Ok((
                s.reveal_key(&id, Disclosure::Copy)?,
                s.settings()?.clipboard_clear_seconds,
            ))
        })
        .await?;
    copy_and_clear_later(state.clipboard.clone(), secret, clear)?;
    Ok(CopyReceipt {
        clears_in_seconds: clear,
    })
}

#[tauri::command]
pub async fn copy_key_as_curl(state: State<'_, AppState>, id: String) -> Result<CopyReceipt> {
    let (command, clear) = state
        .run(move |s| {
            let settings = s.settings()?;
            let secret = s.reveal_key(&id, Disclosure::CopyAsCurl)?;
            let base = keyward_http::base_url(settings.local_api_port);
            let cmd = postman::curl_command(&base, &secret);
            Ok((
                keyward_core::Secret::from_text(cmd),
                settings.clipboard_clear_seconds,
            ))
        })
        .await?;
    copy_and_clear_later(state.clipboard.clone(), command, clear)?;
    Ok(CopyReceipt {
        clears_in_seconds: clear,
    })
}

/// Writes a Postman environment (baseUrl, apiKey) and the collection of the loopback
/// API's routes to the Downloads folder, private to the user, as the CLI does.
#[tauri::command]
pub async fn export_postman(state: State<'_, AppState>, id: String) -> Result<ExportReceipt> {
    let dir = dirs::download_dir()
        .or_else(dirs::home_dir)
        .ok_or_else(|| AppError::Io("no Downloads folder to write to".into()))?;
    let done = state
        .run_mapped(move |m, target| {
            let base = match target {
                crate::state::Target::Local(store) => {
                    keyward_http::base_url(store.settings()?.local_api_port)
                }
                crate::state::Target::Server(remote) => remote.url().to_owned(),
            };
            postman::export_from(m, base, &id, |name| {
                postman::ExportPaths::in_dir(&dir, name)
            })
        })
        .await?;
    Ok(ExportReceipt {
        path: done.paths.environment.display().to_string(),
        collection_path: done.paths.collection.display().to_string(),
    })
}
