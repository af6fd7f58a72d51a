// `keel deadletter`: list the messages Keel's consumers could never handle, and replay them
// once the cause is fixed. Talks to NATS directly, under the deployment's bus prefix.
import { type Bus, type DeadLetter, type Replayed, connectBus } from '@keel/bus';
import { type Command, Option } from 'commander';

type BusOptions = { nats: string; busPrefix: string };

export function addDeadLetterCommands(program: Command): void {
  const deadletter = program
    .command('deadletter')
    .description('list and replay the messages consumers could never handle')
    .addOption(
      new Option('--nats <urls>', 'NATS server URLs, comma-separated')
        .env('NATS_URL')
        .default('nats://127.0.0.1:4222'),
    )
    .addOption(
      new Option('--bus-prefix <prefix>', 'prefix of subjects and streams')
        .env('KEEL_BUS_PREFIX')
        .default('keel'),
    );
  const busOptions = () => deadletter.opts<BusOptions>();

  deadletter
    .command('list')
    .description('print the dead letters, oldest first')
    .option(
      '--durable <name>',
      'only those of one durable consumer, e.g. billing-inference-completed',
    )
    .action(async (options: { durable?: string }) => {
      await withBus(busOptions(), async (bus) => {
        const letters = await bus.deadLetters.list(options);
        if (letters.length === 0) console.log('no dead letters');
        else console.log(table(letters));
      });
    });

  deadletter
    .command('replay')
    .description('publish dead letters to their subjects again, then remove them')
    .argument('[seq...]', 'dead letter sequence numbers, as `list` prints them')
    .option('--all', 'replay every dead letter (of --durable, if given)', false)
    .option('--durable <name>', 'with --all: only those of one durable consumer')
    .action(async (seqs: string[], options: { all: boolean; durable?: string }) => {
      if (options.all === seqs.length > 0) {
        throw new Error('give either dead letter sequence numbers or --all');
      }
      if (options.durable && !options.all) throw new Error('--durable goes with --all');
      const numbers = seqs.map(parseSeq);
      await withBus(busOptions(), async (bus) => {
        if (options.all) {
          const replayed = await bus.deadLetters.replayAll({ durable: options.durable });
          for (const done of replayed) console.log(replayedLine(done));
          console.log(`replayed ${replayed.length} dead letter(s)`);
          return;
        }
        const missing: number[] = [];
        for (const seq of numbers) {
          const done = await bus.deadLetters.replay(seq);
          if (done) console.log(replayedLine(done));
          else missing.push(seq);
        }
        if (missing.length > 0) {
          throw new Error(`no dead letter ${missing.join(', ')} (already replayed, or never one)`);
        }
      });
    });
}

async function withBus(options: BusOptions, use: (bus: Bus) => Promise<void>): Promise<void> {
  const bus = await connectBus({
    servers: options.nats,
    name: 'keel-cli',
    prefix: options.busPrefix,
    logger: {
      info: () => undefined,
      warn: (_fields, message) => console.error(`keel: ${message}`),
      error: (_fields, message) => console.error(`keel: ${message}`),
    },
  });
  try {
    await use(bus);
  } finally {
    await bus.drain();
  }
}

function parseSeq(text: string): number {
  const seq = Number(text);
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new Error(`'${text}' is not a dead letter sequence number`);
  }
  return seq;
}

function table(letters: DeadLetter[]): string {
  const rows = [
    ['SEQ', 'DURABLE', 'SUBJECT', 'MSG ID', 'DELIVERIES', 'TIME', 'REASON'],
    ...letters.map((letter) => [
      String(letter.seq),
      letter.durable,
      letter.subject,
      letter.msgId ?? '-',
      String(letter.deliveryCount),
      letter.deadLetteredAt.toISOString(),
      `${letter.reasonKind}: ${letter.reason}`,
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]) : cell))
        .join('  '),
    )
    .join('\n');
}

function replayedLine(done: Replayed): string {
  return `replayed dead letter ${done.seq} to ${done.subject} (seq ${done.streamSeq}, msg id ${done.msgId})`;
}
