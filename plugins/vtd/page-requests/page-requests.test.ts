import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePageGroupResponse, encodePageGroupResponse } from './page-group-response.js';
import {
  decodePageRequest,
  encodePageRequest,
  isStopMarker,
  type PageRequestDescriptor,
} from './page-request-descriptor.js';
import { PageRequestQueue } from './page-request-queue.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const descriptor: fc.Arbitrary<PageRequestDescriptor> = fc.record({
  rid: fc.integer({ min: 0, max: 0xffff }),
  pasidPresent: fc.boolean(),
  pasid: fc.integer({ min: 0, max: 0xfffff }),
  privateDataPresent: fc.boolean(),
  exec: fc.boolean(),
  priv: fc.boolean(),
  read: fc.boolean(),
  write: fc.boolean(),
  lpig: fc.boolean(),
  prgIndex: fc.integer({ min: 0, max: 0x1ff }),
  pageField: fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }),
  privateData: fc.tuple(u64, u64),
});

describe('page request descriptor (vtd.md §6.3)', () => {
  it('places every field at its bit position', () => {
    const [qw0, qw1, qw2, qw3] = encodePageRequest({
      rid: 0x1234,
      pasidPresent: true,
      pasid: 0xabcde,
      privateDataPresent: true,
      exec: true,
      priv: true,
      read: true,
      write: false,
      lpig: true,
      prgIndex: 0x1ff,
      pageField: 0xf_ffff_ffff_ffffn,
      privateData: [0x1111n, 0x2222n],
    });
    expect(qw0).toBe(0x003a_bcde_1234_0301n);
    expect(qw1).toBe(0xffff_ffff_ffff_fffdn);
    expect([qw2, qw3]).toEqual([0x1111n, 0x2222n]);
  });

  it('decode(encode(d)) = d', () => {
    fc.assert(
      fc.property(descriptor, (d) => {
        expect(decodePageRequest(encodePageRequest(d))).toEqual(d);
      }),
    );
  });

  it('any four qwords decode without throwing, within field widths', () => {
    fc.assert(
      fc.property(fc.tuple(u64, u64, u64, u64), (qw) => {
        const d = decodePageRequest(qw);
        expect(d.pasid).toBeLessThan(1 << 20);
        expect(d.prgIndex).toBeLessThan(512);
      }),
    );
  });

  it('a stop marker is LPIG without read or write', () => {
    expect(isStopMarker({ lpig: true, read: false, write: false })).toBe(true);
    expect(isStopMarker({ lpig: true, read: true, write: false })).toBe(false);
    expect(isStopMarker({ lpig: false, read: false, write: false })).toBe(false);
  });
});

describe('page group response descriptor (type 0x9)', () => {
  it('places every field at its bit position', () => {
    const d = encodePageGroupResponse({
      rid: 0x0108,
      pasidPresent: true,
      pasid: 0x42,
      privateDataPresent: true,
      code: 1,
      lpig: true,
      prgIndex: 0x155,
      privateData: [0xaan, 0xbbn],
    });
    expect(d).toEqual([0x0000_0042_0108_1039n, 0xaacn, 0xaan, 0xbbn]);
    expect(decodePageGroupResponse(d)).toEqual({
      type: 9,
      rid: 0x108,
      pasidPresent: true,
      pasid: 0x42,
      privateDataPresent: true,
      code: 1,
      lpig: true,
      prgIndex: 0x155,
      privateData: [0xaan, 0xbbn],
    });
  });

  it('writes the code unmasked, like QI_PGRP_RESP_CODE: 0x12 spills into the requester id', () => {
    const d = encodePageGroupResponse({
      rid: 0x100,
      pasidPresent: false,
      pasid: 0,
      privateDataPresent: false,
      code: 0x12,
      lpig: true,
      prgIndex: 0,
      privateData: [0n, 0n],
    });
    const back = decodePageGroupResponse(d);
    expect(back.code).toBe(2);
    expect(back.rid).toBe(0x101);
  });
});

describe('PageRequestQueue', () => {
  const desc = (n: number): bigint[] => [BigInt(n), BigInt(n) << 12n, 0n, 0n];

  it('holds entries-1 descriptors, then overflows with PRO and drops', () => {
    const q = new PageRequestQueue(4);
    expect(q.enqueue(desc(1))).toEqual({ queued: true, slot: 0 });
    expect(q.enqueue(desc(2))).toEqual({ queued: true, slot: 1 });
    expect(q.enqueue(desc(3))).toEqual({ queued: true, slot: 2 });
    expect(q.full).toBe(true);
    expect(q.enqueue(desc(4))).toEqual({ queued: false });
    expect(q.overflow).toBe(true);
    expect(q.overflows).toBe(1);
    expect(q.count).toBe(3);
    expect(q.read(q.head)).toEqual(desc(1));
  });

  it('wraps around and keeps FIFO order', () => {
    const q = new PageRequestQueue(3);
    const seen: bigint[] = [];
    for (let i = 1; i <= 7; i++) {
      expect(q.enqueue(desc(i)).queued).toBe(true);
      seen.push(q.read(q.head)[0]);
      q.advanceHead();
    }
    expect(seen).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(q.pending).toBe(false);
    expect(() => q.advanceHead()).toThrow(RangeError);
  });

  it('stores all 64 bits of each qword', () => {
    const q = new PageRequestQueue(2);
    const d = [0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0001n, 0x1234_5678_9abc_def0n, 1n];
    q.enqueue(d);
    expect(q.read(0)).toEqual(d);
  });

  it('sizes from PQS: 128 descriptors per 4 KiB', () => {
    expect(PageRequestQueue.ofOrder(0).entries).toBe(128);
    expect(PageRequestQueue.ofOrder(4).entries).toBe(2048);
    expect(() => PageRequestQueue.ofOrder(8)).toThrow(/prqOrder/);
  });
});
