/**
 * Event-log entry, 16 bytes as dwords w0..w3 (AMD IOMMU spec "Event Log";
 * reference smmuv3-amdvi.md B.6): w0 DeviceID 15:0 and PASID[19:16] at 19:16;
 * w1 PASID[15:0] or DomainID at 15:0, flags 27:16, event code 31:28; w2/w3 the
 * 64-bit address.
 */
export const EVENT_BYTES = 16;

export interface EventEntry {
  code: number;
  deviceId: number;
  /** 16 bits of DomainID or low PASID, as the event type defines. */
  tag: number;
  /** PASID bits 19:16 (GN events). */
  pasidHi: number;
  flags: number;
  /** The address field (DMA address, DTE address, PTE address or command address). */
  address: bigint;
}

export function encodeEventEntry(e: EventEntry): [number, number, number, number] {
  const w0 = ((e.deviceId & 0xffff) | ((e.pasidHi & 0xf) << 16)) >>> 0;
  const w1 = ((e.tag & 0xffff) | ((e.flags & 0xfff) << 16) | ((e.code & 0xf) << 28)) >>> 0;
  return [w0, w1, Number(e.address & 0xffff_ffffn), Number((e.address >> 32n) & 0xffff_ffffn)];
}

export function decodeEventEntry(w0: number, w1: number, w2: number, w3: number): EventEntry {
  return {
    code: w1 >>> 28,
    deviceId: w0 & 0xffff,
    tag: w1 & 0xffff,
    pasidHi: (w0 >>> 16) & 0xf,
    flags: (w1 >>> 16) & 0xfff,
    address: (BigInt(w3 >>> 0) << 32n) | BigInt(w2 >>> 0),
  };
}
