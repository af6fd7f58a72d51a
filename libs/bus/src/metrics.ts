// The bus's instruments, through the OpenTelemetry API: no-ops until a meter provider is set.
import { type Counter, metrics } from '@opentelemetry/api';

export interface ConsumerInstruments {
  /** Messages moved to the dead-letter stream. */
  deadLetters: Counter;
  /** Messages handed back to be delivered again after a failure. */
  redeliveries: Counter;
}

/** Looked up when a consumer starts, after the service has registered its meter provider. */
export function consumerInstruments(): ConsumerInstruments {
  const meter = metrics.getMeter('@keel/bus');
  return {
    deadLetters: meter.createCounter('keel.bus.dead_letters', {
      description:
        'Messages a durable consumer could never handle, moved to the dead-letter stream',
      unit: '{message}',
    }),
    redeliveries: meter.createCounter('keel.bus.redeliveries', {
      description: 'Messages a durable consumer failed to handle and handed back for redelivery',
      unit: '{message}',
    }),
  };
}
