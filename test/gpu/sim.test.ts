import { describe, expect, it } from 'vitest';
import { readCsv, simProcess } from '../cli/helpers.ts';

describe('sim --engine gpu', () => {
  it('runs a preset on the GPU engine and writes the CPU engine\'s CSV header', async () => {
    const argv = ['--preset', 'testbed-baseline', '--set', 'agents=200', '--set', 'steps=30'];
    const [gpu, cpu] = [await simProcess([...argv, '--engine', 'gpu']), await simProcess([...argv, '--engine', 'cpu'])];
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(cpu.code, cpu.stderr).toBe(0);
    const gpuCsv = readCsv(gpu.stdout);
    const cpuCsv = readCsv(cpu.stdout);
    expect(gpuCsv.header).toEqual(cpuCsv.header);
    expect(gpuCsv.rows.length).toBe(4 * 30);
    expect(gpu.stderr).toMatch(/on gpu/);
    // Same random numbers: the first step's choices agree (rounding splits paths only rarely).
    const frac = (csv: typeof gpuCsv) => csv.column('frac_optimal').slice(0, 4).map(Number);
    frac(gpuCsv).forEach((v, i) => expect(Math.abs(v - frac(cpuCsv)[i])).toBeLessThanOrEqual(0.02));
  });
});
