// The feedback store reads documents by `_id` alone, `<tenant_id>/<key>`: the only filter
// FerretDB 1.24 serves from an index (any other, even `_id` with another field, scans the
// collection). The tenant in the `_id` keeps every such read within its tenant.

/** A tenant's document id; tenant ids hold no `/`, so the tenant is what precedes the first. */
export function idOf(tenantId: string, key: string): string {
  return `${tenantId}/${key}`;
}
