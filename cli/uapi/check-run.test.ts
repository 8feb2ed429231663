import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../core/uapi/errno.js';
import { KERNEL_NAMES } from '../../core/uapi/kernel-versions.js';
import { runBatch } from './batch.js';
import { CHECK_OPS, runCheck } from './check-run.js';

describe('runCheck and runBatch on arbitrary input', () => {
  it('runCheck never throws and reports ok or a Linux errno, never copying more than is readable', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHECK_OPS),
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(),
        fc.constantFrom(...KERNEL_NAMES),
        (op, bytes, cut, kernel) => {
          const readable = cut % (bytes.length + 1);
          const r = runCheck(op, bytes, readable, kernel);
          expect(r.ok).toBe(r.errno === null);
          if (r.errno !== null) expect(r.errnoNumber).toBe(ERRNO[r.errno as keyof typeof ERRNO]);
          expect(r.copied).toBeLessThanOrEqual(readable);
          expect(JSON.parse(JSON.stringify(r))).toEqual(r); // JSON-safe: no bigint, no typed arrays
        },
      ),
    );
  });

  it('runBatch never throws: every non-blank line gives a result or an error naming its line', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 8 }), (lines) => {
        const text = lines.join('\n');
        const out = runBatch('f.jsonl', text, 'v5.10');
        const nonBlank = text.split(/\r?\n/).filter((l) => l.trim() !== '').length;
        expect(out.lines).toHaveLength(nonBlank);
        const parsed = out.lines.map((l) => JSON.parse(l) as { line: number; error?: string });
        expect(parsed.filter((p) => p.error !== undefined)).toHaveLength(out.bad);
        for (const p of parsed)
          if (p.error) expect(p.error).toMatch(new RegExp(`^f\\.jsonl line ${p.line}: `));
      }),
    );
  });
});
