// ExportEvaluations: every matching evaluation, newest first, as a file cut into chunks of
// CHUNK_BYTES (a row may straddle two chunks), so memory stays one chunk whatever the export.
import { actingTenant } from '@keel/kit';
import { evaluation } from '@keel/contracts';
import type { Principal, Send } from '@keel/kit';
import { evaluationQueryOf } from '../domain/evaluation-query';
import { exportRowsOf } from '../domain/export-rows';
import { streamEvaluationDocuments } from '../store/evaluation-queries';
import { evaluationOf } from '../store/evaluations';
import type { QueryDeps } from './deps';

export const CHUNK_BYTES = 64 * 1024;

export async function exportEvaluationsRpc(
  deps: QueryDeps,
  principal: Principal,
  request: evaluation.ExportEvaluationsRequest,
  send: Send<evaluation.ExportEvaluationsResponse>,
): Promise<void> {
  const tenantId = actingTenant(principal, request.filter?.tenantId ?? '');
  const query = evaluationQueryOf(request.filter, tenantId);
  const rows = exportRowsOf(request.format);

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const write = async (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    pending.push(bytes);
    pendingBytes += bytes.length;
    while (pendingBytes >= CHUNK_BYTES) {
      const all = Buffer.concat(pending);
      await send({ chunk: all.subarray(0, CHUNK_BYTES) });
      const rest = all.subarray(CHUNK_BYTES);
      pending = [rest];
      pendingBytes = rest.length;
    }
  };

  await write(rows.header);
  const cursor = streamEvaluationDocuments(deps.store, query, true);
  try {
    for await (const doc of cursor) await write(rows.row(evaluationOf(doc)));
  } finally {
    await cursor.close();
  }
  if (pendingBytes > 0) await send({ chunk: Buffer.concat(pending) });
}
