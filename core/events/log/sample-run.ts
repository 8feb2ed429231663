/**
 * A realistic DMA-translation log for tests and benchmarks: each
 * `core.dma.access` command followed by its `core.dma.completed` event, with
 * addresses from a seeded RNG (the project's only randomness).
 */
import { SeededRng } from '../../sim/rng.js';
import { LOG_FORMAT, LOG_FORMAT_VERSION, type LogHeader, type LogRecord } from './records.js';

export const SAMPLE_HEADER: LogHeader = {
  kind: 'header',
  format: LOG_FORMAT,
  formatVersion: LOG_FORMAT_VERSION,
  simulator: '0.1.0',
  plugins: { vtd: '0.1.0' },
  scenario: 'sample.dma',
  seed: 42,
  config: { units: [{ id: 'vtd0', plugin: 'vtd' }], devices: [{ name: 'nic0', unit: 'vtd0', sid: 256 }] },
};

function hex64(hi: number, lo: number): string {
  return `0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;
}

/** `events` DMA events, each after its command: 2 × events records, seq 1.. gap-free. */
export function sampleDmaRun(events: number, seed = 1): LogRecord[] {
  const rng = new SeededRng(seed);
  const out: LogRecord[] = [];
  const devices = ['nic0', 'nvme0', 'gpu0'];
  let t = 0;
  for (let i = 0; i < events; i++) {
    const device = devices[rng.below(devices.length)];
    const page = rng.nextU32() & 0xfffff;
    const iova = hex64(0, (page << 12) >>> 0);
    const write = rng.below(4) === 0;
    const hit = rng.below(10) !== 0;
    t += 100;
    const seq = out.length + 1;
    out.push({
      kind: 'command',
      seq,
      t,
      type: 'core.dma.access',
      v: 1,
      data: { device, iova, access: write ? 'w' : 'r' },
    });
    const reads = hit ? 0 : 4;
    t += 10 + reads * 50;
    out.push({
      kind: 'event',
      seq: seq + 1,
      t,
      type: 'core.dma.completed',
      v: 1,
      cause: seq,
      data: {
        device,
        pasid: -1,
        iova,
        access: write ? 2 : 1,
        out: hex64(1, ((0x2345 + page) << 12) >>> 0),
        shift: 12,
        perm: 3,
        hit,
        reads,
      },
    });
  }
  return out;
}
