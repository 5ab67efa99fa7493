import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type LookupFunction } from 'node:net';
import { join } from 'node:path';

/** Local HTTPS servers with a test CA (test/fixtures/deploy/certs) stand in for the cluster and the homeserver. */
const CERTS = join(__dirname, '..', 'fixtures', 'deploy', 'certs');
export const pem = (name: string) => readFileSync(join(CERTS, `${name}.pem`), 'utf8');
export const toLocalhost: LookupFunction = (_host, options, callback) => {
  if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

export function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** What each test opened; the test files close them after each test. */
export const closers: (() => void)[] = [];
