/** device.dma.access: a device's DMA request, translated by the unit it sits behind. */
import { hex64 } from '../../model/hex.js';
import { FAULT_KIND_NAME, NO_PASID, TranslationRequest, TranslationResult } from '../../model/translation.js';
import { ok } from '../../uapi/errno.js';
import { accessField, boolField, intField, u64Field } from './fields.js';
import type { CommandHandler } from './index.js';

// One request/result pair reused by every DMA command: the simulator is single-threaded.
const req = new TranslationRequest();
const res = new TranslationResult();

export const dmaAccess: CommandHandler = (sim, data) => {
  const dev = sim.device(data.device);
  const iova = u64Field(data, 'iova');
  req.sid = dev.config.sid;
  req.pasid = intField(data, 'pasid', -1, 0xfffff, NO_PASID);
  req.iovaPfn = Number(iova >> 12n);
  req.offset = Number(iova & 0xfffn);
  req.access = accessField(data, 'access');
  req.ats = boolField(data, 'ats', false);
  res.reset();
  const kind = dev.unit.translate(req, res);
  sim.clock.advance(sim.timing.translation + sim.timing.memRead * res.memReads);
  if (kind !== 0) {
    return ok({ fault: FAULT_KIND_NAME[kind] ?? `kind ${kind}`, code: res.archCode, reads: res.memReads });
  }
  const out = BigInt(res.outPfn) * 4096n + BigInt(res.offset);
  return ok({ out: hex64(out), shift: res.pageShift, perm: res.perm, hit: res.hit, reads: res.memReads });
};
