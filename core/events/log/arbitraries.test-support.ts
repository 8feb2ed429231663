/** fast-check arbitraries for logs: JSON-safe payloads rich in the cases the binary encoding special-cases. */
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../../plugin/contract.js';
import { LOG_FORMAT, LOG_FORMAT_VERSION, type LogHeader, type LogRecord } from './records.js';

const hexDigits = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 16 });

/** Strings that look like the payloads' own: 0x-hex of every width, near-misses, repeats, long and non-ASCII text. */
export const payloadString: fc.Arbitrary<string> = fc.oneof(
  hexDigits.map((d) => `0x${d}`),
  hexDigits.map((d) => `0x${d.padStart(16, '0')}`),
  fc.constantFrom(
    '0x',
    '0x0',
    '0x00',
    '0X10',
    '0xABC',
    '0x1g',
    '0x00000000000000000',
    'nic0',
    'vtd0',
    '',
    'r',
    'w',
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ minLength: 60, maxLength: 90 }),
);

const number: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -200, max: 200 }),
  fc.integer(),
  fc.constantFrom(
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    2 ** 31,
    -(2 ** 31),
    2 ** 32,
    1e300,
    2 ** 53,
    0.5,
    -1.25e-7,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
);

const keys = fc.oneof(
  fc.constantFrom('device', 'iova', 'pasid', 'out', 'hit', 'list', '0', '12', '0x10'),
  fc.string({ maxLength: 6 }),
);

export const payloadValue: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    payloadString,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(keys, tie('v'), { maxKeys: 5 }),
  ),
})).v;

export const payloadObject: fc.Arbitrary<JsonObject> = fc.dictionary(keys, payloadValue, { maxKeys: 6 });

interface Step {
  readonly event: boolean;
  readonly dt: number;
  readonly type: string;
  readonly v: number;
  readonly causeBack: number;
  readonly data: JsonObject;
}

const step: fc.Arbitrary<Step> = fc.record({
  event: fc.boolean(),
  dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 2 ** 40 })),
  type: fc.constantFrom('core.dma.access', 'core.dma.completed', 'vtd.iotlb.invalidated', 'x', 'a.b.c'),
  v: fc.constantFrom(1, 1, 2, 0, 300),
  causeBack: fc.nat(5),
  data: payloadObject,
});

/** A valid record sequence: gap-free seq, t never going back, every event caused by an earlier command. */
export const recordsArb: fc.Arbitrary<LogRecord[]> = fc.array(step, { maxLength: 25 }).map((steps) => {
  const out: LogRecord[] = [];
  const commands: number[] = [];
  let t = 0;
  for (const s of steps) {
    const seq = out.length + 1;
    t += s.dt;
    if (s.event && commands.length > 0) {
      const cause = commands[Math.max(0, commands.length - 1 - s.causeBack)];
      out.push({ kind: 'event', seq, t, type: s.type, v: s.v, cause, data: s.data });
    } else {
      commands.push(seq);
      out.push({ kind: 'command', seq, t, type: s.type, v: s.v, data: s.data });
    }
  }
  return out;
});

export const headerArb: fc.Arbitrary<LogHeader> = fc.record({
  kind: fc.constant('header' as const),
  format: fc.constant(LOG_FORMAT),
  formatVersion: fc.constant(LOG_FORMAT_VERSION),
  simulator: fc.constantFrom('0.1.0', '1.2.3-rc.1'),
  plugins: fc.dictionary(fc.constantFrom('vtd', 'smmuv3', 'amdvi'), fc.constantFrom('0.1.0', '2.0.0')),
  scenario: fc.string({ maxLength: 10 }),
  seed: fc.integer({ min: 0, max: 2 ** 32 }),
  config: payloadValue,
});

/** JSON's own reading of a value: what both encodings must give back. */
export function viaJson<T>(x: T): T {
  return JSON.parse(JSON.stringify(x));
}
