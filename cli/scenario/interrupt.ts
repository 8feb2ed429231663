/**
 * Stopping a run cleanly on SIGINT or SIGTERM. A run is synchronous work, so
 * signals (and the log's flush timer) are only seen when it yields to the
 * event loop: driveRunner yields about every 20 ms of wall time, between two
 * commands. Wall time decides only when to yield, never what the simulation
 * does: its clock stays the virtual one.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export interface SignalWatch {
  /** The first signal received, or null. */
  readonly received: NodeJS.Signals | null;
  dispose(): void;
}

const WATCHED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Catches SIGINT and SIGTERM until dispose(). The first one is recorded and the handlers are
 * removed, so a second one ends the process as usual (an impatient Ctrl-C still works).
 */
export function watchSignals(): SignalWatch {
  let received: NodeJS.Signals | null = null;
  const off = () => {
    for (const s of WATCHED) process.off(s, on);
  };
  const on = (signal: NodeJS.Signals) => {
    received = signal;
    off();
  };
  for (const s of WATCHED) process.on(s, on);
  return {
    get received() {
      return received;
    },
    dispose: off,
  };
}

/** Exit status of a process ended by `signal`, as shells report it (128 + its number). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

const YIELD_MS = 20;

/** Runs every step, yielding to the event loop now and then; stops early when a signal is received. */
export async function driveRunner(runner: { step(): boolean }, signals: SignalWatch): Promise<void> {
  let last = performance.now();
  let n = 0;
  while (signals.received === null && runner.step()) {
    if ((++n & 63) !== 0) continue;
    const now = performance.now();
    if (now - last < YIELD_MS) continue;
    await yieldToEventLoop();
    last = performance.now();
  }
}
