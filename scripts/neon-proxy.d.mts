export declare function startNeonProxy(opts?: {
  port?: number;
  host?: string;
  log?: (m: string) => void;
  /** test only: answer POST /__control/{cut,pause,stall,resume,stats}?tag= (fault injection) */
  control?: boolean;
}): Promise<{ port: number; wsProxy: string; controlUrl: string | null; cutAll(): void; close(): Promise<void> }>;
