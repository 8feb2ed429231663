/**
 * The ARM SMMUv3 plugin: a minimal but honest SMMUv3 (reference smmuv3-amdvi.md
 * Part A, D.3) behind the common contract. Importing it has no side effects.
 */
import { instanceCachingFactory } from 'tsyringe';
import { CONTRACT_VERSION, type JsonObject } from '../../core/plugin/contract.js';
import { definePlugin } from '../../core/plugin/define-plugin.js';
import { TOKENS } from '../../core/plugin/tokens.js';
import type { CacheSpec } from './caches.js';
import {
  DEFAULT_OPTIONS,
  OAS_ENCODING,
  POLICIES,
  QEMU_CONFIG_CACHE,
  QEMU_TLB,
  type SmmuOptions,
  type SmmuProfile,
  type SmmuStages,
} from './capabilities.js';
import { SMMUV3_COMMANDS } from './commands.js';
import { SmmuUnit, smmuInvalidationScope } from './unit.js';

function cacheSpec(raw: unknown, field: string, fallback: CacheSpec, qemu: CacheSpec): CacheSpec {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TypeError(`${field}: expected an object`);
  const o = raw as JsonObject;
  const policy = o.policy ?? fallback.policy;
  if (typeof policy !== 'string' || !(POLICIES as readonly string[]).includes(policy)) {
    throw new RangeError(
      `${field}.policy: expected one of ${POLICIES.join(', ')}, got ${JSON.stringify(o.policy)}`,
    );
  }
  if (policy === 'qemu' && o.entries === undefined) return qemu;
  const entries = o.entries ?? fallback.entries;
  if (typeof entries !== 'number' || !Number.isInteger(entries) || entries < 1 || entries > 2 ** 24) {
    throw new RangeError(
      `${field}.entries: expected an integer in 1..2^24, got ${JSON.stringify(o.entries)}`,
    );
  }
  const ways = o.ways ?? 'full';
  if (
    ways !== 'full' &&
    (typeof ways !== 'number' || !Number.isInteger(ways) || ways < 1 || entries % ways !== 0)
  ) {
    throw new RangeError(
      `${field}.ways: expected "full" or a divisor of entries, got ${JSON.stringify(o.ways)}`,
    );
  }
  if (policy === 'qemu' && ways !== 'full') throw new RangeError(`${field}.ways: policy 'qemu' needs "full"`);
  return { entries, policy: policy as CacheSpec['policy'], ways };
}

/** Options: { stages, oas, sidBits, ril, tlb: {entries, policy, ways}, configCache: {...}, profile }. */
export function parseSmmuOptions(raw: JsonObject | undefined): SmmuOptions {
  const o = raw ?? {};
  for (const k of Object.keys(o)) {
    if (!['stages', 'oas', 'sidBits', 'ril', 'tlb', 'configCache', 'profile'].includes(k)) {
      throw new RangeError(`smmuv3 options: unknown field "${k}"`);
    }
  }
  const d = DEFAULT_OPTIONS;
  const stages = o.stages ?? d.stages;
  if (stages !== 's1' && stages !== 's2' && stages !== 'nested') {
    throw new RangeError(`stages: expected "s1", "s2" or "nested", got ${JSON.stringify(o.stages)}`);
  }
  const oas = o.oas ?? d.oas;
  if (typeof oas !== 'number' || OAS_ENCODING[oas] === undefined) {
    throw new RangeError(`oas: expected one of 32, 36, 40, 42, 44, 48, got ${JSON.stringify(o.oas)}`);
  }
  const sidBits = o.sidBits ?? d.sidBits;
  if (typeof sidBits !== 'number' || !Number.isInteger(sidBits) || sidBits < 1 || sidBits > 32) {
    throw new RangeError(`sidBits: expected an integer in 1..32, got ${JSON.stringify(o.sidBits)}`);
  }
  const ril = o.ril ?? d.ril;
  if (typeof ril !== 'boolean')
    throw new TypeError(`ril: expected true or false, got ${JSON.stringify(o.ril)}`);
  const profile = o.profile ?? d.profile;
  if (profile !== 'v5.10' && profile !== 'proposed') {
    throw new RangeError(`profile: expected "v5.10" or "proposed", got ${JSON.stringify(o.profile)}`);
  }
  return {
    stages: stages as SmmuStages,
    oas,
    sidBits,
    ril,
    tlb: cacheSpec(o.tlb, 'tlb', d.tlb, QEMU_TLB),
    configCache: cacheSpec(o.configCache, 'configCache', d.configCache, QEMU_CONFIG_CACHE),
    profile: profile as SmmuProfile,
  };
}

export default definePlugin<SmmuOptions, SmmuUnit>({
  meta: {
    name: 'smmuv3',
    version: '0.1.0',
    contractVersion: CONTRACT_VERSION,
    description:
      'ARM SMMUv3: linear/2-level stream tables, abort/bypass/S1/S2/nested STEs, one CD per stream, VMSAv8-64 walks ' +
      '(4K/16K/64K), CMDQ (CFGI_*, TLBI_* with ranges, SYNC), EVTQ; UAPI v5.10 (no ops) or the proposed nested series',
  },
  commands: SMMUV3_COMMANDS,
  parseOptions: parseSmmuOptions,
  invalidationScope: smmuInvalidationScope,
  register(container, options) {
    container.register(TOKENS.Unit, {
      useFactory: instanceCachingFactory(
        (c) =>
          new SmmuUnit(
            {
              memory: c.resolve(TOKENS.Memory),
              frames: c.resolve(TOKENS.Frames),
              rng: c.resolve(TOKENS.Rng),
              events: c.resolve(TOKENS.Events),
              faults: c.resolve(TOKENS.Faults),
              identity: c.resolve(TOKENS.UnitIdentity),
            },
            options,
          ),
      ),
    });
  },
});
