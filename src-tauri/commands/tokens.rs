//! Tokens of a key. A new token is shown once; "Copy" works for it while this session
//! remembers it.

use keyward_core::{CreatedToken, TokenView};
use tauri::State;

use crate::clipboard::copy_and_clear_later;
use crate::commands::keys::CopyReceipt;
use crate::error::{AppError, Result};
use crate::state::{lock, AppState};

#[tauri::command]
pub async fn create_token(state: State<'_, AppState>, key_id: String) -> Result<CreatedToken> {
    let created = state.run(move |s| s.create_token(&key_id)).await?;
    lock(&state.fresh_tokens).insert(created.id.clone(), created.token.0.clone());
    Ok(created)
}

#[tauri::command]
pub async fn copy_token(state: State<'_, AppState>, id: String) -> Result<CopyReceipt> {
    let token = lock(&state.fresh_tokens).get(&id).cloned().ok_or_else(|| {
        AppError::Core(keyward_core::Error::invalid(
            "tokens are shown only once: this one can no longer be copied — generate a new one",
        ))
    })?;
    let clear = state.run(|s| s.settings()).await?.clipboard_clear_seconds;
    copy_and_clear_later(state.clipboard.clone(), token, clear)?;
    Ok(CopyReceipt {
        clears_in_seconds: clear,
    })
}

#[tauri::command]
pub async fn list_tokens(
    state: State<'_, AppState>,
    key_id: Option<String>,
) -> Result<Vec<TokenView>> {
    state.run(move |s| s.list_tokens(key_id.as_deref())).await
}

#[tauri::command]
pub async fn revoke_token(state: State<'_, AppState>, id: String) -> Result<TokenView> {
    lock(&state.fresh_tokens).remove(&id);
    state.run(move |s| s.revoke_token(&id)).await
}
