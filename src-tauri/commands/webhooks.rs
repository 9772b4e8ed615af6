//! Webhooks: subscriptions per site manager, test events and the delivery log. The
//! signing secret reaches the web view once, in the answer to `add_webhook`; after that
//! "Copy signing secret" puts it on the clipboard from Rust.

use serde::Deserialize;
use tauri::State;

use keyward_core::{CreatedWebhook, DeliveryView, NewWebhook, WebhookView};

use crate::clipboard::copy_and_clear_later;
use crate::commands::keys::CopyReceipt;
use crate::error::Result;
use crate::state::AppState;

/// Delivery log lines sent when the UI does not say how many; the core keeps 100.
const DELIVERIES_SHOWN: u32 = 50;

/// A new subscription, as the Add webhook dialog sends it.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct NewWebhookInput {
    /// The site manager's id or email.
    pub user: String,
    pub url: String,
    pub entity: String,
    pub operation: String,
    /// Lets the URL point at loopback or a private network.
    pub allow_private: bool,
}

#[tauri::command]
pub async fn list_webhooks(
    state: State<'_, AppState>,
    user: Option<String>,
) -> Result<Vec<WebhookView>> {
    state.run(move |s| s.list_webhooks(user.as_deref())).await
}

#[tauri::command]
pub async fn add_webhook(
    state: State<'_, AppState>,
    input: NewWebhookInput,
) -> Result<CreatedWebhook> {
    state
        .run(move |s| {
            s.add_webhook(NewWebhook {
                user: input.user,
                url: input.url,
                entity: input.entity,
                operation: input.operation,
                allow_private: input.allow_private,
            })
        })
        .await
}

#[tauri::command]
pub async fn set_webhook_active(
    state: State<'_, AppState>,
    id: String,
    on: bool,
) -> Result<WebhookView> {
    state.run(move |s| s.set_webhook_active(&id, on)).await
}

#[tauri::command]
pub async fn remove_webhook(state: State<'_, AppState>, id: String) -> Result<WebhookView> {
    state.run(move |s| s.remove_webhook(&id)).await
}

#[tauri::command]
pub async fn test_webhook(state: State<'_, AppState>, id: String) -> Result<WebhookView> {
    state.run(move |s| s.test_webhook(&id)).await
}

#[tauri::command]
pub async fn webhook_deliveries(
    state: State<'_, AppState>,
    id: String,
    limit: Option<u32>,
) -> Result<Vec<DeliveryView>> {
    let limit = limit.unwrap_or(DELIVERIES_SHOWN).max(1) as usize;
    state.run(move |s| s.webhook_deliveries(&id, limit)).await
}

/// The explicit reveal of a signing secret: onto the clipboard, audited, never returned.
#[tauri::command]
pub async fn copy_webhook_secret(state: State<'_, AppState>, id: String) -> Result<CopyReceipt> {
    let (secret, clear) = state
        .run(move |s| {
            Ok((
                s.reveal_webhook_secret(&id)?,
                s.settings()?.clipboard_clear_seconds,
            ))
        })
        .await?;
    // Moves the text into a `Secret` (which zeroizes on drop) without another copy.
    copy_and_clear_later(state.clipboard.clone(), secret, clear)?;
    Ok(CopyReceipt {
        clears_in_seconds: clear,
    })
}
