import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../events/log/records.js';
import { checkStep, show } from './expectations.js';

const event = (type: string, data: object): EventRecord => ({
  kind: 'event',
  seq: 2,
  t: 0,
  type,
  v: 1,
  cause: 1,
  data: data as EventRecord['data'],
});

describe('failure messages', () => {
  it('show architectural codes in hex, other numbers in decimal', () => {
    expect(show({ fault: 'TRANSLATION', code: 121, reads: 5 })).toBe(
      '{"fault":"TRANSLATION","code":"0x79","reads":5}',
    );
    expect(show([{ reason: 0x85, sid: 256 }])).toBe('[{"reason":"0x85","sid":256}]');
    // A code that is already text, or not a code at all, is left as it is.
    expect(show({ code: 'C_BAD_STE', count: 133 })).toBe('{"code":"C_BAD_STE","count":133}');
  });

  it('a value expectation that fails names the code the way the spec does', () => {
    const got = checkStep(
      { value: { fault: 'PERMISSION' } },
      { ok: true, value: { fault: 'TRANSLATION', code: 0x79 } },
      [],
    );
    expect(got).toEqual([
      'expected value matching {"fault":"PERMISSION"}, got {"fault":"TRANSLATION","code":"0x79"}',
    ]);
  });

  it('an event expectation that fails shows the events it saw with hex reasons', () => {
    const got = checkStep(
      { events: [{ type: 'vtd.fault.recorded', data: { reason: 0x71 } }] },
      { ok: true, value: null },
      [event('vtd.fault.recorded', { reason: 0x79, sid: 8 })],
    );
    expect(got[0]).toContain('got [{"reason":"0x79","sid":8}]');
  });

  it('a plugin error satisfies no expectation, even ok: false', () => {
    const crashed = event('core.plugin.failed', {
      plugin: 'x',
      unit: 'x0',
      code: 'VIOMMU_ERR_PLUGIN_THREW',
      message: 'boom',
    });
    expect(checkStep({ ok: false }, { ok: false, errno: 'EINVAL', detail: '' }, [crashed])).toEqual([
      'plugin error: {"plugin":"x","unit":"x0","code":"VIOMMU_ERR_PLUGIN_THREW","message":"boom"}',
    ]);
  });
});
