import type { StreamSettings } from '@keel/contracts';
import {
  type JetStreamManager,
  type StreamConfig,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

/** The JetStream configuration of one domain's stream. */
export function streamConfigOf(settings: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: settings.name,
    subjects: settings.subjects,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(settings.maxAgeMs),
    duplicate_window: nanos(settings.duplicateWindowMs),
  };
}

/** Creates the stream, or brings an existing one's updatable settings up to date. */
export async function ensureStream(jsm: JetStreamManager, settings: StreamSettings): Promise<void> {
  const config = streamConfigOf(settings);
  if (await streamExists(jsm, config.name)) {
    const { subjects, max_age, duplicate_window, discard } = config;
    await jsm.streams.update(config.name, { subjects, max_age, duplicate_window, discard });
  } else {
    await jsm.streams.add(config);
  }
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      return false;
    }
    throw error;
  }
}
