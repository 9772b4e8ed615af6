// The one door between the UI and Rust: every command, typed with the generated
// bindings. UI tests swap the transport with @tauri-apps/api/mocks' mockIPC.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AppStatus,
  AuditQuery,
  AuditView,
  ClearReport,
  ConnectionView,
  CopyReceipt,
  CreatedKey,
  CreatedManagementToken,
  CreatedToken,
  CreatedWebhook,
  DeletedKey,
  DeletedKeyView,
  DeliveryView,
  ExpiringSoon,
  ExportReceipt,
  ArchiveSummary,
  BackupReceipt,
  Progress,
  Command,
  ErrorCode,
  Impact,
  IpcError,
  KeyDetail,
  KeyEdit,
  KeyPage,
  KeyPolicyInput,
  KeyQuery,
  KeySort,
  KeyView,
  LifecycleReport,
  LocationView,
  ManagementTokenView,
  NewWebhookInput,
  ReminderNotice,
  Settings,
  TestEmail,
  TokenView,
  UsageDay,
  UserView,
  WebhookView,
} from "./bindings";

export type * from "./bindings";
export { COMMANDS, RULES } from "./bindings";

/** No filter: every key. */
export const ALL_KEYS: KeyQuery = { owner: null, status: null, search: null, scope: null };
/** The keys list's default order. */
export const NEWEST_FIRST: KeySort = { column: "created", dir: "desc" };

/** Lifetimes offered for a management token ("12h", "30d", … or "never"; Rust parses them). */
export type TokenLifetime = `${number}h` | `${number}d` | "never";

/** Grace periods offered when regenerating a key. */
export type Grace = "0" | "1h" | "24h" | "7d";

/** Turns whatever a rejected invoke carried into `{code, message, field?}`. */
export function toIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const err = e as IpcError;
    const out: IpcError = { code: String(err.code) as ErrorCode, message: String(err.message) };
    if (typeof err.field === "string") out.field = err.field;
    return out;
  }
  return { code: "INTERNAL", message: String(e) };
}

async function call<T>(cmd: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toIpcError(e);
  }
}

export const ipc = {
  appStatus: () => call<AppStatus>("app_status"),

  /** The first rows of the key list are on screen (logged with the time since start). */
  keyListShown: () => call<null>("key_list_shown"),
  listUsers: () => call<UserView[]>("list_users"),
  addUser: (name: string, email: string, admin: boolean) =>
    call<UserView>("add_user", { name, email, admin }),
  editUser: (id: string, name: string | null, email: string | null) =>
    call<UserView>("edit_user", { id, name, email }),
  setUserActive: (id: string, active: boolean) => call<UserView>("set_user_active", { id, active }),
  setApiAccess: (id: string, on: boolean) => call<UserView>("set_api_access", { id, on }),
  /** What access off, deactivating or clearing keys would stop: a confirmation names it. */
  userImpact: (id: string) => call<Impact>("user_impact", { id }),
  clearUserKeys: (id: string) => call<ClearReport>("clear_user_keys", { id }),

  listLocations: () => call<LocationView[]>("list_locations"),
  addLocation: (name: string) => call<LocationView>("add_location", { name }),
  renameLocation: (id: string, name: string) => call<LocationView>("rename_location", { id, name }),

  /** Rows `offset..offset + limit` of the keys matching `query`, sorted by `sort`. */
  listKeys: (query: KeyQuery = ALL_KEYS, sort: KeySort = NEWEST_FIRST, offset = 0, limit = 100) =>
    call<KeyPage>("list_keys", { query, sort, offset, limit }),
  getKey: (id: string) => call<KeyDetail>("get_key", { id }),
  /** `policy` null: the defaults (never expires, everything, no limit, no notes or tags). */
  createKey: (owner: string, name: string, location: string | null, policy: KeyPolicyInput | null = null) =>
    call<CreatedKey>("create_key", { owner, name, location, policy }),
  renameKey: (id: string, name: string) => call<KeyView>("rename_key", { id, name }),
  /** Changes what `edit` holds; each null field stays as it is. */
  editKey: (id: string, edit: KeyEdit) => call<KeyView>("edit_key", { id, edit }),
  keyUsage: (id: string, days = 30) => call<UsageDay[]>("key_usage", { id, days }),
  regenerateKey: (id: string, grace: Grace) => call<CreatedKey>("regenerate_key", { id, grace }),
  setKeyDisabled: (id: string, disabled: boolean) =>
    call<KeyView>("set_key_disabled", { id, disabled }),
  keepKey: (id: string) => call<KeyView>("keep_key", { id }),
  deleteKey: (id: string, typedName: string | null) =>
    call<DeletedKey>("delete_key", { id, typedName }),
  deletedKeys: () => call<DeletedKeyView[]>("deleted_keys"),
  restoreKey: (id: string) => call<KeyView>("restore_key", { id }),
  purgeDeletedKey: (id: string) => call<DeletedKeyView>("purge_deleted_key", { id }),
  copyKey: (id: string) => call<CopyReceipt>("copy_key", { id }),
  copyKeyAsCurl: (id: string) => call<CopyReceipt>("copy_key_as_curl", { id }),
  exportPostman: (id: string) => call<ExportReceipt>("export_postman", { id }),

  createToken: (keyId: string) => call<CreatedToken>("create_token", { keyId }),
  copyToken: (id: string) => call<CopyReceipt>("copy_token", { id }),
  listTokens: (keyId: string | null) => call<TokenView[]>("list_tokens", { keyId }),
  revokeToken: (id: string) => call<TokenView>("revoke_token", { id }),

  listAudit: (query: AuditQuery) => call<AuditView[]>("list_audit", { query }),
  copyId: (id: string) => call<null>("copy_id", { id }),

  getSettings: () => call<Settings>("get_settings"),
  updateSettings: (settings: Settings) => call<Settings>("update_settings", { settings }),
  sendTestEmail: (to: string) => call<TestEmail>("send_test_email", { to }),

  expiringSoon: () => call<ExpiringSoon>("expiring_soon"),
  recentReminders: () => call<ReminderNotice[]>("recent_reminders"),
  runLifecycle: () => call<void>("run_lifecycle"),

  /** Every subscription, or one site manager's (id or email). */
  listWebhooks: (user: string | null = null) => call<WebhookView[]>("list_webhooks", { user }),
  /** The answer carries the signing secret, this once. */
  addWebhook: (input: NewWebhookInput) => call<CreatedWebhook>("add_webhook", { input }),
  setWebhookActive: (id: string, on: boolean) => call<WebhookView>("set_webhook_active", { id, on }),
  removeWebhook: (id: string) => call<WebhookView>("remove_webhook", { id }),
  testWebhook: (id: string) => call<WebhookView>("test_webhook", { id }),
  /** Newest first; Rust sends 50 when `limit` is null. */
  webhookDeliveries: (id: string, limit: number | null = null) =>
    call<DeliveryView[]>("webhook_deliveries", { id, limit }),
  /** Rust puts the signing secret on the clipboard; the answer never carries it. */
  copyWebhookSecret: (id: string) => call<CopyReceipt>("copy_webhook_secret", { id }),
  /** The whole store, encrypted with the passphrase, into the Downloads folder. */
  backUpStore: (passphrase: string) => call<BackupReceipt>("back_up_store", { passphrase }),
  /** An archive's bytes into this (empty) store; `events.onRestoreProgress` reports. */
  restoreStore: (archive: Uint8Array, passphrase: string) =>
    call<ArchiveSummary>("restore_store", { archive: Array.from(archive), passphrase }),

  /** Which store the window shows (this computer or a team server), and as whom. */
  connectionStatus: () => call<ConnectionView>("connection_status"),
  /** Checks the address and management token with the server, then remembers them. */
  connectServer: (url: string, token: string) => call<ConnectionView>("connect_server", { url, token }),
  /** Back to this computer's store; the server's token is forgotten. */
  useThisComputer: () => call<ConnectionView>("use_this_computer"),
  /** "Who are you?": the person becomes this computer's store's owner and first admin. */
  claimOwnership: (name: string, email: string) => call<UserView>("claim_ownership", { name, email }),
  declineOwnership: () => call<null>("decline_ownership"),
  /** Every management token, or one site manager's (id or email). */
  listManagementTokens: (user: string | null = null) =>
    call<ManagementTokenView[]>("list_management_tokens", { user }),
  /** The answer carries the token, this once; a blank name lets Rust choose one. */
  createManagementToken: (user: string, name: string | null, expires: TokenLifetime) =>
    call<CreatedManagementToken>("create_management_token", { user, name, expires }),
  revokeManagementToken: (id: string) => call<ManagementTokenView>("revoke_management_token", { id }),
};

/** Events Rust sends: a lifecycle pass finished; the tray asked to open a key; webhook
 * deliveries were attempted; the window now shows another store. */
export const events = {
  onWebhooks: (f: () => void): Promise<UnlistenFn> => listen("webhooks", () => f()),
  onLifecycle: (f: (r: LifecycleReport) => void): Promise<UnlistenFn> =>
    listen<LifecycleReport>("lifecycle", (e) => f(e.payload)),
  onOpenKey: (f: (keyId: string) => void): Promise<UnlistenFn> =>
    listen<string>("open-key", (e) => f(e.payload)),
  onRestoreProgress: (f: (p: Progress) => void): Promise<UnlistenFn> =>
    listen<Progress>("restore-progress", (e) => f(e.payload)),
  onConnection: (f: () => void): Promise<UnlistenFn> => listen("connection", () => f()),
};
