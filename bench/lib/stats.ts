// Small statistics for the benchmark programs: percentiles over pooled samples.
export interface Summary {
  p50: number;
  p99: number;
  n: number;
}

export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function summarize(samples: number[]): Summary {
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), n: samples.length };
}

export function median(values: number[]): number {
  return percentile(values, 0.5);
}
