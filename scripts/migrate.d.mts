export declare const MIGRATIONS_DIR: string;
export declare function listMigrations(dir?: string): string[];
export declare function migrate(
  databaseUrl: string,
  opts?: { appPassword?: string; log?: (m: string) => void; dir?: string },
): Promise<string[]>;
