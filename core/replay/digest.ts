/**
 * State digests for checkpoints: a stable 64-bit hash of every unit's
 * digestState() (canonical JSON, units in configuration order) and of memory's
 * written pages (page number and words; all-zero pages are skipped, so a page
 * that was only touched does not change the digest). Two-lane word-wise FNV
 * (perf-notes §5). `core.state.digest` records it as `core.state.digested`.
 */

import { type DataOf, defineCommand } from '../command/catalog.js';
import type { JsonValue } from '../plugin/contract.js';
import type { Simulator } from '../sim/simulator.js';
import { ok } from '../uapi/errno.js';

declare module '../command/catalog.js' {
  interface CommandMap {
    'core.state.digest': DataOf<typeof stateDigestCommand>;
  }
}

declare module '../events/event-map.js' {
  interface SimEventMap {
    /** A checkpoint: the state digest after the commands so far. */
    'core.state.digested': { digest: string; pages: number; units: string[] };
  }
}

class Fnv2 {
  a = 0x811c9dc5;
  b = 0x9e3779b9;

  word(w: number): void {
    this.a = Math.imul(this.a ^ w, 0x01000193);
    this.b = Math.imul(this.b ^ w, 0x5bd1e995) ^ (this.a >>> 13);
  }

  string(s: string): void {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  hex(): string {
    return `0x${(this.a >>> 0).toString(16).padStart(8, '0')}${(this.b >>> 0).toString(16).padStart(8, '0')}`;
  }
}

/** JSON with object keys sorted, so a snapshot's digest does not depend on key order. */
export function canonicalJson(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as { [k: string]: JsonValue })[k])}`).join(',')}}`;
}

export interface StateDigest {
  readonly digest: string;
  /** Non-zero memory pages hashed. */
  readonly pages: number;
}

export function stateDigest(sim: Simulator): StateDigest {
  const h = new Fnv2();
  for (const [id, unit] of sim.units) {
    h.string(id);
    h.string(canonicalJson(unit.digestState()));
  }
  let pages = 0;
  for (const [pfn, words] of sim.memory.writtenPages()) {
    let any = 0;
    for (let i = 0; i < words.length; i++) any |= words[i];
    if (any === 0) continue;
    pages++;
    h.word(pfn | 0);
    h.word((pfn / 0x1_0000_0000) | 0);
    for (let i = 0; i < words.length; i++) h.word(words[i]);
  }
  return { digest: h.hex(), pages };
}

export const stateDigestCommand = defineCommand('core.state.digest', {
  doc: "A checkpoint: records the digest of every unit's state and of written memory (core.state.digested).",
  fields: {},
  handler: (sim: Simulator) => {
    const d = stateDigest(sim);
    sim.emit('core.state.digested', { digest: d.digest, pages: d.pages, units: [...sim.units.keys()] });
    return ok({ digest: d.digest });
  },
});
