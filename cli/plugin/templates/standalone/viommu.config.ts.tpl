// Found by `viommu` from this folder or any below it: the plugins to load beside the built-in ones.
import { defineConfig } from 'viommu-sim/config';
import plugin from './src/index.js';

export default defineConfig({
  plugins: [plugin],
});
