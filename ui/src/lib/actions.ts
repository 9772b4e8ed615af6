// Actions shared by the keys table and the key detail: each reports in a toast.
import { ipc, type KeyView } from "./ipc";
import { copiedText, shortDate } from "./rules";
import { toast, toastError } from "./state.svelte";

export async function copyKey(id: string): Promise<void> {
  try {
    toast(copiedText(await ipc.copyKey(id)));
  } catch (e) {
    toastError(e);
  }
}

export async function copyKeyAsCurl(id: string): Promise<void> {
  try {
    toast(copiedText(await ipc.copyKeyAsCurl(id), "cURL command copied"));
  } catch (e) {
    toastError(e);
  }
}

export async function exportPostman(id: string): Promise<string | null> {
  try {
    const { path, collection_path } = await ipc.exportPostman(id);
    toast(`Postman environment saved to ${path} and collection to ${collection_path}`, "info", 10000);
    return path;
  } catch (e) {
    toastError(e);
    return null;
  }
}

export async function copyToken(id: string): Promise<void> {
  try {
    toast(copiedText(await ipc.copyToken(id), "Token copied"));
  } catch (e) {
    toastError(e);
  }
}

/** Keep: the key counts as used now. The toast names the new deletion date. */
export async function keepKey(id: string, name: string): Promise<KeyView | null> {
  try {
    const view = await ipc.keepKey(id);
    toast(
      view.deletes_at
        ? `Kept “${name}” — it won't be deleted for inactivity before ${shortDate(view.deletes_at)}`
        : `Kept “${name}” — its inactivity clock starts again`,
    );
    return view;
  } catch (e) {
    toastError(e);
    return null;
  }
}

/** "Never delete for inactivity" on or off, at once; the toast says what follows. */
export async function setKeepAlways(key: Pick<KeyView, "id" | "name">, on: boolean): Promise<KeyView | null> {
  try {
    const view = await ipc.editKey(key.id, {
      name: null,
      notes: null,
      tags: null,
      permissions: null,
      rate: null,
      keep_always: on,
    });
    toast(
      on
        ? `“${key.name}” will never be deleted for inactivity`
        : view.deletes_at
          ? `“${key.name}” is deleted for inactivity again — on ${shortDate(view.deletes_at)} if unused until then`
          : `“${key.name}” is deleted for inactivity again, like other keys`,
    );
    return view;
  } catch (e) {
    toastError(e);
    return null;
  }
}

/** Disable an active key, enable a disabled one; the toast says which and what follows. */
export async function toggleDisabled(key: Pick<KeyView, "id" | "name" | "status">): Promise<KeyView | null> {
  try {
    const view = await ipc.setKeyDisabled(key.id, key.status !== "disabled");
    toast(
      view.status === "disabled"
        ? `Disabled “${key.name}” — it fails with DISABLED until enabled`
        : `Enabled “${key.name}”`,
    );
    return view;
  } catch (e) {
    toastError(e);
    return null;
  }
}
