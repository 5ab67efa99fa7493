import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'integration', 'debian-unpack.sh');

/** Unpacks a Debian package with scripts/integration/debian-unpack.sh; returns its root directory. */
export function unpackDebianPackage(name: string): string {
  const result = spawnSync('bash', [SCRIPT, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 10 * 60_000 });
  if (result.status !== 0) throw new Error(`scripts/integration/debian-unpack.sh ${name} failed (exit ${result.status}): ${result.stdout}`);
  return result.stdout.trim().split('\n').pop() ?? '';
}

/** Debian's postgres_exporter (0.11.1 on bookworm), unpacked; the path of its binary. */
export function postgresExporterBinary(): string {
  return join(unpackDebianPackage('prometheus-postgres-exporter'), 'usr', 'bin', 'prometheus-postgres-exporter');
}
