/** Operations per second: warm up, then run for about `seconds` and divide. */
export function rate(op: () => void, seconds = 2): number {
  for (let i = 0; i < 50; i++) op();
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) op();
    n += 20;
  }
  return round((n * 1000) / (performance.now() - start));
}

export async function rateAsync(op: () => Promise<unknown>, seconds = 2): Promise<number> {
  for (let i = 0; i < 20; i++) await op();
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await op();
    n++;
  }
  return round((n * 1000) / (performance.now() - start));
}

export function round(x: number): number {
  return Math.round(x * 100) / 100;
}
