import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIVER_OPTIONS } from './driver/driver-context.js';
import { parseVtdOptions } from './options.js';

describe('vtd options', () => {
  it('default to the v5.10 driver settings', () => {
    const o = parseVtdOptions(undefined);
    expect(o.driver).toEqual({
      cpu5LevelPaging: DEFAULT_DRIVER_OPTIONS.cpu5LevelPaging,
      atsQueueDepth: DEFAULT_DRIVER_OPTIONS.atsQueueDepth,
      prqOrder: DEFAULT_DRIVER_OPTIONS.prqOrder,
      responseCodes: 'verbatim',
      prqThread: 'immediate',
    });
  });

  it('take the driver knobs a scenario sets', () => {
    const o = parseVtdOptions({ driver: { responseCodes: 'architectural', prqThread: 'held', prqOrder: 2 } });
    expect(o.driver).toMatchObject({ responseCodes: 'architectural', prqThread: 'held', prqOrder: 2 });
  });

  it.each([
    [{ driver: { kernel: 'v5.13' } }, /driver\.kernel: unknown field \(allowed: cpu5LevelPaging, /],
    [{ driver: { prqOrder: 8 } }, /driver\.prqOrder: expected an integer in \[0, 7\], got 8/],
    [{ driver: { atsQueueDepth: 0 } }, /driver\.atsQueueDepth/],
    [
      { driver: { responseCodes: 'spec' } },
      /driver\.responseCodes: expected one of "verbatim", "architectural"/,
    ],
    [{ driver: { cpu5LevelPaging: 1 } }, /driver\.cpu5LevelPaging: expected true or false, got 1/],
    [{ driver: [] }, /driver: expected an object/],
    [{ drivers: {} }, /unknown field "drivers"/],
  ])('reject %j naming the field', (raw, message) => {
    expect(() => parseVtdOptions(raw as never)).toThrow(message);
  });
});
