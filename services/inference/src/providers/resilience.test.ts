import { builtinCatalog, findModel } from '@keel/catalog';
import { common, router } from '@keel/contracts';
import {
  type Provider,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
} from './provider';
import { ResilientProviders } from './resilience';

const simSmall = findModel(builtinCatalog(1n), 'sim-small') as router.Model;
const simLarge = findModel(builtinCatalog(1n), 'sim-large') as router.Model;
const request = {
  messages: [
    common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content: 'hi' }),
  ],
  maxTokens: 16,
};
const answer: ProviderResponse = {
  text: 'hello',
  usage: common.Usage.fromPartial({ inputTokens: 8n, outputTokens: 1n }),
};
const transient = () => new ProviderError('overloaded (503)', { transient: true });

/** A provider that plays `script` in order, one step per call, and counts its calls per model. */
function scripted(script: Array<(request: ProviderRequest) => Promise<ProviderResponse>>) {
  const calls: string[] = [];
  const provider: Provider = {
    name: 'sim',
    complete: (call) => {
      calls.push(call.model.name);
      const step = script[Math.min(calls.length - 1, script.length - 1)];
      return step(call);
    },
  };
  return { provider, calls };
}

/** The warnings logged, as [fields, message]. */
function recordingLogger() {
  const warnings: Array<[Record<string, unknown>, string]> = [];
  const ignore = () => undefined;
  const logger = {
    info: ignore,
    error: ignore,
    warn: (fields: object, message: string) =>
      void warnings.push([fields as Record<string, unknown>, message]),
  };
  return { logger, warnings };
}

const resilient = (provider: Provider, options = {}, logger = recordingLogger().logger) =>
  new ResilientProviders(
    new Map([['sim', provider]]),
    { timeoutMs: 1_000, retryDelayMs: 1, ...options },
    logger,
  );

describe('ResilientProviders', () => {
  it('passes the model, messages and max_tokens to the adapter of the model’s provider', async () => {
    let seen: ProviderRequest | undefined;
    const { provider } = scripted([async (call) => ((seen = call), answer)]);
    await expect(resilient(provider).complete(simSmall, request)).resolves.toEqual(answer);
    expect(seen).toMatchObject({ model: simSmall, messages: request.messages, maxTokens: 16 });
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
  });

  it('retries a transient failure and answers with the retry', async () => {
    const { provider, calls } = scripted([() => Promise.reject(transient()), async () => answer]);
    await expect(resilient(provider).complete(simSmall, request)).resolves.toEqual(answer);
    expect(calls).toEqual(['sim-small', 'sim-small']);
  });

  it('gives up after the retries, with the provider’s error', async () => {
    const { provider, calls } = scripted([() => Promise.reject(transient())]);
    await expect(resilient(provider, { retries: 2 }).complete(simSmall, request)).rejects.toThrow(
      'overloaded (503)',
    );
    expect(calls).toHaveLength(3);
  });

  it('does not retry a failure the provider calls permanent', async () => {
    const refused = new ProviderError('invalid request (400)', { transient: false });
    const { provider, calls } = scripted([() => Promise.reject(refused)]);
    await expect(resilient(provider).complete(simSmall, request)).rejects.toBe(refused);
    expect(calls).toHaveLength(1);
  });

  it('times an attempt out, retries included, as a transient provider error', async () => {
    const { provider } = scripted([
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(transient()))),
    ]);
    const failure = resilient(provider, { timeoutMs: 20 }).complete(simSmall, request);
    await expect(failure).rejects.toThrow('timed out after 20 ms');
    await expect(failure).rejects.toMatchObject({ transient: true });
  });

  it('opens a model’s circuit after consecutive failures, and only that model’s', async () => {
    const { provider, calls } = scripted([
      (call) =>
        call.model.name === 'sim-small' ? Promise.reject(transient()) : Promise.resolve(answer),
    ]);
    const providers = resilient(provider, {
      retries: 0,
      breakerFailures: 2,
      breakerOpenMs: 60_000,
    });
    await expect(providers.complete(simSmall, request)).rejects.toThrow('overloaded');
    await expect(providers.complete(simSmall, request)).rejects.toThrow('overloaded');
    await expect(providers.complete(simSmall, request)).rejects.toThrow(
      'circuit open: sim-small failed repeatedly and is skipped until it recovers',
    );
    expect(calls).toEqual(['sim-small', 'sim-small']);
    await expect(providers.complete(simLarge, request)).resolves.toEqual(answer);
  });

  it('retries a failure that is no outage but never opens the circuit for it', async () => {
    const ownFault = () => new ProviderError('simulated 503', { transient: true, outage: false });
    const { provider, calls } = scripted([() => Promise.reject(ownFault())]);
    const providers = resilient(provider, {
      retries: 1,
      breakerFailures: 2,
      breakerOpenMs: 60_000,
    });
    for (let i = 0; i < 3; i++) {
      await expect(providers.complete(simSmall, request)).rejects.toThrow('simulated 503');
    }
    expect(calls).toHaveLength(6);
  });

  it('fails a model whose provider has no adapter, without retrying', async () => {
    const gpt = findModel(builtinCatalog(1n), 'gpt-4o-mini') as router.Model;
    const failure = resilient(scripted([async () => answer]).provider).complete(gpt, request);
    await expect(failure).rejects.toThrow("no adapter serves provider 'openai'");
    await expect(failure).rejects.toMatchObject({ transient: false });
  });

  it('tells of each retried try, with the tokens it used, and not of the last one', async () => {
    const cutOff = (output: bigint) =>
      new ProviderError('stream cut off (502)', {
        transient: true,
        usage: common.Usage.fromPartial({ inputTokens: 8n, outputTokens: output }),
      });
    const { provider } = scripted([
      () => Promise.reject(cutOff(2n)),
      () => Promise.reject(cutOff(3n)),
      async () => answer,
    ]);
    const retried: ProviderError[] = [];
    const providers = resilient(provider, { retries: 2 });
    await expect(
      providers.complete(simSmall, request, (failure) => retried.push(failure)),
    ).resolves.toEqual(answer);
    expect(retried.map((failure) => failure.usage?.outputTokens)).toEqual([2n, 3n]);

    const failing = scripted([() => Promise.reject(cutOff(4n))]).provider;
    const retriedBeforeGivingUp: ProviderError[] = [];
    const failure = resilient(failing, { retries: 1 }).complete(simSmall, request, (f) =>
      retriedBeforeGivingUp.push(f),
    );
    await expect(failure).rejects.toMatchObject({ usage: { outputTokens: 4n } });
    // The last try is the error thrown, so it is told of once only.
    expect(retriedBeforeGivingUp).toHaveLength(1);
  });

  it('hides an unclassified error behind a transient ProviderError and logs its cause', async () => {
    const leak = new TypeError('fetch failed: https://internal.example/v1?key=secret');
    const { provider, calls } = scripted([() => Promise.reject(leak)]);
    const { logger, warnings } = recordingLogger();
    const retried: ProviderError[] = [];
    const failure = resilient(provider, { retries: 1 }, logger).complete(simSmall, request, (f) =>
      retried.push(f),
    );
    await expect(failure).rejects.toBeInstanceOf(ProviderError);
    await expect(failure).rejects.toMatchObject({
      message: 'provider call failed',
      transient: true,
      cause: leak,
    });
    expect(calls).toHaveLength(2);
    expect(retried.map((f) => f.message)).toEqual(['provider call failed']);
    expect(warnings).toHaveLength(2);
    expect(warnings[0][0]).toMatchObject({ model: 'sim-small', provider: 'sim', err: leak });
  });
});
