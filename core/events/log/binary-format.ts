/**
 * The binary log layout (format version 1). All integers little-endian;
 * "varint" = unsigned LEB128 (7 bits per byte, low group first), up to 2^53.
 *
 *   file    = magic(8) version(u32) headerFrame recordFrame* endMarker?
 *   frame   = varint length (>= 1) · u32 checksum · payload[length]
 *             checksum = frameChecksum(payload, seq) (checksum.ts); seq 0 = header
 *   header  = UTF-8 JSON of the LogHeader, keys in declared order
 *   record  = varint recordType · varint (t - previous t) · [varint (seq - cause), events only] · value(data)
 *             recordType 0 defines the next record type inline: u8 kind (0 command, 1 event) · value(type string) · varint v;
 *             n > 0 refers to record type n - 1. seq is implicit: 1 for the first record, then +1.
 *   end     = 0x00 · "END" · u32 lastSeq low · u32 lastSeq high · u32 checksum of the 12 bytes before it (16 bytes)
 *
 * A file without the end marker is a run cut short: readers return its complete
 * frames and report where it stops. Values are tagged (one byte, table below).
 * Strings of up to INTERN_MAX_CHARS characters and object key lists ("shapes")
 * go into dictionaries that grow as records are written: the first use defines
 * the entry inline, later uses name it by index. The dictionaries depend only on
 * the records written so far, so the same records always give the same bytes.
 */

/** 0x89 guards against 7-bit transports, CR LF and 0x1a against text-mode conversions (as PNG does). */
export const BINARY_MAGIC: readonly number[] = [0x89, 0x56, 0x45, 0x56, 0x0d, 0x0a, 0x1a, 0x0a];
export const BINARY_PREAMBLE_BYTES = 12;
export const END_MARKER_BYTES = 16;
export const END_MARKER_TAG: readonly number[] = [0x00, 0x45, 0x4e, 0x44];
/** Seed (in place of a seq) for the end marker's checksum. */
export const END_MARKER_SEED = 0x454e44;

export const RECORD_KIND_COMMAND = 0;
export const RECORD_KIND_EVENT = 1;

/** Longer strings are stored inline every time (they are rarely repeated: messages, dumps). */
export const INTERN_MAX_CHARS = 64;
/** Nesting limit for arrays and objects in payloads; deeper input is refused on write and on read. */
export const MAX_DEPTH = 64;

/** Value tags. */
export const TAG = {
  /** 0x00-0x7f: the integer 0..127. */
  FIXINT_MAX: 0x7f,
  /** 0x80-0x8f: the integer -1..-16. */
  FIXNEG: 0x80,
  FIXNEG_COUNT: 16,
  /** 0x90-0xaf: string dictionary entry 0..31. */
  FIXSTR: 0x90,
  FIXSTR_COUNT: 32,
  /** 0xb0-0xbf: shape dictionary entry 0..15, then one value per key. */
  FIXSHAPE: 0xb0,
  FIXSHAPE_COUNT: 16,
  NULL: 0xc0,
  FALSE: 0xc1,
  TRUE: 0xc2,
  /** varint n: the integer n. */
  UINT: 0xc3,
  /** varint n: the integer -(n + 1). */
  NINT: 0xc4,
  /** f64: any other finite number. */
  F64: 0xc5,
  /** varint byteLength · UTF-8: a string, added to the dictionary. */
  STR_NEW: 0xc6,
  /** varint index: a string from the dictionary. */
  STR_REF: 0xc7,
  /** varint byteLength · UTF-8: a string not interned (longer than INTERN_MAX_CHARS). */
  STR_RAW: 0xc8,
  /** varint count · values. */
  ARRAY: 0xc9,
  /** varint keyCount · keys (string values) · values: an object whose key list becomes a new shape. */
  OBJ_NEW: 0xca,
  /** varint index · values: an object of a known shape. */
  OBJ_REF: 0xcb,
  /** u8 digits (1..16) · u8 n · n bytes: "0x" + lowercase hex zero-padded to `digits`. */
  HEX_W: 0xcc,
  /** 0xd0-0xd8: "0x" + 16 lowercase digits; the value in the next 0..8 bytes. */
  HEX16: 0xd0,
  /** 0xe0-0xe8: "0x" + lowercase hex without leading zeros ("0x0" for zero); value in 0..8 bytes. */
  HEXMIN: 0xe0,
} as const;
