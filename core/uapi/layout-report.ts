/** The layout report: every struct of a header version with its size and flattened fields. */
import { type FlatField, flattenLayout } from './layout-dsl.js';
import { HEADERS, type HeaderVersion } from './layouts.js';

export interface LayoutReportEntry {
  readonly size: number;
  readonly align: number;
  /** Dotted names for members of named structs and unions, absolute offsets. */
  readonly fields: readonly FlatField[];
}

/** Struct name → size and fields, in header order (v5.10 by default, or the pre-argsz v5.8 header). */
export function layoutReport(header: HeaderVersion = 'v5.10'): Record<string, LayoutReportEntry> {
  const out: Record<string, LayoutReportEntry> = {};
  for (const [name, layout] of Object.entries(HEADERS[header])) {
    out[name] = { size: layout.size, align: layout.align, fields: flattenLayout(layout) };
  }
  return out;
}
