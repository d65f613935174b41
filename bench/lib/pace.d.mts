export declare function interleaved<T>(
  items: readonly T[],
  window: number,
  perItem: number,
  sendOne: (item: T) => Promise<void>,
): Promise<void>;
export declare function requestsPerAgent(o: {
  rate: number;
  seconds: number;
  warmup?: number;
  budget?: number;
}): number;
