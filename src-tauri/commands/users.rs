//! Site managers & access, and locations.

use keyward_core::{ClearReport, Impact, LocationView, NewUser, UserEdit, UserView};
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

#[tauri::command]
pub async fn list_users(state: State<'_, AppState>) -> Result<Vec<UserView>> {
    state.run(|s| s.list_users()).await
}

#[tauri::command]
pub async fn add_user(
    state: State<'_, AppState>,
    name: String,
    email: String,
    admin: bool,
) -> Result<UserView> {
    state
        .run(move |s| s.add_user(NewUser { name, email, admin }))
        .await
}

#[tauri::command]
pub async fn edit_user(
    state: State<'_, AppState>,
    id: String,
    name: Option<String>,
    email: Option<String>,
) -> Result<UserView> {
    state
        .run(move |s| s.edit_user(&id, UserEdit { name, email }))
        .await
}

#[tauri::command]
pub async fn set_user_active(
    state: State<'_, AppState>,
    id: String,
    active: bool,
) -> Result<UserView> {
    state.run(move |s| s.set_user_active(&id, active)).await
}

#[tauri::command]
pub async fn set_api_access(state: State<'_, AppState>, id: String, on: bool) -> Result<UserView> {
    state.run(move |s| s.set_api_access(&id, on)).await
}

/// What turning a site manager's access off, deactivating them or clearing their keys
/// would stop: the confirmation names it.
#[tauri::command]
pub async fn user_impact(state: State<'_, AppState>, id: String) -> Result<Impact> {
    state.run(move |s| s.user_impact(&id)).await
}

#[tauri::command]
pub async fn clear_user_keys(state: State<'_, AppState>, id: String) -> Result<ClearReport> {
    state.run(move |s| s.clear_user_keys(&id)).await
}

#[tauri::command]
pub async fn list_locations(state: State<'_, AppState>) -> Result<Vec<LocationView>> {
    state.run(|s| s.list_locations()).await
}

#[tauri::command]
pub async fn add_location(state: State<'_, AppState>, name: String) -> Result<LocationView> {
    state.run(move |s| s.add_location(&name)).await
}

#[tauri::command]
pub async fn rename_location(
    state: State<'_, AppState>,
    id: String,
    name: String,
) -> Result<LocationView> {
    state.run(move |s| s.rename_location(&id, &name)).await
}
