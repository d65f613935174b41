export declare const SUPERUSER: { user: string; password: string };
export declare function startPostgres(opts: {
  dir: string;
  port: number;
  database?: string;
  persistent?: boolean;
  fast?: boolean;
}): Promise<{ port: number; ownerUrl: string; appUrl(password: string): string; stop(): Promise<void> }>;
