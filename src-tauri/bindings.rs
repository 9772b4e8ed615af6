//! The TypeScript declarations of every type that crosses IPC, generated from the Rust
//! types. `ui/src/lib/bindings.ts` is this text, committed; a test fails on drift.

use ts_rs::{Config, TS};

use crate::commands::archive::BackupReceipt;
use crate::commands::connection::ConnectionView;
use crate::commands::keys::{CopyReceipt, ExportReceipt, KeyPolicyInput, KeyQuery};
use crate::commands::lifecycle::AuditQuery;
use crate::commands::settings::AppStatus;
use crate::commands::webhooks::NewWebhookInput;
use crate::local_api::LocalApiStatus;
use keyward_core::archive::{ArchiveSummary, Progress};
use keyward_core::keys::KeyStatus;
use keyward_core::lifecycle::{
    DeletionNotice, DueKey, DueToken, LifecycleReport, ReminderKind, ReminderNotice,
};
use keyward_core::settings::Range;
use keyward_core::tokens::TokenStatus;
use keyward_core::users::{OwnerView, Role};
use keyward_core::view::rules::Rules;
use keyward_core::webhooks::{DeliveryOutcome, WebhookState};
use keyward_core::{
    AuditView, ClearReport, CreatedKey, CreatedManagementToken, CreatedToken, CreatedWebhook,
    DeletedKey, DeletedKeyView, DeliveryView, ExpiringSoon, Impact, KeyDetail, KeyEdit, KeyPage,
    KeySort, KeyView, LocationView, ManagementTokenView, ScopeView, Session, Settings, SortColumn,
    SortDir, TokenView, UserView, WebhookView,
};

pub fn typescript() -> String {
    let cfg = Config::default();
    let decls = [
        Role::decl(&cfg),
        KeyStatus::decl(&cfg),
        TokenStatus::decl(&cfg),
        WebhookState::decl(&cfg),
        DeliveryOutcome::decl(&cfg),
        Range::decl(&cfg),
        Rules::decl(&cfg),
        OwnerView::decl(&cfg),
        UserView::decl(&cfg),
        ClearReport::decl(&cfg),
        Impact::decl(&cfg),
        LocationView::decl(&cfg),
        ScopeView::decl(&cfg),
        KeyView::decl(&cfg),
        SortColumn::decl(&cfg),
        SortDir::decl(&cfg),
        KeySort::decl(&cfg),
        KeyPage::decl(&cfg),
        CreatedKey::decl(&cfg),
        DeletedKey::decl(&cfg),
        DeletedKeyView::decl(&cfg),
        KeyDetail::decl(&cfg),
        TokenView::decl(&cfg),
        CreatedToken::decl(&cfg),
        AuditView::decl(&cfg),
        Settings::decl(&cfg),
        keyward_core::mail::TestEmail::decl(&cfg),
        ReminderKind::decl(&cfg),
        ReminderNotice::decl(&cfg),
        DeletionNotice::decl(&cfg),
        LifecycleReport::decl(&cfg),
        DueKey::decl(&cfg),
        DueToken::decl(&cfg),
        ExpiringSoon::decl(&cfg),
        KeyQuery::decl(&cfg),
        KeyPolicyInput::decl(&cfg),
        KeyEdit::decl(&cfg),
        keyward_core::UsageDay::decl(&cfg),
        AuditQuery::decl(&cfg),
        CopyReceipt::decl(&cfg),
        ExportReceipt::decl(&cfg),
        ArchiveSummary::decl(&cfg),
        BackupReceipt::decl(&cfg),
        Progress::decl(&cfg),
        LocalApiStatus::decl(&cfg),
        AppStatus::decl(&cfg),
        WebhookView::decl(&cfg),
        CreatedWebhook::decl(&cfg),
        DeliveryView::decl(&cfg),
        NewWebhookInput::decl(&cfg),
        ManagementTokenView::decl(&cfg),
        CreatedManagementToken::decl(&cfg),
        Session::decl(&cfg),
        ConnectionView::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by `make bindings` (src-tauri/bindings.rs).\n\
         // Do not edit: a test fails when this file and the Rust types disagree.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "/** The limits forms hint at as the user types; Rust decides on save. */\n\
         export const RULES: Rules = {};\n\n",
        serde_json::to_string_pretty(&Rules::current()).unwrap_or_default()
    ));
    let commands: Vec<String> = crate::commands::names::ALL
        .iter()
        .map(|c| format!("\n  \"{c}\","))
        .collect();
    out.push_str(&format!(
        "/** Every IPC command, as src-tauri/commands/list.rs declares them. */\n\
         export const COMMANDS = [{}\n] as const;\n\n\
         export type Command = (typeof COMMANDS)[number];\n\n",
        commands.concat()
    ));
    let codes: Vec<String> = keyward_core::error::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(keyward_http::error::ERROR_CODES)
        .chain(crate::error::APP_ERROR_CODES)
        // What the UI reports when a call fails without an answer from Rust.
        .chain(["INTERNAL"])
        .map(|c| format!("\"{c}\""))
        .collect();
    out.push_str(&format!(
        "/** Every code an IPC error can carry. */\nexport type ErrorCode = {};\n\n",
        codes.join(" | ")
    ));
    out.push_str(
        "/** Every IPC error: branch on `code`, show `message`; `field` names the form input an\n \
         * INVALID_INPUT error is about. */\n\
         export type IpcError = { code: ErrorCode; message: string; field?: string };\n",
    );
    out
}
