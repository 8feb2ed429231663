/**
 * The VT-d plugin object. Importing it has no side effects; register() puts
 * the unit factory into the unit's container.
 */
import { instanceCachingFactory } from 'tsyringe';
import { CONTRACT_VERSION } from '../../core/plugin/contract.js';
import { definePlugin } from '../../core/plugin/define-plugin.js';
import { resolve, TOKENS } from '../../core/plugin/tokens.js';
import { VTD_COMMANDS } from './commands/index.js';
import { createIntelDriver } from './driver/index.js';
import { VtdHardware } from './hardware.js';
import { parseVtdOptions, type VtdOptions } from './options.js';
import { VtdUnit, vtdInvalidationScope } from './unit.js';

export type { VtdOptions } from './options.js';

export default definePlugin<VtdOptions, VtdUnit>({
  meta: {
    name: 'vtd',
    version: '0.1.0',
    contractVersion: CONTRACT_VERSION,
    description:
      'Intel VT-d (legacy and scalable mode, nested translation, queued invalidation) with the Linux v5.10 intel-iommu driver',
  },
  commands: VTD_COMMANDS,
  parseOptions: parseVtdOptions,
  invalidationScope: vtdInvalidationScope,
  register(container, options) {
    container.register(TOKENS.Unit, {
      useFactory: instanceCachingFactory((c) => {
        const identity = resolve(c, TOKENS.UnitIdentity);
        const events = resolve(c, TOKENS.Events);
        const faults = resolve(c, TOKENS.Faults);
        const rng = resolve(c, TOKENS.Rng);
        resolve(c, TOKENS.Clock);
        const hw = new VtdHardware({
          unitId: identity.id,
          memory: resolve(c, TOKENS.Memory),
          frames: resolve(c, TOKENS.Frames),
          caps: options.caps,
          events,
          faults,
          caches: options.caches,
          seed: rng.nextU32(),
          profile: options.profile,
        });
        hw.preferScalable = options.mode === 'scalable';
        const kernel = resolve(c, TOKENS.Kernel).name;
        const driver = createIntelDriver(hw, { events, faults, rng }, { ...options.driver, kernel });
        hw.prq = driver.prq;
        return new VtdUnit(hw, driver, identity);
      }),
    });
  },
});
