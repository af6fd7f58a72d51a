import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { KitLogger } from './logger';
import { addReflection } from './reflection';
import { refuseInvalidUtf8 } from './utf8';

const HEALTH_SERVICE = 'grpc.health.v1.Health';

/**
 * A Keel service's gRPC server, with standard health checking (used by Kubernetes `grpc:`
 * probes) and server reflection (for grpcurl and friends) built in.
 */
export class KeelServer {
  private readonly server = new grpc.Server();
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private readonly serviceNames: string[] = [];

  constructor(
    private readonly options: {
      serviceName: string;
      logger: KitLogger;
      host: string;
      port: number;
    },
  ) {}

  addService(
    definition: grpc.ServiceDefinition,
    implementation: grpc.UntypedServiceImplementation,
  ): void {
    const name = fullServiceName(definition);
    // Every request is checked for invalid UTF-8 before it is decoded.
    const checked = refuseInvalidUtf8(definition, implementation);
    this.server.addService(checked.definition, checked.implementation);
    this.serviceNames.push(name);
    this.health.setStatus(name, 'NOT_SERVING');
  }

  /** Binds the server and returns its port (a free one when the port asked for is 0). */
  async start(): Promise<number> {
    this.health.addToServer(this.server);
    addReflection(this.server, [...this.serviceNames, HEALTH_SERVICE]);

    const { host, port, serviceName, logger } = this.options;
    const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
    logger.info(
      { server: serviceName, host, port: boundPort, services: this.serviceNames },
      'gRPC server listening',
    );
    return boundPort;
  }

  /** The health status reported for the server as a whole ('') and for each service. */
  setServing(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    for (const name of ['', ...this.serviceNames]) this.health.setStatus(name, status);
  }

  /**
   * Reports NOT_SERVING so load balancers stop sending requests, lets the calls in flight
   * finish, and cuts the rest off after `graceMs`.
   */
  async shutdown(graceMs = 10_000): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        this.options.logger.warn({ graceMs }, 'calls still running after the grace period: cut');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(deadline);
        resolve();
      });
    });
  }
}

/** `keel.router.v1.RouterService`, from a method path such as `/keel.router.v1.RouterService/Route`. */
function fullServiceName(definition: grpc.ServiceDefinition): string {
  const method = Object.values(definition)[0];
  if (!method) throw new Error('a gRPC service needs at least one method');
  return method.path.split('/')[1];
}
