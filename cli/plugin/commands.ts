/** `viommu plugin new` and `viommu plugins`. */
import type { Command } from 'commander';
import type { AnyPlugin } from '../../core/plugin/host.js';
import { PluginHost } from '../../core/plugin/host.js';
import { Simulator } from '../../core/sim/simulator.js';
import { loadPlugins, type Plugins } from '../config/load-plugins.js';
import { configOption, pluginOption } from '../config/plugin-options.js';
import { errorMessage, exitCodeFor } from '../scenario/errors.js';
import { usage } from '../usage.js';
import { ScaffoldError, scaffoldPlugin, scaffoldStandalone } from './new-plugin.js';

const NEW_PLUGIN_HELP = `
Standalone (a project of its own, the usual route):
  viommu plugin new myarch --standalone --dependency ../viommu-sim-0.1.0.tgz
  cd myarch && npm install && npm test && npx viommu run scenarios
  Its viommu.config.ts names the plugin; --plugin ./src/index.ts loads it without one.

In this checkout (a plugin meant to ship with viommu-sim):
  viommu plugin new myarch
  npx vitest run plugins/myarch
  viommu run <scenario> --plugin ./plugins/myarch/index.ts
  To make it built-in, add it to cli/builtin-plugins.ts (the CLI's composition root; core needs no edit).`;

export function registerPluginCommands(program: Command, builtins: () => readonly AnyPlugin[]): void {
  const plugin = program.command('plugin').description('work on architecture plugins');
  plugin
    .command('new <name>')
    .description(
      'scaffold a plugin that passes the contract suite as generated: a folder in this checkout (plugins/<name>), or with --standalone a separate npm project depending on viommu-sim',
    )
    .option(
      '--standalone',
      'write a separate npm project (package.json, tsconfig, vitest, a scenario, viommu.config.ts)',
    )
    .option('--dir <dir>', 'folder to create (default: plugins/<name>, or ./<name> with --standalone)')
    .option(
      '--dependency <spec>',
      'with --standalone: how the project depends on viommu-sim: a version, a tarball or folder path, a git URL (default: ^<this version>)',
    )
    .option(
      '--core <dir>',
      "in-repo only: the core folder the plugin imports from (default: this package's core/)",
    )
    .option('--force', 'write into a folder that is not empty')
    .addHelpText('after', NEW_PLUGIN_HELP)
    .action(
      (
        name: string,
        o: { standalone?: boolean; dir?: string; dependency?: string; core?: string; force?: boolean },
        cmd: Command,
      ) => {
        if (o.standalone && o.core)
          usage(cmd, '--core is for the in-repo scaffold; a standalone project imports viommu-sim');
        if (!o.standalone && o.dependency) usage(cmd, '--dependency needs --standalone');
        try {
          if (o.standalone) {
            const dir = o.dir ?? name;
            const files = scaffoldStandalone({
              name,
              dir,
              ...(o.dependency ? { dependency: o.dependency } : {}),
              ...(o.force ? { force: true } : {}),
            });
            for (const f of files) process.stdout.write(`wrote ${f}\n`);
            process.stdout.write(
              `next: cd ${dir} && npm install && npm test && npx viommu run scenarios  (see its README.md)\n`,
            );
            return;
          }
          const dir = o.dir ?? `plugins/${name}`;
          const files = scaffoldPlugin({
            name,
            dir,
            ...(o.core ? { coreDir: o.core } : {}),
            ...(o.force ? { force: true } : {}),
          });
          for (const f of files) process.stdout.write(`wrote ${f}\n`);
          process.stdout.write(
            `next: npx vitest run ${dir}, then run a scenario on it: viommu run <scenario> --plugin ./${dir}/index.ts  (docs/plugins.md)\n`,
          );
        } catch (e) {
          if (!(e instanceof ScaffoldError)) throw e;
          process.stderr.write(`viommu plugin new: ${e.message}\n`);
          process.exitCode = 2;
        }
      },
    );

  program
    .command('plugins')
    .description(
      'list the plugins (built-in, from the config file, from --plugin), where each came from, and what each unit models',
    )
    .option('--json', 'machine-readable output')
    .addOption(pluginOption())
    .addOption(configOption())
    .action(async (o: { json?: boolean; plugin?: string[]; config?: string }) => {
      let loaded: Plugins;
      try {
        loaded = await loadPlugins(builtins(), process.cwd(), o);
      } catch (e) {
        process.stderr.write(`viommu: ${errorMessage(e)}\n`);
        process.exitCode = exitCodeFor(e);
        return;
      }
      // A plugin whose unit cannot be built is listed with its error (exit 3); the others still are.
      const list = loaded.plugins.map(({ plugin: p, origin }) => {
        try {
          const host = new PluginHost().use(p, origin);
          const sim = new Simulator(host, {
            seed: 0,
            kernel: 'v5.10',
            memoryBytes: 1 << 20,
            units: [{ id: 'u0', plugin: p.meta.name }],
            devices: [],
          });
          return { ...p.meta, origin, capabilities: sim.units.get('u0')!.capabilities() };
        } catch (e) {
          process.exitCode = exitCodeFor(e);
          return { ...p.meta, origin, error: errorMessage(e) };
        }
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      for (const p of list) {
        process.stdout.write(`${p.name} ${p.version} (${p.origin}): ${p.description}\n`);
        if (!('capabilities' in p)) {
          process.stdout.write(`  error: ${p.error}\n`);
          continue;
        }
        const c = p.capabilities;
        process.stdout.write(
          `  profile ${c.profile}; PASID bits ${c.pasidBits}; caches ${c.caches.join(', ') || 'none'}\n`,
        );
        process.stdout.write(
          `  UAPI cache invalidation: ${c.cacheInvalidation.map((x) => `${x.cache}[${x.granularities.join('/')}]`).join(', ') || 'none (ENODEV)'}\n`,
        );
        process.stdout.write(
          `  bind formats: ${c.bindFormats.join(', ') || 'none (ENODEV)'}; page requests: ${c.pageRequests ? 'yes' : 'no'}\n`,
        );
        if (p.commands?.length) process.stdout.write(`  commands: ${p.commands.join(', ')}\n`);
        if (c.notModelled.length) process.stdout.write(`  not modelled: ${c.notModelled.join('; ')}\n`);
      }
    });
}
