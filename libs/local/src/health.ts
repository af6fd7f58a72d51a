// Asks a service's grpc.health.v1 endpoint whether it is serving.
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

type HealthClient = grpc.Client & {
  check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: { status: string }) => void,
  ): void;
};

const HealthClient = grpc.makeGenericClientConstructor(healthService, 'Health');

/** The status a service's health endpoint reports ('SERVING', 'NOT_SERVING', …). */
export async function healthStatus(address: string, service = ''): Promise<string> {
  const client = new HealthClient(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as HealthClient;
  try {
    const reply = await new Promise<{ status: string } | undefined>((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + 1_000 }, (error, value) =>
        error ? reject(error) : resolve(value),
      ),
    );
    return reply?.status ?? 'UNKNOWN';
  } finally {
    client.close();
  }
}

export async function isServing(address: string, service = ''): Promise<boolean> {
  try {
    return (await healthStatus(address, service)) === 'SERVING';
  } catch {
    return false;
  }
}

export async function waitUntilServing(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isServing(address))) {
    if (Date.now() > deadline) throw new Error(`${address} is not SERVING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
