/**
 * The plugins the `viommu` command loads: the three architectures and the
 * flat test plugin (the architecture-neutral scenarios of the library and the
 * plugin-author examples run on it).
 */

import type { AnyPlugin } from '../core/plugin/host.js';
import { flatPlugin } from '../core/testing/flat-plugin.js';
import amdvi from '../plugins/amdvi/index.js';
import smmuv3 from '../plugins/smmuv3/index.js';
import vtd from '../plugins/vtd/index.js';

export const BUILTIN_PLUGINS: readonly AnyPlugin[] = [vtd, smmuv3, amdvi, flatPlugin];
