import type { JsonObject } from '../plugin/contract.js';

/**
 * The Proxy handler a command's data is seen through: it notes every field a handler looks at
 * (read, tested with `in`, or described), so the simulator can fail a command given a field it
 * never read. A class rather than closure traps: one allocation per command. Its cost per
 * command, against reading the same fields plainly, is a row of bench/bus.bench.ts.
 */
export class FieldReads implements ProxyHandler<JsonObject> {
  readonly names: string[] = [];

  get(t: JsonObject, k: string | symbol): unknown {
    if (typeof k === 'string') this.names.push(k);
    return t[k as string];
  }

  has(t: JsonObject, k: string | symbol): boolean {
    if (typeof k === 'string') this.names.push(k);
    return k in t;
  }

  getOwnPropertyDescriptor(t: JsonObject, k: string | symbol): PropertyDescriptor | undefined {
    if (typeof k === 'string') this.names.push(k);
    return Reflect.getOwnPropertyDescriptor(t, k);
  }

  /** Fields of `data` no handler looked at; `unit` is routing, not a field of the command. */
  unread(data: JsonObject): string[] {
    const out: string[] = [];
    for (const k of Object.keys(data)) if (k !== 'unit' && !this.names.includes(k)) out.push(k);
    return out;
  }
}
