// How every service with a database and the bus starts and stops: one order for all of them,
// so none closes its store under a handler that is still writing.
import { type Bus, connectBus } from '@keel/bus';
import { type Store, connectStore } from '@keel/store';
import type { KitLogger } from './logger';
import type { BusLogger } from '@keel/bus';
import { KeelServer } from './server';

/** The settings every such service reads from its environment (libs/config baseEnv). */
export interface ServiceEnv {
  MONGO_URL: string;
  KEEL_DB_PREFIX: string;
  NATS_URL: string;
  KEEL_BUS_PREFIX: string;
  KEEL_BIND_HOST: string;
}

export interface ServiceParts {
  store: Store;
  bus: Bus;
  server: KeelServer;
  /** Runs at stop, after the gRPC server and before the bus drains; the last added runs first. */
  onStop(stop: () => void | Promise<void>): void;
  /** Runs at stop after the bus drained: for a client the consumers' handlers call. */
  onDrained(stop: () => void): void;
}

export interface RunningService {
  port: number;
  stop(): Promise<void>;
}

/**
 * Connects the service's database and the bus, lets `wire` set up its consumers and RPCs, then
 * serves. Stopping (or a start that failed part-way) shuts the gRPC server first, then what
 * `wire` registered to stop, then drains the bus (its handlers finish and ack), then closes what
 * the handlers used and the store.
 */
export async function startService(
  options: { service: string; port: number; env: ServiceEnv; logger: KitLogger & BusLogger },
  wire: (parts: ServiceParts) => Promise<void>,
): Promise<RunningService> {
  const { service, env, logger } = options;
  const store = await connectStore({ url: env.MONGO_URL, dbPrefix: env.KEEL_DB_PREFIX, service });
  const bus = await connectBus({
    servers: env.NATS_URL,
    name: service,
    prefix: env.KEEL_BUS_PREFIX,
    logger,
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const server = new KeelServer({
    serviceName: service,
    logger,
    host: env.KEEL_BIND_HOST,
    port: options.port,
  });
  const stops: (() => void | Promise<void>)[] = [];
  const afterDrain: (() => void)[] = [];
  const stopDependencies = async () => {
    for (const stop of stops.reverse()) await stop();
    await bus.drain();
    for (const stop of afterDrain) stop();
    await store.close();
  };

  try {
    await wire({
      store,
      bus,
      server,
      onStop: (stop) => stops.push(stop),
      onDrained: (stop) => afterDrain.push(stop),
    });
    const port = await server.start();
    server.setServing(true);
    return {
      port,
      stop: async () => {
        await server.shutdown();
        await stopDependencies();
      },
    };
  } catch (error) {
    await stopDependencies();
    throw error;
  }
}
