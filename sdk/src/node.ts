// Node-only helpers (entry "@moltstack/sdk/node"): key files on disk with owner-only permissions.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type AgentKey, exportKey, generateKey, importKey, type StoredKey } from "./keys";

/** Writes the key as JSON with mode 0600 (and its directory 0700 when created). */
export async function saveKeyFile(
  path: string,
  key: AgentKey,
  extra: Parameters<typeof exportKey>[1] = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(exportKey(key, extra), null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file: tighten an existing one too
  await chmod(path, 0o600);
}

/** Reads a key file; refuses one that group or others can read (like ssh does). */
export async function loadKeyFile(
  path: string,
  o: { allowLoosePermissions?: boolean } = {},
): Promise<AgentKey & { stored: StoredKey }> {
  const { stat } = await import("node:fs/promises");
  const st = await stat(path);
  if (!o.allowLoosePermissions && process.platform !== "win32" && (st.mode & 0o077) !== 0) {
    throw new Error(`${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  const stored = JSON.parse(await readFile(path, "utf8")) as StoredKey;
  return { ...(await importKey(stored)), stored };
}

/** Loads the key at `path`, or generates and saves a new one. */
export async function loadOrCreateKeyFile(path: string): Promise<{ key: AgentKey; created: boolean }> {
  try {
    return { key: await loadKeyFile(path), created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    const key = await generateKey();
    await saveKeyFile(path, key);
    return { key, created: true };
  }
}
