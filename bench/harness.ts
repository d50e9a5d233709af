// A tiny benchmark harness: run a function in timed batches after a warm-up, report the median
// rate, and always print figures relative to a reference measured in the same run (absolute
// numbers depend on the machine; ratios much less so).
import { performance } from 'node:perf_hooks';

export interface Measurement {
  name: string;
  opsPerSec: number;
}

export function measure(name: string, fn: () => unknown, { batches = 15, minBatchMs = 100 } = {}): Measurement {
  let n = 1;
  // Warm up and size a batch so that it lasts at least minBatchMs.
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    if (performance.now() - t0 >= minBatchMs) break;
    n *= 2;
  }
  const rates: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    rates.push((n * 1000) / (performance.now() - t0));
  }
  rates.sort((a, b) => a - b);
  return { name, opsPerSec: rates[Math.floor(rates.length / 2)]! };
}

/** Like measure(), for async work: `fn` runs one round of `ops` operations; the median rate wins. */
export async function measureAsync(name: string, ops: number, fn: () => Promise<unknown>, { rounds = 7, warmup = 1 } = {}): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await fn();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await fn();
    rates.push((ops * 1000) / (performance.now() - t0));
  }
  rates.sort((a, b) => a - b);
  return { name, opsPerSec: rates[Math.floor(rates.length / 2)]! };
}

export function report(title: string, reference: Measurement, others: Measurement[]): void {
  console.log(`\n${title}`);
  const fmt = (m: Measurement) => `${m.name.padEnd(44)} ${Math.round(m.opsPerSec).toLocaleString('en').padStart(12)} ops/s`;
  console.log(`  ${fmt(reference)}   (reference)`);
  for (const m of others) console.log(`  ${fmt(m)}   ×${(m.opsPerSec / reference.opsPerSec).toFixed(2)} of reference`);
}
