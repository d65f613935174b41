// Types of stack.mjs, for the TypeScript end-to-end suites (sdk/e2e).
export const root: string;
export const CHROMIUM: string;
export const CHROMIUM_ARGS: string[];
export function findChromium(): string | null;
/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number>;

export interface Stack {
  base: string;
  /** the stack's Postgres port (null when reusing MOLTSTACK_URL) */
  pgPort: number | null;
  stop(): Promise<void>;
  /** the stack's output so far */
  log(): string;
  /** seconds from spawn to healthy (0 when reusing MOLTSTACK_URL) */
  startupSeconds: number;
}

export function startStack(opts?: { ui?: boolean; reuse?: boolean; env?: Record<string, string> }): Promise<Stack>;
