import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { offsetOf, offsetOfEnd } from './layout-dsl.js';
import { layoutReport } from './layout-report.js';
import { LAYOUT_NAMES, LAYOUTS } from './layouts.js';

interface GccField {
  name: string;
  offset: number;
  size: number;
  type: string;
}
interface GccStruct {
  size: number;
  align: number;
  fields: GccField[];
}

// gcc's offsetof/sizeof dump of the header (our copy of reference/uapi-layout.json).
const gcc = JSON.parse(
  readFileSync(new URL('./fixtures/uapi-layout.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

describe('layout report against gcc', () => {
  const report = layoutReport('v5.10');

  it('lists exactly the nine v5.10 structs, in header order', () => {
    expect(Object.keys(report)).toEqual([...LAYOUT_NAMES]);
    const gccNames = Object.keys(gcc).filter((k) => k.startsWith('iommu_') && !k.includes('.'));
    expect(Object.keys(report)).toEqual(gccNames);
  });

  for (const name of LAYOUT_NAMES) {
    it(`${name}: size, alignment and every field match gcc`, () => {
      const want = gcc[name] as GccStruct;
      const got = report[name];
      expect(got.size).toBe(want.size);
      expect(got.align).toBe(want.align);
      expect(got.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size, type: f.type }))).toEqual(
        want.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size, type: f.type })),
      );
    });
  }

  it('the named and anonymous unions have gcc size and place', () => {
    for (const [key, struct, field] of [
      ['iommu_cache_invalidate_info.granu', 'iommu_cache_invalidate_info', 'granu'],
      ['iommu_gpasid_bind_data.vendor', 'iommu_gpasid_bind_data', 'vendor'],
    ] as const) {
      const u = gcc[key] as { size: number; offset_in_parent: number };
      expect(offsetOf(LAYOUTS[struct], field)).toBe(u.offset_in_parent);
      expect(offsetOfEnd(LAYOUTS[struct], field) - offsetOf(LAYOUTS[struct], field)).toBe(u.size);
    }
    const anon = gcc['iommu_fault.(anonymous union)'] as { size: number; offset_in_parent: number };
    expect(offsetOf(LAYOUTS.iommu_fault, 'padding2')).toBe(anon.offset_in_parent);
    expect(LAYOUTS.iommu_fault.size - anon.offset_in_parent).toBe(anon.size);
  });

  it('the minsz and required-argsz values derive from the layout as gcc computed them', () => {
    const minsz = gcc.minsz as Record<string, Record<string, number>>;
    const ci = minsz.iommu_cache_invalidate_info;
    expect(offsetOf(LAYOUTS.iommu_cache_invalidate_info, 'granu')).toBe(ci.mandatory_minsz_offsetof_granu);
    expect(offsetOfEnd(LAYOUTS.iommu_cache_invalidate_info, 'granu.pasid_info')).toBe(
      ci['required_argsz_if_granularity_PASID_offsetofend_granu.pasid_info'],
    );
    expect(offsetOfEnd(LAYOUTS.iommu_cache_invalidate_info, 'granu.addr_info')).toBe(
      ci['required_argsz_if_granularity_ADDR_offsetofend_granu.addr_info'],
    );
    const bd = minsz.iommu_gpasid_bind_data;
    expect(offsetOf(LAYOUTS.iommu_gpasid_bind_data, 'vendor')).toBe(bd.mandatory_minsz_offsetof_vendor);
    expect(offsetOfEnd(LAYOUTS.iommu_gpasid_bind_data, 'vendor.vtd')).toBe(
      bd['vtd_required_argsz_offsetofend_vendor.vtd'],
    );
  });
});

describe('pre-argsz v5.8 layouts', () => {
  const legacy = gcc.legacy_pre_argsz_v5_8 as Record<string, GccStruct>;
  const report = layoutReport('v5.8');

  for (const name of ['iommu_page_response', 'iommu_cache_invalidate_info', 'iommu_gpasid_bind_data']) {
    it(`${name}: size and top-level fields match the v5.8 header`, () => {
      const got = report[name];
      expect(got.size).toBe(legacy[name].size);
      expect(got.align).toBe(legacy[name].align);
      // The v5.8 dump lists anonymous-union members but not their sub-fields.
      const top = got.fields.filter((f) => !f.name.includes('.'));
      expect(top.map((f) => [f.name, f.offset, f.size])).toEqual(
        legacy[name].fields.map((f) => [f.name, f.offset, f.size]),
      );
    });
  }

  it('has no argsz, which is why a v5.8 binary cannot talk to a v5.10 kernel', () => {
    for (const e of Object.values(report)) expect(e.fields.some((f) => f.name === 'argsz')).toBe(false);
  });
});
