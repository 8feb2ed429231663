/**
 * A run whose commands are far apart in the log: a workload that records one
 * event per access puts 70,000 events between two commands. Both encodings
 * must read it back (each event's cause is checked against the commands seen,
 * kept in a bit set that has to grow past the gap) and replay it.
 */

import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../events/log/records.js';
import { PluginHost } from '../plugin/host.js';
import { runTarget } from '../scenario/runner.js';
import { validateScenario } from '../scenario/validate.js';
import { flatPlugin } from '../testing/flat-plugin.js';
import { encodeLog, readLogBytes } from './log-io.js';
import { replayLog } from './replay.js';

const ACCESSES = 70_000;

const scenario = validateScenario(
  {
    format: 'viommu-scenario',
    version: 1,
    id: 'replay/long-run',
    title: 'two commands 70,000 events apart',
    seed: 1,
    targets: [
      {
        plugin: 'flat',
        devices: [{ name: 'nic', sid: 1 }],
        setup: [{ type: 'flat.map', data: { iova: '0x10000', pa: '0x80000', pages: 4 } }],
      },
    ],
    steps: [
      {
        workload: {
          kind: 'ring',
          seed: 1,
          device: 'nic',
          iova: '0x10000',
          pages: 4,
          count: ACCESSES,
          events: 'each',
        },
      },
      { type: 'device.dma.access', data: { device: 'nic', iova: '0x10008', access: 'r' } },
    ],
  },
  'long-run.scenario.json',
);

describe('a run with commands more than 2^16 records apart', () => {
  const host = new PluginHost().use(flatPlugin);
  const records: LogRecord[] = [];
  const run = {
    ...runTarget(host, scenario, scenario.targets[0], { sinks: [{ append: (r) => records.push(r) }] }),
    records,
  };
  const last = run.records[run.records.length - 1];

  it('is the run meant: the last command comes after every workload event', () => {
    expect(run.records.length).toBeGreaterThan(ACCESSES);
    expect(last.kind === 'event' ? last.cause : 0).toBeGreaterThan(2 ** 16);
  });

  for (const format of ['jsonl', 'binary'] as const) {
    it(`reads back from ${format} and replays`, () => {
      const log = readLogBytes(encodeLog(run.header, run.records, format), `long.${format}`);
      expect(log.records.length).toBe(run.records.length);
      expect(log.records[log.records.length - 1]).toEqual(last);
      const r = replayLog(host, log);
      expect(r.divergence).toBeNull();
      expect(r.matched).toBe(run.records.length);
    });
  }
});
