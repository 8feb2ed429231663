/**
 * The plugins the `viommu` command loads. The flat test plugin is always
 * there (the library's architecture-neutral scenarios run on it); the
 * architecture plugins join as they land.
 */
import type { AnyPlugin } from '../plugin/host.js';
import { flatPlugin } from '../testing/flat-plugin.js';

export const BUILTIN_PLUGINS: readonly AnyPlugin[] = [flatPlugin];
