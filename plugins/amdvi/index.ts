/**
 * The AMD-Vi plugin: a minimal-but-honest AMD IOMMU (device table, v1 host
 * page tables, command buffer, event log, DomainID-tagged IOTLB) behind the
 * common contract. See capabilities.ts for what it does not model.
 */
import { instanceCachingFactory } from 'tsyringe';
import { CONTRACT_VERSION } from '../../core/plugin/contract.js';
import { definePlugin } from '../../core/plugin/define-plugin.js';
import { resolve, TOKENS } from '../../core/plugin/tokens.js';
import { AMDVI_COMMANDS } from './commands.js';
import { type AmdviOptions, parseAmdviOptions } from './options.js';
import { AmdviUnit, amdviInvalidationScope } from './unit.js';

export default definePlugin<AmdviOptions, AmdviUnit>({
  meta: {
    name: 'amdvi',
    version: '0.1.0',
    contractVersion: CONTRACT_VERSION,
    description: 'AMD-Vi: DTE, v1 I/O page tables, command buffer, event log, DomainID-tagged IOTLB',
  },
  commands: AMDVI_COMMANDS,
  parseOptions: parseAmdviOptions,
  invalidationScope: amdviInvalidationScope,
  register(container, options) {
    container.register(TOKENS.Unit, {
      useFactory: instanceCachingFactory(
        (c) =>
          new AmdviUnit(
            {
              id: resolve(c, TOKENS.UnitIdentity).id,
              memory: resolve(c, TOKENS.Memory),
              frames: resolve(c, TOKENS.Frames),
              rng: resolve(c, TOKENS.Rng),
              clock: resolve(c, TOKENS.Clock),
              events: resolve(c, TOKENS.Events),
              faults: resolve(c, TOKENS.Faults),
            },
            options,
          ),
      ),
    });
  },
});
