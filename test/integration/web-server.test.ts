import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadDeploymentFile } from '../../src/config/load';
import { renderAll } from '../../src/render';
import { WELL_KNOWN_ROOT } from '../../src/render/web-server';
import { PORTS } from '../../src/ports';
import { tempDir } from '../helpers';

/**
 * Real nginx (Debian) serves the rendered well-known server block. The overlay changes only the
 * listening port and the directory of the JSON files, and asserts nothing else changed.
 */
const ROOT = join(__dirname, '..', '..');
const spec = loadDeploymentFile(join(ROOT, 'deployments', 'example.yaml'));
const files = new Map(renderAll(spec).map((f) => [f.path, f.content]));

let nginx: ChildProcess | undefined;
let base = '';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The documented test overlay: port and file root only. */
function overlay(conf: string, port: number, root: string): string {
  const changed = conf.replace(`listen ${PORTS.wellKnown};`, `listen 127.0.0.1:${port};`).split(WELL_KNOWN_ROOT).join(root);
  const undo = changed.replace(`listen 127.0.0.1:${port};`, `listen ${PORTS.wellKnown};`).split(root).join(WELL_KNOWN_ROOT);
  if (undo !== conf) throw new Error('overlay changed more than the port and the file root');
  return changed;
}

beforeAll(async () => {
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'integration', 'nginx.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('scripts/integration/nginx.sh failed');
  const dir = tempDir('sm-nginx-');
  // nginx's workers drop to an unprivileged user when started as root; they must read the files.
  chmodSync(dir, 0o755);
  const root = join(dir, 'well-known');
  mkdirSync(root, { mode: 0o755 });
  writeFileSync(join(root, 'server.json'), files.get('well-known/server.json')!);
  writeFileSync(join(root, 'client.json'), files.get('well-known/client.json')!);
  const port = await freePort();
  writeFileSync(join(dir, 'site.conf'), overlay(files.get('well-known/nginx.conf')!, port, root));
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
      '  include /etc/nginx/mime.types;',
      `  include ${dir}/site.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const check = spawnSync('nginx', ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the rendered configuration:\n${check.stderr}`);
  nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'inherit' });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('nginx did not answer');
});

afterAll(() => {
  nginx?.kill('SIGQUIT');
});

describe('the well-known server (real nginx)', () => {
  const host = { Host: spec.serverName };

  it('serves the federation delegation as JSON', async () => {
    const response = await fetch(`${base}/.well-known/matrix/server`, { headers: host });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ 'm.server': `${spec.hostnames.matrix}:443` });
  });

  it('serves the client discovery with CORS, as web clients need', async () => {
    const response = await fetch(`${base}/.well-known/matrix/client`, { headers: host });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual(JSON.parse(files.get('well-known/client.json')!));
  });

  it('sends security headers and no server version', async () => {
    const response = await fetch(`${base}/.well-known/matrix/server`, { headers: host });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('server')).toBe('nginx');
  });

  it('redirects everything else to Element Web', async () => {
    const response = await fetch(`${base}/some/page`, { headers: host, redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`https://${spec.hostnames.web}/`);
  });
});
