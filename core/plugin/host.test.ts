import { describe, expect, it } from 'vitest';
import { isViommuError } from '../errors/viommu-error.js';
import { flatPlugin } from '../testing/flat-plugin.js';
import { CONTRACT_VERSION } from './contract.js';
import { definePlugin } from './define-plugin.js';
import { PluginHost } from './host.js';

const other = (name: string, extra: object = {}) =>
  definePlugin({
    meta: { name, version: '1.0.0', contractVersion: CONTRACT_VERSION, description: 'x', ...extra },
    parseOptions: () => ({}),
    register: () => {},
  });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isViommuError(e) ? e.code : 'not a ViommuError';
  }
  return undefined;
}

describe('PluginHost', () => {
  it('rejects a duplicate name', () => {
    const host = new PluginHost().use(flatPlugin);
    expect(codeOf(() => host.use(flatPlugin))).toBe('VIOMMU_ERR_PLUGIN_DUPLICATE');
  });

  it('remembers where each plugin came from and names both origins of a duplicate', () => {
    const host = new PluginHost().use(flatPlugin, 'built-in').use(other('mine'), '--plugin ./mine.ts');
    expect([host.origin('flat'), host.origin('mine'), host.origin('nosuch')]).toEqual([
      'built-in',
      '--plugin ./mine.ts',
      undefined,
    ]);
    expect(() => host.use(flatPlugin, 'viommu.config.ts')).toThrow(
      'plugin "flat" is registered twice (built-in, then viommu.config.ts)',
    );
  });

  it('rejects an unsupported contract version', () => {
    expect(codeOf(() => new PluginHost().use(other('future', { contractVersion: 99 })))).toBe(
      'VIOMMU_ERR_PLUGIN_CONTRACT_VERSION',
    );
  });

  it('rejects something that is not a plugin', () => {
    expect(codeOf(() => new PluginHost().use({} as never))).toBe('VIOMMU_ERR_PLUGIN_INVALID');
  });

  it('checks declared dependencies when it freezes', () => {
    const host = new PluginHost().use(other('needy', { requires: ['absent'] }));
    expect(codeOf(() => host.freeze())).toBe('VIOMMU_ERR_PLUGIN_DEPENDENCY_MISSING');
    const ok = new PluginHost().use(flatPlugin).use(other('needy', { requires: ['flat'] }));
    expect(codeOf(() => ok.freeze())).toBeUndefined();
  });

  it('refuses new plugins once frozen, and unknown plugin names', () => {
    const host = new PluginHost().use(flatPlugin);
    host.createRunContainer();
    expect(codeOf(() => host.use(other('late')))).toBe('VIOMMU_ERR_HOST_FROZEN');
    expect(codeOf(() => host.get('nope'))).toBe('VIOMMU_ERR_PLUGIN_UNKNOWN');
  });

  it('a plugin that registers no unit is reported', () => {
    const host = new PluginHost().use(other('empty'));
    const run = host.createRunContainer();
    const sink = { emit: () => {} };
    expect(
      codeOf(() =>
        host.createUnit(
          run,
          'empty',
          { id: 'e0', devices: new Map() },
          { events: sink, faults: { report: () => 0 } },
          undefined,
        ),
      ),
    ).toBe('VIOMMU_ERR_PLUGIN_INVALID');
  });

  it('definePlugin freezes and checks the name', () => {
    expect(Object.isFrozen(flatPlugin.meta)).toBe(true);
    expect(() => other('Bad Name')).toThrow(/lower-case/);
  });
});
