/** device.dma.access: a device's DMA request, translated by the unit it sits behind. */
import { defineCommand } from '../../command/catalog.js';
import { access, bool, device, hexAddr64, int, offsetOf, pageOf } from '../../command/field.js';
import { hex64 } from '../../model/hex.js';
import { FAULT_KIND_NAME, NO_PASID, TranslationRequest, TranslationResult } from '../../model/translation.js';
import { ok } from '../../uapi/errno.js';
import type { Simulator } from '../simulator.js';

// One request/result pair reused by every DMA command: the simulator is single-threaded.
const req = new TranslationRequest();
const res = new TranslationResult();

export const dmaAccess = defineCommand('device.dma.access', {
  doc: 'One DMA request from a device, translated by its unit: the output address, or the fault.',
  result:
    "`{ out, shift, perm, hit, reads }`, or `{ fault, code, reads }`: `fault` the cross-architecture kind (TRANSLATION, PERMISSION, BAD_CONFIG, BLOCKED, ...), `code` the architecture's own (VT-d fault reason, SMMUv3 event number, AMD-Vi event code)",
  fields: {
    device: device().describe('the requesting device'),
    iova: hexAddr64().describe('the input (I/O virtual) address'),
    access: access().describe('r, w, x and p (privileged); without p the request is unprivileged'),
    pasid: int(-1, 0xfffff).describe('the PASID; -1 or absent for a request without one').def(NO_PASID),
    ats: bool().describe('an ATS translation request (the device-TLB fill path)').def(false),
  },
  handler: (sim: Simulator, d) => {
    const dev = sim.device(d.device);
    req.sid = dev.config.sid;
    req.pasid = d.pasid;
    req.iovaPfn = pageOf(d.iova);
    req.offset = offsetOf(d.iova);
    req.access = d.access;
    req.ats = d.ats;
    res.reset();
    const kind = dev.unit.translate(req, res);
    sim.clock.advance(sim.timing.translation + sim.timing.memRead * res.memReads);
    if (kind !== 0) {
      return ok({ fault: FAULT_KIND_NAME[kind] ?? `kind ${kind}`, code: res.archCode, reads: res.memReads });
    }
    const out = BigInt(res.outPfn) * 4096n + BigInt(res.offset);
    return ok({ out: hex64(out), shift: res.pageShift, perm: res.perm, hit: res.hit, reads: res.memReads });
  },
});
