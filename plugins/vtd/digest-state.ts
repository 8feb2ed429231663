/**
 * The hardware model's state for the unit's digest (digestState), JSON-safe with a stable key order:
 * registers, fault records, cache contents summary, domains.
 */
import { hex64 } from '../../core/model/hex.js';
import type { JsonObject } from '../../core/plugin/contract.js';
import { capRegister, ecapRegister } from './capabilities.js';
import type { VtdHardware } from './hardware.js';

export function digestHardwareState(hw: VtdHardware): JsonObject {
  const f = hw.faultRecorder.digestState();
  const counters = hw.caches.counters();
  const caches: Record<string, JsonObject> = {};
  for (const name of Object.keys(counters)) {
    const c = counters[name]!;
    caches[name] = { ...c };
  }
  caches.live = {
    context: hw.caches.context.liveCount(),
    pasid: hw.caches.pasid.liveCount(),
    iotlb: hw.caches.iotlb.liveCount(),
    slPsc: hw.caches.slPsc?.liveCount() ?? 0,
    flPsc: hw.caches.flPsc?.liveCount() ?? 0,
  };
  return {
    registers: {
      CAP: hex64(capRegister(hw.caps)),
      ECAP: hex64(ecapRegister(hw.caps)),
      RTADDR: hex64(BigInt(hw.rootTable) | (hw.scalable ? 1n << 10n : 0n)),
      TES: hw.translationEnabled,
      RTPS: hw.rootSet,
      PFO: f.pfo,
      PPF: f.ppf,
      FRI: f.fri,
      IQE: hw.qi.iqe,
      IQH: hw.qi.head,
      IQER: hw.qi.errorIndex,
      IWC: hw.qi.iwc,
      FECTL_IM: hw.faultRecorder.im,
      FECTL_IP: hw.faultRecorder.ip,
    },
    faultRecords: f.records as unknown as JsonObject[],
    caches,
    domains: [...hw.domains.values()]
      .sort((a, b) => a.did - b.did)
      .map((d) => ({
        did: d.did,
        slptptr: hex64(d.slptptr),
        levels: d.levels,
        nesting: d.nesting,
        maxAddr: hex64(d.maxAddr),
      })),
    attached: [...hw.attached.entries()].sort((a, b) => a[0] - b[0]).map(([sid, did]) => ({ sid, did })),
    counters: { translations: hw.translations, faults: hw.faultCount, memReads: hw.memReads },
  };
}
