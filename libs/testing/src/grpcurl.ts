// grpcurl, the command-line gRPC client most people try first, for tests that call Keel as
// an outside client does: through server reflection, with no .proto files.
import { execFile } from 'node:child_process';
import { goInstall } from '@keel/go-tools';

const GRPCURL = {
  name: 'grpcurl',
  command: 'github.com/fullstorydev/grpcurl/cmd/grpcurl',
  version: 'v1.9.4',
  minGo: [1, 25] as [number, number],
};

/**
 * The path of grpcurl, built with Go the first time (about a minute) and cached in
 * $KEEL_CACHE_DIR/bin. Synchronous: call it in a beforeAll with a long timeout.
 */
export function grpcurlBinary(): string {
  return goInstall(GRPCURL);
}

/**
 * Runs `grpcurl -plaintext <flags> <address> <args>` and resolves with its output; rejects
 * with its stderr when it exits non-zero (for an RPC error, the status and message).
 */
export function grpcurl(
  binary: string,
  address: string,
  args: string[],
  flags: string[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      ['-plaintext', '-max-time', '30', ...flags, address, ...args],
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`grpcurl ${[...flags, ...args].join(' ')}: ${stderr || error}`))
          : resolve(stdout),
    );
  });
}
