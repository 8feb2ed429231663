// viommu-sim as a library: load plugins, run a scenario on each of its targets, read the statistics.
import { loadScenarioFile, PluginHost, runTarget } from 'viommu-sim';
import { BUILTIN_PLUGINS } from 'viommu-sim/plugins';

const host = new PluginHost();
for (const plugin of BUILTIN_PLUGINS) host.use(plugin);
const scenario = loadScenarioFile(process.argv[2] ?? 'my.scenario.json');
for (const target of scenario.targets) {
  const { stats, iotlb, failures } = runTarget(host, scenario, target);
  console.log(
    `${target.name}: ${stats.translations} translations, ${stats.faults} faults,`,
    `IOTLB ${iotlb.hits}/${iotlb.lookups} hits, ${failures.length} failed expectations`,
  );
}
