/**
 * The benchmark's smoke mode: the smallest case, 2 iterations, 1 repeat, with
 * whichever peers are installed. Checks that it produces result rows with
 * finite numbers; no timing assertions.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs, runBench } from '../bench/run.js';

describe('bench --smoke', () => {
  it('produces a result row per covariance type with finite numbers', async () => {
    const lines: string[] = [];
    const options = parseArgs(['--smoke', '--no-write'], (line) => lines.push(line));
    expect(options.cases.map((c) => c.id)).toEqual(['n1e3-d2-k3']);
    expect(options.iterations).toBe(2);
    expect(options.repeats).toBe(1);
    expect(options.write).toBe(false);

    const result = await runBench(options);
    expect(result.rows.map((r) => r.covariance)).toEqual(['full', 'diag']);
    for (const row of result.rows) {
      expect(row.case).toBe('n1e3-d2-k3');
      expect(Number.isFinite(row.trueLogLikelihood)).toBe(true);
      const mixem = row.tools.find((t) => t.tool === 'mixem');
      expect(mixem).toBeDefined();
      expect(mixem!.iterations).toBe(2);
      for (const value of [mixem!.iterationSeconds, mixem!.seconds, mixem!.logLikelihood]) {
        expect(typeof value === 'number' && Number.isFinite(value)).toBe(true);
      }
      expect(mixem!.iterationSeconds!).toBeGreaterThan(0);
      if (mixem!.peakRssMiB !== null) expect(mixem!.peakRssMiB).toBeGreaterThan(0);
      expect(mixem!.defaults?.status).toBe('ok');
      expect(Number.isFinite(mixem!.defaults!.logLikelihood)).toBe(true);
      // The SQUAREM run counts its passes over the data; it never ends below plain EM's start, so its likelihood is finite too.
      expect(mixem!.squarem?.status).toBe('ok');
      expect(mixem!.squarem!.passes).toBeGreaterThanOrEqual(1);
      expect(mixem!.defaults!.passes).toBe(mixem!.defaults!.iterations! + 1);
      expect(Number.isFinite(mixem!.squarem!.logLikelihood)).toBe(true);

      // Installed peers ran the same 2 iterations from the same start: same likelihood up to regularization.
      for (const peer of row.tools.filter((t) => t.tool !== 'mixem' && t.logLikelihood !== null)) {
        expect(Number.isFinite(peer.iterationSeconds)).toBe(true);
        expect(Number.isFinite(peer.ratio)).toBe(true);
        expect(Math.abs(peer.logLikelihood! - mixem!.logLikelihood!)).toBeLessThan(1e-4);
      }
    }
    expect(result.markdown).toContain('| n1e3-d2-k3 | full |');
    expect(result.markdown).toContain('## SQUAREM (mixem)');
  }, 300_000);
});
