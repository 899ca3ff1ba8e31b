/**
 * Vitest global setup: the PC/SC tests run through a real pcscd with the vpcd driver.
 * With CI=true a missing pcscd or vpcd reader fails the run; otherwise those tests are skipped
 * with the reason printed.
 */

import type { TestProject } from 'vitest/node';
import { ensurePcscd, PcscStatus, releasePcscd } from './helpers/pcscd.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  let status: PcscStatus;
  try {
    status = await ensurePcscd();
  } catch (e) {
    status = Object.freeze({ available: false, reason: e instanceof Error ? e.message : String(e), readers: [] });
  }
  if (!status.available) {
    if (ci) {
      await releasePcscd();
      throw new Error(`CI=true and the PC/SC stack is not usable: ${status.reason}`);
    }
    console.warn(`PC/SC stack not usable, PC/SC tests will be skipped: ${status.reason}`);
  }
  project.provide('pcsc', status);
  return releasePcscd;
}
