export declare function startNeonProxy(opts?: {
  port?: number;
  host?: string;
  log?: (m: string) => void;
}): Promise<{ port: number; wsProxy: string; cutAll(): void; close(): Promise<void> }>;
