/**
 * `viommu-sim/testing`: what a plugin's tests import. The contract suite every plugin runs, and
 * the flat test plugin (the smallest complete plugin, for tests that need a second architecture).
 * Add `viommu-sim/testing/setup` to vitest's setupFiles: it loads the reflect polyfill tsyringe needs.
 */
export { CONTRACT_CASES, type ContractFixture, type ContractOptions, runIommuContract } from './contract.js';
export { type FlatOptions, FlatUnit, flatPlugin } from './flat-plugin.js';
