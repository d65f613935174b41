export interface BenchRow {
  part: string;
  target: string;
  what: string;
  runs?: number;
  range?: Record<string, [number, number]>;
  errors?: Record<string, unknown>;
  [k: string]: unknown;
}
export interface Goal {
  target?: string;
  text: string;
  value: (r: BenchRow) => number;
  ok: (v: number) => boolean;
}
export declare const median: (xs: readonly number[]) => number;
export declare const HEADLINE: Record<string, (r: BenchRow) => [number, boolean, string]>;
export declare const KEEPS_UP: number;
export declare const GOALS: Record<string, Goal[]>;
export declare function derive(r: BenchRow): BenchRow;
export declare function goalsOf(r: BenchRow): Goal[];
export declare function goalsText(): string;
export declare function sameRunVs(r: BenchRow): string;
export declare function aggregate(runs: readonly (readonly BenchRow[])[]): BenchRow[];
export declare function headlineCell(r: BenchRow): string;
export declare function goalVerdict(r: BenchRow): string;
