export interface BenchRow {
  part: string;
  target: string;
  what: string;
  runs?: number;
  range?: Record<string, [number, number]>;
  errors?: Record<string, unknown>;
  [k: string]: unknown;
}
export declare const median: (xs: readonly number[]) => number;
export declare const HEADLINE: Record<string, (r: BenchRow) => [number, boolean, string]>;
export declare const GOALS: Record<string, { text: string; ok: (r: BenchRow) => boolean }>;
export declare function aggregate(runs: readonly (readonly BenchRow[])[]): BenchRow[];
export declare function headlineCell(r: BenchRow): string;
export declare function goalVerdict(r: BenchRow): string;
