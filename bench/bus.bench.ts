/**
 * Commands per second through the simulator's bus (record the command, route
 * it to the device's unit, record the result, publish to observers) against a
 * direct translate() call on the same unit, in the same process.
 */
import 'reflect-metadata';
import type { LogRecord } from '../core/events/log/records.js';
import { TranslationRequest, TranslationResult } from '../core/model/translation.js';
import { PluginHost } from '../core/plugin/host.js';
import { FieldReads } from '../core/sim/field-reads.js';
import { Simulator } from '../core/sim/simulator.js';
import { flatPlugin } from '../core/testing/flat-plugin.js';
import { finish, fmt, note, ratio, run, section } from './harness.js';

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

// What the simulator's field-read tracking adds to a command: the same reads of each command's
// data, plainly and through the Proxy every command goes through (core/sim/field-reads.ts),
// with the check for unread fields.
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
const trackedReads = run(
  'the same reads through FieldReads, then its unread() check',
  () => {
    let s = 0;
    for (const c of commands) {
      const reads = new FieldReads();
      const d = new Proxy(c.data, reads) as { [k: string]: unknown };
      s +=
        String(d.device).length +
        String(d.iova).length +
        String(d.access).length +
        (d.pasid === undefined ? 0 : 1);
      s += reads.unread(c.data).length;
    }
    return s;
  },
  { ops: PAGES },
);

note(
  `Through the bus a DMA command costs ${fmt(viaBus.nsPerOp)} (${ratio(viaBus, base).toFixed(0)}x a direct call, ` +
    `${(1e9 / viaBus.nsPerOp / 1e6).toFixed(2)} M commands/s); with a log sink and an observer ${fmt(withObservers.nsPerOp)} ` +
    `(${(1e9 / withObservers.nsPerOp / 1e6).toFixed(2)} M commands/s, two records each). ` +
    `Tracking which fields a command reads adds ${fmt(trackedReads.nsPerOp - plainReads.nsPerOp)} per command ` +
    `(${fmt(trackedReads.nsPerOp)} against ${fmt(plainReads.nsPerOp)} for plain reads).`,
);
finish();
