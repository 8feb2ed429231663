import { describe, expect, it } from 'vitest';
import { isViommuError } from '../errors/viommu-error.js';
import { flatPlugin } from '../testing/flat-plugin.js';
import { CONTRACT_CHANGES, CONTRACT_VERSION, SUPPORTED_CONTRACT_VERSIONS } from './contract.js';
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

  it('refuses a plugin written against contract version 1, saying what changed since', () => {
    // Version 1 units routed architecture commands through IommuUnit.command(); the core no longer
    // calls it, so such a plugin must not load and answer EOPNOTSUPP to every step.
    const old = other('legacy', { contractVersion: 1 });
    expect(codeOf(() => new PluginHost().use(old))).toBe('VIOMMU_ERR_PLUGIN_CONTRACT_VERSION');
    expect(() => new PluginHost().use(old, '--plugin ./legacy.ts')).toThrow(
      'plugin "legacy" targets contract version 1; this core supports 2. Changed since version 1: version 2: IommuUnit.command() was removed: declare each architecture command with defineCommand in definePlugin({ commands }); IommuUnit.snapshot() is now digestState() (docs/plugins.md)',
    );
  });

  it('tells the author of a plugin newer than the core to upgrade viommu-sim', () => {
    expect(() => new PluginHost().use(other('future', { contractVersion: 99 }))).toThrow(
      'plugin "future" targets contract version 99; this core supports 2 (the plugin is newer than this viommu-sim: upgrade viommu-sim)',
    );
  });

  it('every supported version is the current one or has its changes written down', () => {
    expect(SUPPORTED_CONTRACT_VERSIONS).toContain(CONTRACT_VERSION);
    for (let v = 2; v <= CONTRACT_VERSION; v++) expect(CONTRACT_CHANGES[v]).toBeTypeOf('string');
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
