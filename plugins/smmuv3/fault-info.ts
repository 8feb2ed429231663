/**
 * What a fault needs for its event record: one preallocated object the
 * translate path fills (no allocation), then hands to the recorder (cold path).
 */
import { NO_PASID } from '../../core/model/translation.js';

export class FaultInfo {
  /** SMMU event code. */
  code = 0;
  sid = 0;
  /** Substream id, or NO_PASID. */
  ssid = NO_PASID;
  /** Fault at stage 2 (event S2 bit). */
  s2 = false;
  /** EVENT_CLASS: CD, TTD or IN. */
  cls = 0;
  /** Input address as page number + offset. */
  inPfn = 0;
  offset = 0;
  /** IPA of a stage-2 fault (byte address < 2^52). */
  ipa = 0;
  /** Physical address of an aborted fetch (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT). */
  fetchAddr = 0;
  /** Request attributes. */
  read = false;
  exec = false;
  priv = false;
  /** Whether the configuration asks for this fault to be recorded (CD.R / STE.S2R; config errors always). */
  record = true;
  /** The fault is the model's answer to something it does not model (FAULT_KIND.NOT_MODELLED). */
  notModelled = false;
  /** Why: a constant string naming the check (STE/CD field), or null. */
  reason: string | null = null;
  level = 0;

  reset(): void {
    this.code = 0;
    this.sid = 0;
    this.ssid = NO_PASID;
    this.s2 = false;
    this.cls = 0;
    this.inPfn = 0;
    this.offset = 0;
    this.ipa = 0;
    this.fetchAddr = 0;
    this.read = false;
    this.exec = false;
    this.priv = false;
    this.record = true;
    this.notModelled = false;
    this.reason = null;
    this.level = 0;
  }
}
