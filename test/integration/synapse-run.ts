/**
 * The real Synapse (the pinned release, from PyPI) prepared to boot with the kit's rendered files,
 * for suites that need a running homeserver without testing Synapse itself (the monitoring test):
 * the rendered init script creates its database, the rendered homeserver.yaml and log.config go
 * through the documented overlay (test/integration/overlay.ts), the mounted secrets are random
 * files, the signing key is generated as the pod's init container does. Start it with
 * startSynapse (test/integration/backup-drill-matrix.ts).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DeploymentSpec } from '../../src/config/spec';
import { PORTS } from '../../src/ports';
import { renderAll } from '../../src/render';
import { SYNAPSE_PASSWORD_VARIABLE } from '../../src/render/postgres';
import { SYNAPSE_SECRET_FILES } from '../../src/render/synapse';
import { SYNAPSE_REPLICATION_SECRET_FILE } from '../../src/render/synapse-workers';
import { SYNAPSE_TURN_SECRET_PATH } from '../../src/render/turn';
import { overlaySynapseConfig } from './overlay';
import { freePort, type Postgres } from './postgres';

const REPO = join(__dirname, '..', '..');

/** Installs (or reuses) the Synapse venv with scripts/integration/synapse.sh; returns its python. */
export function installSynapse(): string {
  const result = spawnSync('bash', [join(REPO, 'scripts/integration/synapse.sh')], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  if (result.status !== 0) throw new Error(`scripts/integration/synapse.sh failed (exit ${result.status}): ${result.stdout}`);
  const python = result.stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(python)) throw new Error(`scripts/integration/synapse.sh did not print the venv python: ${result.stdout}`);
  return python;
}

export interface SynapseRun {
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly httpPort: number;
  readonly metricsPort: number;
  /** Synapse's database password (its environment's PGPASSWORD). */
  readonly dbPassword: string;
}

/**
 * Creates Synapse's database with the rendered init script and writes everything Synapse boots
 * with into `dir`. `adapt` may change the overlaid homeserver.yaml further, for a suite's one
 * documented change (passwordLoginInsteadOfMas, where no MAS runs but a user must act).
 */
export async function prepareSynapseRun(python: string, spec: DeploymentSpec, db: Postgres, dir: string, adapt: (overlaid: string) => string = (overlaid) => overlaid): Promise<SynapseRun> {
  const rendered = new Map(renderAll(spec).map((f) => [f.path, f.content]));
  const file = (path: string) => {
    const content = rendered.get(path);
    if (content === undefined) throw new Error(`nothing rendered ${path}`);
    return content;
  };
  const mounts = { '/data': join(dir, 'data'), '/config': join(dir, 'config'), '/secrets': join(dir, 'secrets') };
  for (const d of Object.values(mounts)) mkdirSync(d, { recursive: true });
  mkdirSync(join(mounts['/data'], 'keys'), { recursive: true });

  const initFile = join(dir, 'init-synapse.sql');
  writeFileSync(initFile, file('postgres/init-synapse.sql'));
  chmodSync(initFile, 0o644);
  const dbPassword = randomBytes(24).toString('hex');
  db.psql(['-v', 'ON_ERROR_STOP=1', '-v', `${SYNAPSE_PASSWORD_VARIABLE}=${dbPassword}`, '-f', initFile]);

  for (const secret of [SYNAPSE_SECRET_FILES.macaroonSecretKey, SYNAPSE_SECRET_FILES.formSecret, SYNAPSE_SECRET_FILES.masSharedSecret, SYNAPSE_TURN_SECRET_PATH, SYNAPSE_REPLICATION_SECRET_FILE]) {
    const path = join(mounts['/secrets'], secret.slice('/secrets'.length));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }

  const httpPort = await freePort();
  const metricsPort = await freePort();
  const configFile = join(mounts['/config'], 'homeserver.yaml');
  const overlaid = overlaySynapseConfig(file('synapse/homeserver.yaml'), {
    mounts,
    ports: { [PORTS.synapseHttp]: httpPort, [PORTS.synapseMetrics]: metricsPort, [PORTS.postgres]: db.port },
    databaseHost: '127.0.0.1',
  });
  writeFileSync(configFile, adapt(overlaid));
  writeFileSync(join(mounts['/config'], 'log.config'), file('synapse/log.config'));

  const keys = spawnSync(python, ['-m', 'synapse.app.homeserver', '-c', configFile, '--generate-keys'], { cwd: dir, encoding: 'utf8' });
  if (keys.status !== 0) throw new Error(`synapse --generate-keys failed:\n${keys.stdout}\n${keys.stderr}`);
  return { dir, configFile, logFile: join(dir, 'synapse.log'), httpPort, metricsPort, dbPassword };
}
