/**
 * The MMIO register file (reference smmuv3-amdvi.md B.1). Writes are checked:
 * enabling a feature the model lacks is refused with an errno naming the bit,
 * never accepted silently. Decoded values sit in plain number fields for the
 * hot path.
 */
import { hex64 } from '../../core/model/hex.js';
import { fail, ok, type UapiResult } from '../../core/uapi/errno.js';
import {
  AMDVI_CTRL,
  AMDVI_EFR,
  AMDVI_MMIO,
  AMDVI_STATUS,
  type AmdviMmioName,
  CTRL_UNSUPPORTED,
  QUEUE_LEN_MAX,
  QUEUE_LEN_MIN,
  STATUS_W1C,
} from './structures/mmio.js';

const MASK_51_12 = ((1n << 52n) - 1n) & ~0xfffn;

export class AmdviRegisters {
  /** Raw values of the writable registers, by name. */
  readonly raw = new Map<AmdviMmioName, bigint>();
  devTabBase = 0;
  devTabPages = 0;
  cmdBase = 0;
  cmdBytes = 0;
  cmdHead = 0;
  cmdTail = 0;
  evtBase = 0;
  evtBytes = 0;
  evtHead = 0;
  evtTail = 0;
  status = 0;
  iommuEn = false;
  eventLogEn = false;
  eventIntEn = false;
  comWaitIntEn = false;
  cmdBufEn = false;

  constructor() {
    for (const name of Object.keys(AMDVI_MMIO) as AmdviMmioName[]) this.raw.set(name, 0n);
    this.raw.set('EFR', AMDVI_EFR);
  }

  read(name: AmdviMmioName): bigint {
    switch (name) {
      case 'CMD_HEAD':
        return BigInt(this.cmdHead);
      case 'CMD_TAIL':
        return BigInt(this.cmdTail);
      case 'EVT_HEAD':
        return BigInt(this.evtHead);
      case 'EVT_TAIL':
        return BigInt(this.evtTail);
      case 'STATUS':
        return BigInt(this.status);
      default:
        return this.raw.get(name) ?? 0n;
    }
  }

  /** Writes a register. EINVAL for malformed values, EOPNOTSUPP for features not modelled. */
  write(name: AmdviMmioName, v: bigint): UapiResult<null> {
    switch (name) {
      case 'DEV_TAB_BASE':
        this.devTabBase = Number(v & MASK_51_12);
        this.devTabPages = Number(v & 0x1ffn) + 1;
        break;
      case 'CMD_BUF_BASE':
      case 'EVT_LOG_BASE': {
        const len = Number((v >> 56n) & 0xfn);
        if (len < QUEUE_LEN_MIN || len > QUEUE_LEN_MAX) {
          return fail(
            'EINVAL',
            `${name}: length field ${len} (bits 59:56) must be ${QUEUE_LEN_MIN}..${QUEUE_LEN_MAX}`,
          );
        }
        if (name === 'CMD_BUF_BASE') {
          this.cmdBase = Number(v & MASK_51_12);
          this.cmdBytes = 16 * 2 ** len;
        } else {
          this.evtBase = Number(v & MASK_51_12);
          this.evtBytes = 16 * 2 ** len;
        }
        break;
      }
      case 'CONTROL': {
        for (const bit of CTRL_UNSUPPORTED) {
          if (v & AMDVI_CTRL[bit])
            return fail(
              'EOPNOTSUPP',
              `CONTROL.${bit}: the feature is not modelled (EFR does not advertise it)`,
            );
        }
        const wasCmd = this.cmdBufEn;
        const wasEvt = this.eventLogEn;
        this.iommuEn = (v & AMDVI_CTRL.IOMMUEn) !== 0n;
        this.eventLogEn = (v & AMDVI_CTRL.EventLogEn) !== 0n;
        this.eventIntEn = (v & AMDVI_CTRL.EventIntEn) !== 0n;
        this.comWaitIntEn = (v & AMDVI_CTRL.ComWaitIntEn) !== 0n;
        this.cmdBufEn = (v & AMDVI_CTRL.CmdBufEn) !== 0n;
        // Enabling a queue starts it; disabling stops it (the Run status bits follow).
        if (this.cmdBufEn && !wasCmd) this.status |= AMDVI_STATUS.CmdBufRun;
        if (!this.cmdBufEn) this.status &= ~AMDVI_STATUS.CmdBufRun;
        if (this.eventLogEn && !wasEvt) this.status |= AMDVI_STATUS.EventLogRun;
        if (!this.eventLogEn) this.status &= ~AMDVI_STATUS.EventLogRun;
        break;
      }
      case 'EXCL_BASE':
        if (v & 1n) return fail('EOPNOTSUPP', 'EXCL_BASE.ExEn: the exclusion range is not modelled');
        break;
      case 'EXCL_LIMIT':
        break;
      case 'EFR':
        return fail('EINVAL', 'EFR is read-only');
      case 'PPR_LOG_BASE':
        if (v !== 0n) return fail('EOPNOTSUPP', 'PPR_LOG_BASE: the PPR log is not modelled (EFR.PPRSup = 0)');
        break;
      case 'CMD_HEAD':
      case 'CMD_TAIL':
      case 'EVT_HEAD':
      case 'EVT_TAIL': {
        const size = name.startsWith('CMD') ? this.cmdBytes : this.evtBytes;
        const off = Number(v);
        if (v % 16n !== 0n || v >= BigInt(Math.max(size, 1))) {
          return fail(
            'EINVAL',
            `${name}: 0x${v.toString(16)} must be a 16-byte aligned offset inside the ${size}-byte buffer`,
          );
        }
        if (name === 'CMD_HEAD') this.cmdHead = off;
        else if (name === 'CMD_TAIL') this.cmdTail = off;
        else if (name === 'EVT_HEAD') this.evtHead = off;
        else this.evtTail = off;
        return ok(null);
      }
      case 'STATUS':
        this.status &= ~(Number(v) & STATUS_W1C);
        return ok(null);
    }
    this.raw.set(name, v);
    return ok(null);
  }

  /** The register dump: every MMIO register by name in offset order, as 0x and 16 hex digits (the unit's digest state). */
  dump(): { [k: string]: string } {
    const out: { [k: string]: string } = {};
    for (const name of Object.keys(AMDVI_MMIO) as AmdviMmioName[]) out[name] = hex64(this.read(name));
    return out;
  }
}
