import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadDeploymentFile } from '../../src/config/load';
import { renderAll } from '../../src/render';
import { ELEMENT_WEB_ROOT, WELL_KNOWN_ROOT } from '../../src/render/web-server';
import { PORTS } from '../../src/ports';
import { tempDir } from '../helpers';

/**
 * Real nginx (Debian) serves both rendered server blocks: the well-known server and Element Web.
 * The overlay changes only each block's listening port and the directory its files are read from,
 * and asserts nothing else changed. Element Web's application is represented by an index.html
 * and the rendered config.json; what is tested is the server block, not Element's bundle.
 */
const ROOT = join(__dirname, '..', '..');
const spec = loadDeploymentFile(join(ROOT, 'deployments', 'example.yaml'));
const files = new Map(renderAll(spec).map((f) => [f.path, f.content]));

let nginx: ChildProcess | undefined;
const base = { wellKnown: '', element: '' };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The documented test overlay: port and file root only. */
function overlay(conf: string, listen: number, port: number, fileRoot: string, root: string): string {
  const changed = conf.replace(`listen ${listen};`, `listen 127.0.0.1:${port};`).split(fileRoot).join(root);
  const undo = changed.replace(`listen 127.0.0.1:${port};`, `listen ${listen};`).split(root).join(fileRoot);
  if (undo !== conf) throw new Error('overlay changed more than the port and the file root');
  return changed;
}

beforeAll(async () => {
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'integration', 'nginx.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('scripts/integration/nginx.sh failed');
  const dir = tempDir('sm-nginx-');
  // nginx's workers drop to an unprivileged user when started as root; they must read the files.
  chmodSync(dir, 0o755);
  const wellKnownRoot = join(dir, 'well-known');
  mkdirSync(wellKnownRoot, { mode: 0o755 });
  writeFileSync(join(wellKnownRoot, 'server.json'), files.get('well-known/server.json')!);
  writeFileSync(join(wellKnownRoot, 'client.json'), files.get('well-known/client.json')!);
  const elementRoot = join(dir, 'app');
  mkdirSync(elementRoot, { mode: 0o755 });
  mkdirSync(join(elementRoot, 'bundles'), { mode: 0o755 });
  writeFileSync(join(elementRoot, 'index.html'), '<!doctype html><title>Element</title>\n');
  writeFileSync(join(elementRoot, 'bundles', 'app.0123abcd.js'), '/* bundle */\n');
  writeFileSync(join(elementRoot, 'config.json'), files.get('element-web/config.json')!);
  const ports = { wellKnown: await freePort(), element: await freePort() };
  writeFileSync(
    join(dir, 'well-known.conf'),
    overlay(files.get('well-known/nginx.conf')!, PORTS.wellKnown, ports.wellKnown, WELL_KNOWN_ROOT, wellKnownRoot),
  );
  writeFileSync(
    join(dir, 'element-web.conf'),
    overlay(files.get('element-web/nginx.conf')!, PORTS.elementWeb, ports.element, ELEMENT_WEB_ROOT, elementRoot),
  );
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
      `  include ${dir}/well-known.conf;`,
      `  include ${dir}/element-web.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const check = spawnSync('nginx', ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the rendered configuration:\n${check.stderr}`);
  nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'inherit' });
  base.wellKnown = `http://127.0.0.1:${ports.wellKnown}`;
  base.element = `http://127.0.0.1:${ports.element}`;
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(`${base.wellKnown}/healthz`)).ok && (await fetch(`${base.element}/healthz`)).ok) return;
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
    const response = await fetch(`${base.wellKnown}/.well-known/matrix/server`, { headers: host });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ 'm.server': `${spec.hostnames.matrix}:443` });
  });

  it('serves the client discovery with CORS, as web clients need', async () => {
    const response = await fetch(`${base.wellKnown}/.well-known/matrix/client`, { headers: host });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual(JSON.parse(files.get('well-known/client.json')!));
  });

  it('sends security headers and no server version', async () => {
    const response = await fetch(`${base.wellKnown}/.well-known/matrix/server`, { headers: host });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('server')).toBe('nginx');
  });

  it('redirects everything else to Element Web', async () => {
    const response = await fetch(`${base.wellKnown}/some/page`, { headers: host, redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`https://${spec.hostnames.web}/`);
  });
});

describe('Element Web (real nginx)', () => {
  const host = { Host: spec.hostnames.web };
  /** Element's documented security headers, on every response including errors. */
  const expectSecurityHeaders = (response: Response) => {
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-xss-protection')).toBe('1; mode=block');
    expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'self'");
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  };

  it('serves the application with its security headers, and never lets the start page be cached', async () => {
    for (const path of ['/', '/index.html']) {
      const response = await fetch(`${base.element}${path}`, { headers: host });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>Element</title>');
      expectSecurityHeaders(response);
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves the rendered config.json uncached, so a changed configuration reaches browsers at once', async () => {
    const response = await fetch(`${base.element}/config.json`, { headers: host });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(files.get('element-web/config.json')!));
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expectSecurityHeaders(response);
  });

  it('lets hashed bundles be cached, with the same headers', async () => {
    const response = await fetch(`${base.element}/bundles/app.0123abcd.js`, { headers: host });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBeNull();
    expectSecurityHeaders(response);
  });

  it('sends the headers on errors too, and no server version', async () => {
    const response = await fetch(`${base.element}/no/such/file`, { headers: host });
    expect(response.status).toBe(404);
    expectSecurityHeaders(response);
    expect(response.headers.get('server')).toBe('nginx');
  });
});
