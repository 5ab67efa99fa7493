/**
 * The bundled monitoring stack's rendered files with the real programs: promtool 3.16.0 checks the
 * production prometheus.yml (in-cluster targets, the bundled Alertmanager as alert target, the
 * rules file beside it), amtool 0.35.0 checks alertmanager.yml with and without alert_email, and
 * the whole alert path runs for real: Prometheus 3.16.0 with the rendered configuration and rules
 * finds the homeserver down and fires HomeserverDown after its 2 minutes, Alertmanager 0.35.0 with
 * the rendered alertmanager.yml mails it, and a local relay (smtp-sink.ts) that offers STARTTLS and
 * AUTH PLAIN receives the mail to admin_contact. All built by scripts/tools.sh from the Go modules.
 *
 * The documented overlay, and nothing else: scrape targets are loopback ports nothing listens on
 * and the intervals are 2 s (renderPrometheusConfig's options, as prometheus-scrape.test.ts does);
 * the Alertmanager is on a loopback port; in alertmanager.yml the relay is the local one, trusted
 * through its test CA (`tls_config.ca_file`), and the password file is a temporary file instead of
 * the mounted Secret's path. Route, receiver, require_tls, login and grouping are as rendered.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { loadDeploymentFiles, parseDeployment } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { renderAlertmanagerConfig } from '../../src/render/monitoring/alertmanager';
import { renderBundledMonitoring, renderPrometheusConfig } from '../../src/render/monitoring/bundled';
import { renderAlertRules } from '../../src/render/monitoring/alert-rules';
import { ALERT_RULES_FILE } from '../../src/render/monitoring/scrape-config';
import { makeCertificates } from './object-store';
import { freePort, tail } from './postgres';
import { stopProcessGroup } from './process-group';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { ensureTools } from './tools';

const REPO = join(__dirname, '..', '..');
const INTERVALS = { scrapeSeconds: 2, evaluationSeconds: 2 };
const BASE = 'name: ministry\nserver_name: ministry.example.eu\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@ministry.example.eu\nbackup:\n  enabled: false\n';
const RELAY = 'monitoring:\n  alert_email:\n    smarthost: smtp.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n';
const spec = (yaml: string): DeploymentSpec => parseDeployment(yaml, 'monitoring.yaml');
/** Alerts mailed through a relay that wants a login; to defaults to admin_contact. */
const MAILED = spec(`${BASE}${RELAY}    username: alerts\n`);

const timings: string[] = [];
let root = '';
let bin = '';
const children: ChildProcess[] = [];
const logs: Record<string, string> = {};
let sink: SmtpSink | undefined;

beforeAll(() => {
  const started = Date.now();
  bin = ensureTools('prometheus', 'alertmanager');
  timings.push(`tools.sh prometheus alertmanager: ${seconds(Date.now() - started)}`);
  root = mkdtempSync(join(tmpdir(), 'sm-bundled-monitoring-it-'));
}, 40 * 60_000);

afterAll(async () => {
  for (const child of children) await stopProcessGroup(child, 20_000);
  await sink?.close();
  if (root && !process.env.SOVEREIGN_MATRIX_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  else if (root) timings.push(`kept ${root}`);
  console.log(`Bundled monitoring integration timings:\n  ${timings.join('\n  ')}`);
}, 120_000);

function examples(): DeploymentSpec[] {
  const files = readdirSync(join(REPO, 'deployments')).filter((f) => f.endsWith('.yaml')).map((f) => join(REPO, 'deployments', f));
  expect(files.length).toBeGreaterThanOrEqual(3);
  return loadDeploymentFiles(files).map((l) => l.spec);
}

test('promtool check config passes the bundled prometheus.yml of every example, with the rules file beside it', () => {
  const step = Date.now();
  for (const example of examples()) {
    const dir = join(root, `prometheus-${example.name}`);
    // Exactly the files renderAll writes (and the ConfigMap holds), in their directory.
    for (const f of renderBundledMonitoring(example).filter((f) => f.path.startsWith('prometheus/'))) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, f.path.slice('prometheus/'.length)), f.content);
    }
    const check = spawnSync(join(bin, 'promtool'), ['check', 'config', 'prometheus.yml'], { cwd: dir, encoding: 'utf8' });
    const output = `${check.stdout}${check.stderr}`;
    expect({ deployment: example.name, status: check.status, output }).toEqual({ deployment: example.name, status: 0, output: expect.stringContaining('SUCCESS: prometheus.yml is valid prometheus config file syntax') });
    expect(output).toContain(`SUCCESS: 1 rule files found`);
  }
  timings.push(`promtool check config, every example: ${seconds(Date.now() - step)}`);
});

test('amtool check-config passes alertmanager.yml with and without alert_email, with and without a login', () => {
  const cases: [string, DeploymentSpec][] = [
    ['no alert_email', spec(BASE)],
    ['alert_email, no login', spec(`${BASE}${RELAY}`)],
    ['alert_email with login', MAILED],
    ...examples().map((e) => [`example ${e.name}`, e] as [string, DeploymentSpec]),
  ];
  for (const [name, s] of cases) {
    const file = join(root, `alertmanager-${name.replace(/\W+/g, '-')}.yml`);
    writeFileSync(file, renderAlertmanagerConfig(s));
    const check = spawnSync(join(bin, 'amtool'), ['check-config', file], { encoding: 'utf8' });
    expect({ name, status: check.status, output: `${check.stdout}${check.stderr}` }).toEqual({ name, status: 0, output: expect.stringContaining('SUCCESS') });
    expect(check.stdout).toContain(' - 1 receivers');
  }
});

test('HomeserverDown goes from the rendered rules through the rendered Alertmanager to admin_contact, over STARTTLS with the login', async () => {
  const started = Date.now();
  const tls = makeCertificates(join(root, 'relay-tls'));
  sink = await startSmtpSink(tls);
  const password = 'relay-password-of-the-test';
  const passwordFile = join(root, 'smtp-password');
  writeFileSync(passwordFile, password, { mode: 0o600 });

  // alertmanager.yml as rendered, then the overlay of the header.
  const amConfig = YAML.parse(renderAlertmanagerConfig(MAILED));
  const email = amConfig.receivers[0].email_configs[0];
  expect(email).toMatchObject({ to: 'ops@ministry.example.eu', smarthost: 'smtp.ministry.example.eu:587', require_tls: true, auth_username: 'alerts' });
  Object.assign(email, { smarthost: `127.0.0.1:${sink.port}`, auth_password_file: passwordFile, tls_config: { ca_file: tls.caFile } });
  const amDir = join(root, 'alertmanager');
  mkdirSync(amDir);
  writeFileSync(join(amDir, 'alertmanager.yml'), YAML.stringify(amConfig));
  const amPort = await freePort();
  logs.alertmanager = join(root, 'alertmanager.log');
  children.push(
    spawnLogged(join(bin, 'alertmanager'), [
      `--config.file=${join(amDir, 'alertmanager.yml')}`,
      `--storage.path=${join(amDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ], logs.alertmanager),
  );

  // Nothing listens on the scrape targets: the homeserver, MAS and PostgreSQL are all down.
  const dead = { synapse: `127.0.0.1:${await freePort()}`, mas: `127.0.0.1:${await freePort()}`, postgres: `127.0.0.1:${await freePort()}` };
  const promDir = join(root, 'prometheus');
  mkdirSync(promDir);
  writeFileSync(join(promDir, 'prometheus.yml'), renderPrometheusConfig(MAILED, { targets: dead, intervals: INTERVALS, alertmanager: `127.0.0.1:${amPort}` }));
  writeFileSync(join(promDir, ALERT_RULES_FILE), renderAlertRules(MAILED));
  const promPort = await freePort();
  logs.prometheus = join(root, 'prometheus.log');
  children.push(
    spawnLogged(join(bin, 'prometheus'), [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(root, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], logs.prometheus),
  );
  await waitFor('Alertmanager and Prometheus ready', 60_000, async () => (await ready(amPort)) && (await ready(promPort)));
  const upAt = Date.now();
  timings.push(`relay, Alertmanager and Prometheus up: ${seconds(upAt - started)}`);

  // Prometheus knows its Alertmanager from the rendered alerting section.
  await waitFor('Prometheus discovers the Alertmanager', 30_000, async () => {
    const body = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[] } };
    return body.data.activeAlertmanagers.some((a) => a.url.startsWith(`http://127.0.0.1:${amPort}/`));
  });

  const mail = () => sink!.mails.find((m) => /HomeserverDown/.test(m.data));
  await waitFor('a HomeserverDown mail at the relay', 5 * 60_000, async () => mail() !== undefined, 1_000);
  const mailedAfter = Date.now() - upAt;
  timings.push(`Prometheus ready -> HomeserverDown mail received: ${seconds(mailedAfter)} (for: 2m, group_wait 30s)`);
  const received = mail()!;
  // Not before the rule's 2 minutes, and within them plus group_wait and a few intervals.
  expect(mailedAfter).toBeGreaterThanOrEqual(120_000);
  expect(mailedAfter).toBeLessThan(120_000 + 30_000 + 30_000);
  expect(received).toMatchObject({ from: 'alerts@ministry.example.eu', to: ['ops@ministry.example.eu'], tls: true, auth: { user: 'alerts', password } });
  const headers = received.data.split('\r\n\r\n')[0];
  expect(headers).toMatch(/^To: ops@ministry\.example\.eu$/m);
  expect(headers).toMatch(/^Subject: .*HomeserverDown/m);
  // The runbook of the rendered rule travels with it.
  expect(received.data.replace(/=\r\n/g, '')).toContain('kubectl -n matrix-ministry logs deployment/synapse');
  // Nothing was sent before STARTTLS.
  expect(sink.refused).toEqual([]);
  expect(sink.mails.every((m) => m.tls)).toBe(true);
}, 10 * 60_000);

// ------------------------------------------------------------------------------------------------

function spawnLogged(file: string, args: string[], log: string): ChildProcess {
  const out = openSync(log, 'a');
  try {
    return spawn(file, args, { cwd: root, detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

async function waitFor(what: string, timeoutMs: number, done: () => Promise<boolean>, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await done()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const tails = Object.entries(logs).map(([name, file]) => `--- ${name}:\n${tail(file, 20)}`).join('\n');
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${last})` : ''}\n${tails}`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
