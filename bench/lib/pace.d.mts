export declare function interleaved<T>(
  items: readonly T[],
  window: number,
  perItem: number,
  sendOne: (item: T) => Promise<void>,
): Promise<void>;
