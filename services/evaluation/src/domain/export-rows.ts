// The lines of an export: JSONL (an Evaluation in proto3 JSON per line) or CSV with a header.
import { evaluation } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { stringify } from 'csv-stringify/sync';

const { ExportFormat } = evaluation;

export const CSV_COLUMNS = [
  'evaluation_id',
  'tenant_id',
  'inference_id',
  'function_name',
  'variant_name',
  'model',
  'evaluator',
  'score',
  'label',
  'failed',
  'reason',
  'tags',
  'inference_occurred_at',
  'created_at',
] as const;

export interface ExportRows {
  /** What the file starts with: the CSV header, nothing for JSONL. */
  header: string;
  row(item: evaluation.Evaluation): string;
}

export function exportRowsOf(format: evaluation.ExportFormat): ExportRows {
  if (format === ExportFormat.EXPORT_FORMAT_JSONL) {
    return {
      header: '',
      row: (item) => `${JSON.stringify(evaluation.Evaluation.toJSON(item))}\n`,
    };
  }
  if (format === ExportFormat.EXPORT_FORMAT_CSV) {
    return {
      header: stringify([[...CSV_COLUMNS]]),
      row: (item) => stringify([csvRecordOf(item)]),
    };
  }
  throw new InvalidArgumentError('format', 'EXPORT_FORMAT_JSONL or EXPORT_FORMAT_CSV is required');
}

function csvRecordOf(item: evaluation.Evaluation): string[] {
  return [
    item.evaluationId,
    item.tenantId,
    item.inferenceId,
    item.functionName,
    item.variantName,
    item.model,
    item.evaluator,
    String(item.score),
    item.label,
    String(item.failed),
    item.reason,
    // The tags as one JSON object, so any key survives the round trip.
    JSON.stringify(item.tags),
    item.inferenceOccurredAt?.toISOString() ?? '',
    item.createdAt?.toISOString() ?? '',
  ];
}
