/**
 * UAPI payloads written as struct fields rather than raw hex. A step may give
 * `data.payload = { struct, header?, fields?, size?, fill?, tail? }`; the loader
 * encodes it to `data.hex` before the run, so logs and replays only ever see
 * bytes. `size` cuts the struct short or extends it (argsz games: old user /
 * new kernel, new user / old kernel); extension bytes are `fill` (default 0)
 * and then `tail` overrides the first extension bytes (non-zero garbage).
 * When `fields.argsz` is absent and the struct has one, argsz = sizeof.
 */
import { bytesToHex, hexToBytes } from '../model/hex.js';
import type { JsonObject } from '../plugin/contract.js';
import { encodeLayout, layoutFromJson } from '../uapi/codec.js';
import type { Layout } from '../uapi/layout-dsl.js';
import { HEADERS, type HeaderVersion } from '../uapi/layouts.js';
import type { Checker } from './check.js';

export const PAYLOAD_KEYS = ['struct', 'header', 'fields', 'size', 'fill', 'tail'] as const;

/** Encodes a payload spec to hex; records problems at `path` and returns undefined on error. */
export function encodePayload(spec: JsonObject, path: string, ck: Checker): string | undefined {
  ck.noUnknownKeys(spec, path, PAYLOAD_KEYS);
  const header = (
    spec.header === undefined ? 'v5.10' : ck.oneOf(spec.header, `${path}.header`, Object.keys(HEADERS))
  ) as HeaderVersion | undefined;
  if (header === undefined) return undefined;
  const layouts = HEADERS[header];
  const name = ck.oneOf(spec.struct, `${path}.struct`, Object.keys(layouts));
  if (name === undefined) return undefined;
  const layout: Layout = layouts[name];
  const fields = spec.fields === undefined ? {} : ck.object(spec.fields, `${path}.fields`);
  if (fields === undefined) return undefined;
  const hasArgsz = layout.fields.some((f) => f.name === 'argsz');
  const withArgsz = hasArgsz && fields.argsz === undefined ? { ...fields, argsz: layout.size } : fields;
  let bytes: Uint8Array;
  try {
    bytes = encodeLayout(layout, layoutFromJson(layout, withArgsz));
  } catch (e) {
    // The codec names the field as "<struct>.<field>"; re-anchor it under `fields`.
    const msg = e instanceof Error ? e.message.replace(new RegExp(`^${name}\\.?`), '') : String(e);
    return ck.add(`${path}.fields`, msg);
  }
  const size = spec.size === undefined ? layout.size : ck.int(spec.size, `${path}.size`, 0, 65536);
  const fill = spec.fill === undefined ? 0 : ck.int(spec.fill, `${path}.fill`, 0, 255);
  if (size === undefined || fill === undefined) return undefined;
  const out = new Uint8Array(size).fill(fill);
  out.set(bytes.subarray(0, Math.min(size, bytes.length)));
  if (spec.tail !== undefined) {
    const tailHex = ck.string(spec.tail, `${path}.tail`);
    if (tailHex === undefined) return undefined;
    let tail: Uint8Array;
    try {
      tail = hexToBytes(tailHex, `${path}.tail`);
    } catch (e) {
      return ck.add(`${path}.tail`, (e as Error).message);
    }
    if (layout.size + tail.length > size) {
      return ck.add(
        `${path}.tail`,
        `${tail.length} bytes do not fit after the ${layout.size}-byte struct within size ${size}`,
      );
    }
    out.set(tail, layout.size);
  }
  return bytesToHex(out);
}
