// IngestDocuments: validates the documents, then chunks, embeds and stores them.
import { retrieval } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { type Principal, actingTenant } from '@keel/kit';
import { ingestDocuments } from '../ingestion';
import { findCollection } from '../store/collections';
import type { RetrievalDeps } from './deps';
import { checkCollectionName, checkCount, checkDocumentId } from './validate';

const MAX_DOCUMENTS = 256;
const MAX_BYTES = 8 * 1024 * 1024;
const { DocumentFormat } = retrieval;

export async function ingestDocumentsRpc(
  deps: RetrievalDeps,
  principal: Principal,
  request: retrieval.IngestDocumentsRequest,
): Promise<retrieval.IngestDocumentsResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const name = checkCollectionName(request.collectionName);
  checkCount(request.documents.length, MAX_DOCUMENTS, 'documents');
  let bytes = 0;
  const seen = new Set<string>();
  const documents = request.documents.map((document, i) => {
    const documentId = checkDocumentId(document.documentId, `documents[${i}].document_id`);
    if (seen.has(documentId)) {
      throw new InvalidArgumentError(
        `documents[${i}].document_id`,
        `'${documentId}' is given twice`,
      );
    }
    seen.add(documentId);
    if (document.text.trim() === '') {
      throw new InvalidArgumentError(`documents[${i}].text`, 'is empty');
    }
    if (
      document.format !== DocumentFormat.DOCUMENT_FORMAT_UNSPECIFIED &&
      document.format !== DocumentFormat.DOCUMENT_FORMAT_TEXT &&
      document.format !== DocumentFormat.DOCUMENT_FORMAT_MARKDOWN
    ) {
      throw new InvalidArgumentError(`documents[${i}].format`, `unknown format ${document.format}`);
    }
    bytes += Buffer.byteLength(document.text);
    return {
      documentId,
      text: document.text,
      markdown: document.format === DocumentFormat.DOCUMENT_FORMAT_MARKDOWN,
      metadata: document.metadata,
    };
  });
  if (bytes > MAX_BYTES) {
    throw new InvalidArgumentError(
      'documents',
      `at most 8 MiB of text per call, got ${bytes} bytes`,
    );
  }
  const collection = await findCollection(deps.store, tenantId, name);
  const outcomes = await ingestDocuments(deps, collection, documents);
  return { documents: outcomes };
}
