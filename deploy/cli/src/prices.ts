// `keel catalog load-prices <file>`: puts each model of a price list whose provider is configured
// (PutModel), from now or from a time to come; a model nothing serves is left out, so the
// catalog names only models that work.
import { readFile } from 'node:fs/promises';
import { router } from '@keel/contracts';
import { call, routerClient } from '@keel/kit';
import type { Command } from 'commander';
import { parsePriceList } from './price-list';
import { instant } from './providers';

interface Connection {
  router: () => string;
  adminKey: () => string;
}

export function addCatalogCommands(program: Command, connection: Connection): void {
  const catalog = program
    .command('catalog')
    .description("the model catalog and its prices (operator's admin key)");

  catalog
    .command('load-prices <file>')
    .description(
      'put every model of a price list (e.g. deploy/prices/models.json) served by a configured provider',
    )
    .option(
      '--effective-at <time>',
      'when the prices take effect, ISO 8601, e.g. 2026-01-01T00:00:00Z (default: now)',
      instant,
    )
    .action(async (file: string, options: { effectiveAt?: Date }) => {
      const list = parsePriceList(await readFile(file, 'utf8'));
      const client = routerClient(connection.router());
      const adminKey = connection.adminKey();
      const { providers } = await call<router.ListProvidersResponse>(
        adminKey,
        (metadata, callback) => client.listProviders({}, metadata, callback),
      );
      const served = new Set(providers.map((provider) => provider.name));
      console.log(`prices as of ${list.asOf} from ${Object.values(list.sources).join(', ')}`);
      for (const model of list.models) {
        if (!served.has(model.provider)) {
          console.log(`skipped ${model.name}: provider '${model.provider}' is not configured`);
          continue;
        }
        const reply = await call<router.PutModelResponse>(adminKey, (metadata, callback) =>
          client.putModel({ model, effectiveAt: options.effectiveAt }, metadata, callback),
        );
        const version = reply.catalog!;
        console.log(
          `put ${model.name} in catalog version ${version.version}, effective at ` +
            version.effectiveAt?.toISOString(),
        );
      }
    });
}
