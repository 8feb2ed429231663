import { describe, expect, it } from 'vitest';
import type { Divergence } from '../events/log/divergence.js';
import type { EventRecord } from '../events/log/records.js';
import { describeDivergence, divergenceJson } from './describe.js';

const fault = (reason: number): EventRecord => ({
  kind: 'event',
  seq: 7,
  t: 0,
  type: 'vtd.fault.recorded',
  v: 1,
  cause: 6,
  data: { unit: 'vtd0', reason, reasonName: 'X', sid: 256 },
});

const d: Divergence = {
  seq: 7,
  expected: fault(0x81),
  actual: fault(0x79),
  cause: { kind: 'command', seq: 6, t: 0, type: 'device.dma.access', v: 1, data: { device: 'd0' } },
  field: 'data.reason',
};

describe('a divergence', () => {
  it('is described with architectural codes in hex, other numbers in decimal', () => {
    const text = describeDivergence(d, 'log', 'replay');
    expect(text).toContain('"reason":"0x81","reasonName":"X","sid":256');
    expect(text).toContain('"reason":"0x79"');
    expect(text).toContain(
      'first divergence at seq 7 (JSON Lines line 8), type vtd.fault.recorded, field data.reason',
    );
  });

  it('keeps numbers in its JSON form', () => {
    expect(divergenceJson(d)).toMatchObject({
      expected: { data: { reason: 0x81 } },
      actual: { data: { reason: 0x79 } },
    });
  });
});
