//! The IPC commands: each takes `State`, calls the core on the blocking pool, maps the
//! error. One file per screen.

pub mod keys;
pub mod lifecycle;
pub mod names;
pub mod settings;
pub mod tokens;
pub mod users;
pub mod webhooks;

use tauri::ipc::Invoke;
use tauri::Runtime;

pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        settings::app_status,
        settings::key_list_shown,
        users::list_users,
        users::add_user,
        users::edit_user,
        users::set_user_active,
        users::set_api_access,
        users::clear_user_keys,
        users::list_locations,
        users::add_location,
        users::rename_location,
        keys::list_keys,
        keys::get_key,
        keys::create_key,
        keys::rename_key,
        keys::regenerate_key,
        keys::set_key_disabled,
        keys::keep_key,
        keys::delete_key,
        keys::copy_key,
        keys::copy_key_as_curl,
        keys::export_postman,
        tokens::create_token,
        tokens::copy_token,
        tokens::list_tokens,
        tokens::revoke_token,
        lifecycle::list_audit,
        settings::get_settings,
        settings::update_settings,
        lifecycle::expiring_soon,
        lifecycle::recent_reminders,
        lifecycle::run_lifecycle,
        webhooks::list_webhooks,
        webhooks::add_webhook,
        webhooks::set_webhook_active,
        webhooks::remove_webhook,
        webhooks::test_webhook,
        webhooks::webhook_deliveries,
        webhooks::copy_webhook_secret,
    ]
}
