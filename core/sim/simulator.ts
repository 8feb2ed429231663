/**
 * The simulator: one run's state (memory, clock, RNG, units, devices) and the
 * command loop. A command is recorded, its data decoded by its declaration in
 * the command catalog (core/command: an unknown or bad field fails the command
 * naming it), and routed to its handler (core commands by type, architecture
 * commands by their scope to the unit they name),
 * every event it causes is appended after it with `cause` = its seq, and a
 * result event closes it. Records go to the log sink and then to the bus, in
 * one deterministic order. A command refused as malformed (a ViommuError of
 * COMMAND_INVALID / COMMAND_UNKNOWN) gets an EINVAL result and a
 * `core.command.failed` event; any other exception is a plugin failure:
 * `core.plugin.failed` is recorded and execute() throws a PluginFailure.
 */
import type { DependencyContainer } from 'tsyringe';
import { type AnyCommandSpec, CommandCatalog } from '../command/catalog.js';
import { ERROR_CODES, isViommuError, ViommuError } from '../errors/viommu-error.js';
import { EventBus } from '../events/bus.js';
import type { EventSink, SimEventMap, SimEventType } from '../events/event-map.js';
import type { CommandRecord, EventRecord, LogRecord } from '../events/log/records.js';
import { FrameAllocator } from '../memory/frame-allocator.js';
import { PhysMemory } from '../memory/phys-memory.js';
import type { DeviceConfig, IommuUnit, JsonObject, JsonValue } from '../plugin/contract.js';
import type { PluginHost } from '../plugin/host.js';
import { TOKENS } from '../plugin/tokens.js';
import { fail, type UapiResult } from '../uapi/errno.js';
import { KERNELS, type KernelVersion } from '../uapi/kernel-versions.js';
import { UserMemory } from '../uapi/user-memory.js';
import { SimClock } from './clock.js';
import { CORE_COMMANDS, type SimCommand } from './commands/index.js';
import { DEFAULT_TIMING, deviceConfig, type SimConfig, type TimingSpec } from './config.js';
import { FaultRouting } from './fault-routing.js';
import { isCommandRejection, PluginFailure, unitOfCommand } from './plugin-failure.js';
import { SeededRng } from './rng.js';

/** A run's state between commands (Simulator.saveState); structured-clone data. */
export interface SimState {
  /** seq of the last record before the snapshot. */
  readonly seq: number;
  readonly time: number;
  readonly rng: ReturnType<SeededRng['saveState']>;
  readonly memory: ReturnType<PhysMemory['saveState']>;
  readonly frames: number;
  readonly user: ReturnType<UserMemory['saveState']>;
  readonly faults: ReturnType<FaultRouting['saveState']>;
  readonly units: ReadonlyMap<string, unknown>;
}

function stateOps(id: string, unit: IommuUnit): { save: () => unknown; load: (s: unknown) => void } {
  const { saveState, loadState } = unit;
  if (saveState === undefined || loadState === undefined) {
    throw new ViommuError(
      ERROR_CODES.SNAPSHOT_UNSUPPORTED,
      `unit "${id}": plugin "${unit.plugin}" cannot save its state (IommuUnit.saveState/loadState), so this run cannot be snapshotted`,
    );
  }
  return { save: () => saveState.call(unit), load: (s) => loadState.call(unit, s) };
}

/** Where records go as they are made (the event log writer implements this). */
export interface RecordSink {
  append(record: LogRecord): void;
}

export interface CommandInput {
  readonly type: string;
  readonly data: JsonObject;
}

export class Simulator {
  readonly config: SimConfig;
  readonly memory: PhysMemory;
  readonly frames: FrameAllocator;
  readonly clock = new SimClock();
  readonly rng: SeededRng;
  readonly bus = new EventBus();
  readonly timing: TimingSpec;
  readonly units = new Map<string, IommuUnit>();
  readonly devices = new Map<string, { readonly config: DeviceConfig; readonly unit: IommuUnit }>();
  readonly faults: FaultRouting;
  /** The VMM's user address space, where UAPI payloads live. */
  readonly user = new UserMemory();
  /** Kernel version whose UAPI constants apply. */
  readonly kernel: KernelVersion;
  readonly #container: DependencyContainer;
  readonly #sinks: RecordSink[] = [];
  #seq = 0;
  #cause = 0;
  /** The core's commands and those defined on this simulator (workloads, digests). */
  readonly #commands: CommandCatalog<Simulator>;
  /** The commands of the units' plugins, by type. */
  readonly #unitCommands = new Map<string, AnyCommandSpec>();

  constructor(host: PluginHost, config: SimConfig, sinks: readonly RecordSink[] = []) {
    this.config = config;
    this.timing = config.timing ?? DEFAULT_TIMING;
    this.memory = new PhysMemory(config.memoryBytes);
    this.frames = new FrameAllocator(this.memory);
    this.rng = new SeededRng(config.seed);
    this.#sinks.push(...sinks);
    this.#commands = new CommandCatalog<Simulator>(CORE_COMMANDS);
    this.faults = new FaultRouting(this);
    const kernel = (KERNELS as Record<string, KernelVersion>)[config.kernel];
    if (!kernel) {
      throw new ViommuError(
        ERROR_CODES.CONFIG_INVALID,
        `kernel: unknown version "${config.kernel}" (known: ${Object.keys(KERNELS).join(', ')})`,
      );
    }
    this.kernel = kernel;

    this.#container = host.createRunContainer();
    this.#container.register(TOKENS.Memory, { useValue: this.memory });
    this.#container.register(TOKENS.Frames, { useValue: this.frames });
    this.#container.register(TOKENS.Clock, { useValue: this.clock });
    this.#container.register(TOKENS.Rng, { useValue: this.rng });
    this.#container.register(TOKENS.Kernel, { useValue: this.kernel });

    for (const spec of config.units) {
      if (this.units.has(spec.id))
        throw new ViommuError(ERROR_CODES.CONFIG_INVALID, `units: duplicate unit id "${spec.id}"`);
      const devices = new Map<number, DeviceConfig>();
      const unit = host.createUnit(
        this.#container,
        spec.plugin,
        { id: spec.id, devices },
        {
          events: this.#sinkFor(),
          faults: { report: (sid, fault) => this.faults.report(spec.id, sid, fault) },
        },
        spec.options,
      );
      this.units.set(spec.id, unit);
      for (const c of host.get(spec.plugin).commands ?? []) this.#unitCommands.set(c.type, c);
      this.#unitDevices.set(spec.id, devices);
    }
    for (const d of config.devices) {
      const cfg = deviceConfig(d);
      const unit = this.units.get(cfg.unit);
      if (!unit)
        throw new ViommuError(
          ERROR_CODES.CONFIG_INVALID,
          `devices: "${cfg.name}" names unknown unit "${cfg.unit}"`,
        );
      if (this.devices.has(cfg.name))
        throw new ViommuError(ERROR_CODES.CONFIG_INVALID, `devices: duplicate device name "${cfg.name}"`);
      const byId = this.#unitDevices.get(cfg.unit)!;
      if (byId.has(cfg.sid)) {
        throw new ViommuError(
          ERROR_CODES.CONFIG_INVALID,
          `devices: "${cfg.name}" reuses sid 0x${cfg.sid.toString(16)} on unit "${cfg.unit}"`,
        );
      }
      byId.set(cfg.sid, cfg);
      this.devices.set(cfg.name, { config: cfg, unit });
      this.faults.addDevice(cfg);
      const r = unit.addDevice(cfg);
      if (r !== 0)
        throw new ViommuError(
          ERROR_CODES.CONFIG_INVALID,
          `devices: unit "${cfg.unit}" refused "${cfg.name}" with ${r}`,
        );
    }
  }

  readonly #unitDevices = new Map<string, Map<number, DeviceConfig>>();

  /** Adds a record sink (e.g. a log writer) for records made from now on. */
  addSink(sink: RecordSink): void {
    this.#sinks.push(sink);
  }

  /** Sequence number of the last record. */
  get seq(): number {
    return this.#seq;
  }

  /**
   * The whole run's state between two commands: sequence, time, RNG, memory, user memory, fault
   * handlers and every unit's saveState(). Throws VIOMMU_ERR_SNAPSHOT_UNSUPPORTED when a unit's
   * plugin cannot save its state.
   */
  saveState(): SimState {
    if (this.#cause !== 0)
      throw new ViommuError(ERROR_CODES.COMMAND_INVALID, 'a snapshot is taken between commands only');
    const units = new Map<string, unknown>();
    for (const [id, unit] of this.units) units.set(id, stateOps(id, unit).save());
    return {
      seq: this.#seq,
      time: this.clock.saveState(),
      rng: this.rng.saveState(),
      memory: this.memory.saveState(),
      frames: this.frames.saveState(),
      user: this.user.saveState(),
      faults: this.faults.saveState(),
      units,
    };
  }

  /** Restores saveState()'s data into a simulator built from the same configuration, before any command. */
  loadState(s: SimState): void {
    if (this.#seq !== 0)
      throw new ViommuError(
        ERROR_CODES.COMMAND_INVALID,
        'a snapshot is restored into a fresh simulator only',
      );
    for (const [id, unit] of this.units) {
      const saved = s.units.get(id);
      if (saved === undefined)
        throw new ViommuError(ERROR_CODES.CONFIG_INVALID, `snapshot: no state for unit "${id}"`);
      stateOps(id, unit).load(saved);
    }
    this.#seq = s.seq;
    this.clock.loadState(s.time);
    this.rng.loadState(s.rng);
    this.memory.loadState(s.memory);
    this.frames.loadState(s.frames);
    this.user.loadState(s.user);
    this.faults.loadState(s.faults);
  }

  /** Whether the core handles `type` itself (its own table and the commands defined on it). */
  handlesCommand(type: string): boolean {
    return this.#commands.has(type);
  }

  /** Adds a declared command the simulator runs itself (workloads, digests, tests). */
  defineCommand(type: string, spec: SimCommand): void {
    if (spec.type !== type)
      throw new ViommuError(ERROR_CODES.CONFIG_INVALID, `command "${type}" is declared as "${spec.type}"`);
    this.#commands.add(spec);
  }

  /** Runs one command to completion; returns its result (also recorded as its result event). */
  execute(cmd: CommandInput): UapiResult<JsonValue> {
    const seq = ++this.#seq;
    this.clock.advance(this.timing.command);
    const record: CommandRecord = {
      kind: 'command',
      seq,
      t: this.clock.now(),
      type: cmd.type,
      v: 1,
      data: cmd.data,
    };
    this.#out(record);
    const saved = this.#cause;
    this.#cause = seq;
    let result: UapiResult<JsonValue>;
    try {
      result = this.#dispatch(cmd);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!isCommandRejection(e)) {
        // Not an errno: recorded, then thrown past every expectation (see plugin-failure.ts).
        const unit = unitOfCommand(cmd.type, cmd.data, this.units, this.devices);
        const plugin = unit?.plugin ?? 'core';
        const code = isViommuError(e) ? e.code : ERROR_CODES.PLUGIN_THREW;
        this.emit('core.plugin.failed', { plugin, unit: unit?.id ?? null, code, message });
        this.#cause = saved;
        throw new PluginFailure(plugin, seq, cmd.type, e);
      }
      const code = (e as ViommuError).code;
      this.emit('core.command.failed', { code, message });
      result = { ok: false, errno: 'EINVAL', detail: `${code}: ${message}` };
    }
    if (result.ok) {
      this.emit('core.command.completed', { ok: true, errno: null, value: result.value ?? null });
    } else {
      this.emit('core.command.completed', { ok: false, errno: result.errno, detail: result.detail });
    }
    this.#cause = saved;
    return result;
  }

  /** Appends an event caused by the command being executed. */
  emit<K extends SimEventType>(type: K, data: SimEventMap[K]): void {
    if (this.#cause === 0)
      throw new ViommuError(ERROR_CODES.COMMAND_INVALID, `event "${type}" emitted outside a command`);
    const record: EventRecord = {
      kind: 'event',
      seq: ++this.#seq,
      t: this.clock.now(),
      type,
      v: 1,
      cause: this.#cause,
      data: data as JsonObject,
    };
    this.#out(record);
  }

  /** The device named `name`, or a ViommuError naming the command field. */
  device(name: unknown, field = 'device'): { readonly config: DeviceConfig; readonly unit: IommuUnit } {
    const d = typeof name === 'string' ? this.devices.get(name) : undefined;
    if (!d)
      throw new ViommuError(ERROR_CODES.COMMAND_INVALID, `${field}: unknown device ${JSON.stringify(name)}`);
    return d;
  }

  /**
   * Decodes the command's data with its declaration (an unknown or bad field throws
   * VIOMMU_ERR_COMMAND_INVALID naming it) and runs the handler on the typed values.
   */
  #dispatch(cmd: CommandInput): UapiResult<JsonValue> {
    const core = this.#commands.get(cmd.type);
    if (core !== undefined) return core.handler(this, core.decode(cmd.data));
    // Architecture commands: "<plugin>.<subject>.<verb>", routed to the unit named by data.unit,
    // or to the only unit of that plugin.
    const scope = cmd.type.slice(0, cmd.type.indexOf('.'));
    const unit = this.#unitForScope(scope, cmd.data.unit);
    if (!unit) throw new ViommuError(ERROR_CODES.COMMAND_UNKNOWN, `unknown command type "${cmd.type}"`);
    const spec = this.#unitCommands.get(cmd.type);
    if (spec === undefined || spec.scope !== scope)
      return fail('EOPNOTSUPP', `unknown ${scope} command "${cmd.type}"`);
    return spec.handler(unit, spec.decode(cmd.data));
  }

  /**
   * Runs architecture command `type` on `unit` inside the command being executed (a workload
   * generator's template step): decoded and handled as a step's would be; only the events it
   * emits are recorded, under the enclosing command.
   */
  runUnitCommand(unit: IommuUnit, type: string, data: JsonObject): UapiResult<JsonValue> {
    const spec = this.#unitCommands.get(type);
    if (spec === undefined || spec.scope !== unit.plugin)
      return fail('EOPNOTSUPP', `unknown ${unit.plugin} command "${type}"`);
    return spec.handler(unit, spec.decode(data));
  }

  #unitForScope(scope: string, named: JsonValue | undefined): IommuUnit | undefined {
    if (typeof named === 'string') {
      const u = this.units.get(named);
      if (!u) throw new ViommuError(ERROR_CODES.COMMAND_INVALID, `unit: unknown unit "${named}"`);
      if (u.plugin !== scope)
        throw new ViommuError(
          ERROR_CODES.COMMAND_INVALID,
          `unit: "${named}" is a ${u.plugin} unit, not ${scope}`,
        );
      return u;
    }
    let found: IommuUnit | undefined;
    for (const u of this.units.values()) {
      if (u.plugin !== scope) continue;
      if (found)
        throw new ViommuError(
          ERROR_CODES.COMMAND_INVALID,
          `unit: several ${scope} units; name one with "unit"`,
        );
      found = u;
    }
    return found;
  }

  #sinkFor(): EventSink {
    return { emit: (type, data) => this.emit(type, data) };
  }

  #out(record: LogRecord): void {
    for (const s of this.#sinks) s.append(record);
    this.bus.publish(record);
  }
}
