/**
 * Commands per second through the simulator's bus (record the command, route
 * it to the device's unit, record the result, publish to observers) against a
 * direct translate() call on the same unit, in the same process.
 */
import 'reflect-metadata';
import { offsetOf, pageOf } from '../core/command/field.js';
import type { LogRecord } from '../core/events/log/records.js';
import { TranslationRequest, TranslationResult } from '../core/model/translation.js';
import type { JsonObject } from '../core/plugin/contract.js';
import { PluginHost } from '../core/plugin/host.js';
import { dmaAccess } from '../core/sim/commands/dma.js';
import { Simulator } from '../core/sim/simulator.js';
import { flatPlugin } from '../core/testing/flat-plugin.js';
import { finish, fmt, note, ratio, run, section } from './harness.js';

/**
 * The baseline this bench keeps from before the catalog: the Proxy handler every command's data
 * was seen through (core/sim/field-reads.ts, removed), noting each field a handler looked at so
 * the simulator could refuse a field nobody read.
 */
class FieldReads implements ProxyHandler<JsonObject> {
  readonly names: string[] = [];

  get(t: JsonObject, k: string | symbol): unknown {
    if (typeof k === 'string') this.names.push(k);
    return t[k as string];
  }

  has(t: JsonObject, k: string | symbol): boolean {
    if (typeof k === 'string') this.names.push(k);
    return k in t;
  }

  unread(data: JsonObject): string[] {
    const out: string[] = [];
    for (const k of Object.keys(data)) if (k !== 'unit' && !this.names.includes(k)) out.push(k);
    return out;
  }
}

/** The old handler's conversions of the same fields (parseU64's regex + BigInt, the access letters). */
const HEX = /^0x[0-9a-fA-F]+$/;
function oldConversions(d: { [k: string]: unknown }): number {
  const iova = d.iova;
  if (typeof iova !== 'string' || !HEX.test(iova)) throw new RangeError('iova');
  const v = BigInt(iova);
  const a = d.access;
  if (typeof a !== 'string' || !/^[rwxp]+$/.test(a)) throw new RangeError('access');
  let bits = 0;
  for (const c of a) bits |= c === 'r' ? 1 : c === 'w' ? 2 : c === 'x' ? 4 : 8;
  const pasid = d.pasid === undefined ? -1 : (d.pasid as number);
  const ats = d.ats === undefined ? false : d.ats === true;
  return Number(v >> 12n) + Number(v & 0xfffn) + bits + pasid + (ats ? 1 : 0) + String(d.device).length;
}

const PAGES = 256;

function makeSim(): Simulator {
  const sim = new Simulator(new PluginHost().use(flatPlugin), {
    seed: 1,
    kernel: 'v5.10',
    memoryBytes: 1 << 24,
    units: [{ id: 'u0', plugin: 'flat', options: { cacheEntries: 1024 } }],
    devices: [{ name: 'nic', unit: 'u0', sid: 0x10 }],
  });
  sim.execute({ type: 'flat.map', data: { iova: '0x100000', pa: '0x800000', pages: PAGES } });
  return sim;
}

// Pre-built commands: the bench measures the bus, not JSON construction.
const commands = Array.from({ length: PAGES }, (_, i) => ({
  type: 'device.dma.access',
  data: { device: 'nic', iova: `0x${(0x100000 + i * 4096).toString(16)}`, access: 'r' },
}));

section('Bus: one DMA command (mostly cache hits) vs a direct translate() call');

const direct = makeSim();
const unit = direct.units.get('u0')!;
const req = new TranslationRequest();
const res = new TranslationResult();
req.sid = 0x10;
req.access = 1;
const base = run(
  'direct unit.translate()',
  () => {
    let s = 0;
    for (let i = 0; i < PAGES; i++) {
      req.iovaPfn = 0x100 + i;
      res.reset();
      s += unit.translate(req, res) + res.outPfn;
    }
    return s;
  },
  { ops: PAGES },
);

const bare = makeSim();
const viaBus = run(
  'sim.execute(device.dma.access), no observers',
  () => {
    for (const c of commands) bare.execute(c);
    return bare.seq;
  },
  { ops: PAGES },
);

const observed = makeSim();
const kept: LogRecord[] = [];
observed.addSink({
  append: (r) => {
    if (kept.length > 100_000) kept.length = 0;
    kept.push(r);
  },
});
let events = 0;
observed.bus.observe(() => {
  events++;
});
const withObservers = run(
  'sim.execute + log sink + 1 bus observer',
  () => {
    for (const c of commands) observed.execute(c);
    return events;
  },
  { ops: PAGES },
);

// What reading a command's fields costs, before and after the catalog: plain reads (the floor);
// plain reads plus the conversions the old handler made (hex to bigint, access letters); the same
// through the Proxy every command went through, with its unread-field check; and the catalog's
// decode, which checks every field, refuses unknown ones and converts, in one pass.
const plainReads = run(
  "read a DMA command's fields, plain object",
  () => {
    let s = 0;
    for (const c of commands) {
      const d = c.data as { [k: string]: unknown };
      s +=
        String(d.device).length +
        String(d.iova).length +
        String(d.access).length +
        (d.pasid === undefined ? 0 : 1);
    }
    return s;
  },
  { ops: PAGES },
);
const plainConverted = run(
  'before: plain reads + the old handler conversions',
  () => {
    let s = 0;
    for (const c of commands) s += oldConversions(c.data as { [k: string]: unknown });
    return s;
  },
  { ops: PAGES },
);
const trackedReads = run(
  'before: the same through the FieldReads Proxy, then its unread() check',
  () => {
    let s = 0;
    for (const c of commands) {
      const reads = new FieldReads();
      const d = new Proxy(c.data, reads) as { [k: string]: unknown };
      s += oldConversions(d);
      s += reads.unread(c.data).length;
    }
    return s;
  },
  { ops: PAGES },
);
const decoded = run(
  "after: the catalog's decode (check, refuse unknown, convert)",
  () => {
    let s = 0;
    for (const c of commands) {
      const d = dmaAccess.decode(c.data);
      s += pageOf(d.iova) + offsetOf(d.iova) + d.access + d.pasid + (d.ats ? 1 : 0) + d.device.length;
    }
    return s;
  },
  { ops: PAGES },
);

note(
  `Through the bus a DMA command costs ${fmt(viaBus.nsPerOp)} (${ratio(viaBus, base).toFixed(0)}x a direct call, ` +
    `${(1e9 / viaBus.nsPerOp / 1e6).toFixed(2)} M commands/s); with a log sink and an observer ${fmt(withObservers.nsPerOp)} ` +
    `(${(1e9 / withObservers.nsPerOp / 1e6).toFixed(2)} M commands/s, two records each). ` +
    `Fields per command: plain reads ${fmt(plainReads.nsPerOp)}, with the old conversions ${fmt(plainConverted.nsPerOp)}, ` +
    `through the old Proxy ${fmt(trackedReads.nsPerOp)}; the catalog's decode ${fmt(decoded.nsPerOp)} ` +
    `(${ratio(decoded, plainConverted).toFixed(2)}x the plain reads with conversions).`,
);
finish();
