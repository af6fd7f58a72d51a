// The retrieval service serves health and reflection; its RPCs are not part of this release.
import { KeelServer } from '@keel/kit';
import type { Logger } from '@keel/telemetry';
import type { RetrievalConfig } from './config';

export interface RetrievalApp {
  port: number;
  stop(): Promise<void>;
}

export async function startRetrieval(
  config: RetrievalConfig,
  logger: Logger,
): Promise<RetrievalApp> {
  const server = new KeelServer({
    serviceName: 'retrieval',
    logger,
    host: config.KEEL_BIND_HOST,
    port: config.KEEL_RETRIEVAL_PORT,
  });
  const port = await server.start();
  server.setServing(true);
  return { port, stop: () => server.shutdown() };
}
