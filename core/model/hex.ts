/** Conversions between the hex strings of scenario and log payloads and numbers or bigints. */

const HEX = /^0x[0-9a-fA-F]+$/;

/** Parses "0x..." (or a non-negative safe integer) as a bigint; throws RangeError naming `what`. */
export function parseU64(value: unknown, what: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && HEX.test(value)) {
    const v = BigInt(value);
    if (v < 2n ** 64n) return v;
  }
  throw new RangeError(
    `${what}: expected a 64-bit value as "0x..." hex or a non-negative integer, got ${JSON.stringify(value)}`,
  );
}

/** Parses a value that must fit a JS number exactly (below 2^53). */
export function parseSafe(value: unknown, what: string): number {
  const v = parseU64(value, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what}: ${value} does not fit below 2^53`);
  return Number(v);
}

/** Formats a bigint or safe integer as 0x-prefixed, zero-padded to 16 hex digits. */
export function hex64(v: bigint | number): string {
  return `0x${BigInt(v).toString(16).padStart(16, '0')}`;
}

/** Formats as the shortest 0x-prefixed hex. */
export function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}

/** Decodes an even-length hex string (no prefix, spaces allowed) into bytes; throws naming `what`. */
export function hexToBytes(s: string, what: string): Uint8Array {
  const clean = s.replace(/^0x/, '').replace(/[\s_:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new RangeError(
      `${what}: expected hex bytes, got ${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s)}`,
    );
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
