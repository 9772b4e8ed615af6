//! Preferences › Connection (this computer or a team server), Preferences › Access tokens
//! (management tokens), and who owns this computer's store.

use std::sync::Arc;

use keyward_core::{
    CreatedManagementToken, Manage, ManagementTokenView, NewUser, OwnerQuestion, Session, UserView,
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::connection;
use crate::error::{AppError, Result};
use crate::state::AppState;

/// Which store the window shows, and as whom.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ConnectionView {
    /// The team server's address; `null` for this computer's store.
    pub server: Option<String>,
    /// "This computer", or the server's host: what the window title says.
    pub label: String,
    /// Who acts, with which role; `null` when the store cannot be reached.
    pub session: Option<Session>,
    /// Why the store cannot be reached, if it cannot.
    pub problem: Option<String>,
    /// This computer's store is new and does not know who owns it: the app asks before
    /// anything else.
    pub owner_needed: bool,
    /// This computer's store has site managers but was never told which one sits here:
    /// the app asks once, and "Not now" is an answer.
    pub owner_unknown: bool,
}

async fn view(state: &AppState) -> ConnectionView {
    let server = state.server();
    let label = connection::label(server.as_deref());
    let question = match (&server, state.store()) {
        (None, Ok(s)) => s.owner_question().unwrap_or(OwnerQuestion::Answered),
        _ => OwnerQuestion::Answered,
    };
    let (session, problem) = match state.run(|m| m.session()).await {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e.to_string())),
    };
    ConnectionView {
        server: server.map(|r| r.url().to_owned()),
        label,
        session,
        problem,
        owner_needed: question == OwnerQuestion::Required,
        owner_unknown: question == OwnerQuestion::Once,
    }
}

/// Puts the store's name in the window title, refreshes the tray and tells the screens.
fn switched<R: Runtime>(app: &AppHandle<R>, label: &str) {
    if let Some(w) = app.get_webview_window(crate::window::MAIN) {
        let _ = w.set_title(&connection::title(label));
    }
    crate::tray::refresh_later(app);
    let _ = app.emit("connection", ());
}

#[tauri::command]
pub async fn connection_status(state: State<'_, AppState>) -> Result<ConnectionView> {
    Ok(view(&state).await)
}

/// Connects the window to a team server: the address and token are checked by asking
/// the server who the token is, then remembered (the token in the OS keychain).
#[tauri::command]
pub async fn connect_server<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    url: String,
    token: String,
) -> Result<ConnectionView> {
    let token = keyward_core::Secret::from_text(token.trim().to_owned());
    if token.kind() != Some(keyward_core::SecretKind::Management) {
        return Err(AppError::Core(keyward_core::Error::invalid_field(
            "token",
            "that is not a management token — it starts with kwm_ (an admin creates one under Preferences › Access tokens, or with keyward manage-tokens create)",
        )));
    }
    let dir = state.data_dir.clone();
    let use_keychain = state.use_keychain;
    // The client is made, tried and (on failure) dropped off the async workers.
    let remote = blocking(move || -> Result<Arc<keyward_client::Remote>> {
        let remote = connection::client(url.trim(), token.clone())?;
        remote.session()?;
        connection::save(&dir, remote.url(), &token, use_keychain)
            .map_err(|e| AppError::Io(format!("the connection could not be saved: {e}")))?;
        Ok(Arc::new(remote))
    })
    .await??;
    state.set_server(Some(remote));
    lock_reminders(&state);
    let v = view(&state).await;
    switched(&app, &v.label);
    Ok(v)
}

/// Shows this computer's store again and forgets the server's token.
#[tauri::command]
pub async fn use_this_computer<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<ConnectionView> {
    connection::forget(&state.data_dir, state.use_keychain);
    state.set_server(None);
    lock_reminders(&state);
    let v = view(&state).await;
    switched(&app, &v.label);
    Ok(v)
}

/// Runs `f` on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Io(format!("a background task failed: {e}")))
}

/// A new store is reminded of from scratch.
fn lock_reminders(state: &AppState) {
    crate::state::lock(&state.server_reminded).clear();
}

/// "Who are you?": makes the person the first admin of this computer's store (or, when
/// they already are an admin there, its owner); local changes are audited as theirs.
#[tauri::command]
pub async fn claim_ownership(
    state: State<'_, AppState>,
    name: String,
    email: String,
) -> Result<UserView> {
    state
        .run_local(move |s| {
            s.claim_ownership(NewUser {
                name,
                email,
                admin: true,
            })
        })
        .await
}

/// "Not now": this computer's store is not asked again who owns it.
#[tauri::command]
pub async fn decline_ownership(state: State<'_, AppState>) -> Result<()> {
    state.run_local(|s| s.decline_ownership()).await
}

#[tauri::command]
pub async fn list_management_tokens(
    state: State<'_, AppState>,
    user: Option<String>,
) -> Result<Vec<ManagementTokenView>> {
    state
        .run(move |m| m.list_management_tokens(user.as_deref()))
        .await
}

/// A new management token, shown once. `expires`: `12h`, `30d`, … or `never`.
#[tauri::command]
pub async fn create_management_token(
    state: State<'_, AppState>,
    user: String,
    name: Option<String>,
    expires: String,
) -> Result<CreatedManagementToken> {
    let lifetime = keyward_core::management::parse_lifetime(&expires)?;
    state
        .run(move |m| m.create_management_token(&user, name.as_deref(), lifetime))
        .await
}

#[tauri::command]
pub async fn revoke_management_token(
    state: State<'_, AppState>,
    id: String,
) -> Result<ManagementTokenView> {
    state.run(move |m| m.revoke_management_token(&id)).await
}
