// Keel on one machine: the servers it needs (NATS, a MongoDB wire-protocol server), its services
// as processes, and their health; shared by `npm start`, the tests and the benchmarks.
export { healthStatus, waitUntilServing } from './health';
export { answersNats, findOnPath, freePort, startNatsServer, type NatsServer } from './nats-server';
export {
  startLocalServers,
  stopProcess,
  type LocalServerOptions,
  type LocalServers,
  type ServerUrls,
} from './servers';
export {
  SERVICES,
  portOf,
  portVariable,
  repoRoot,
  spawnService,
  type ServiceName,
} from './services';
