/**
 * The rendered alert rules, checked and unit-tested by the real promtool (Prometheus 3.16.0,
 * built by scripts/tools.sh prometheus): `promtool check rules` for every example deployment, and
 * `promtool test rules` with input series for every alert, at least one case in which it fires and
 * one in which it stays quiet. The test file promtool runs is generated here from CASES, and the
 * annotations it expects are the rendered ones verbatim. An alert without cases fails the suite.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { loadDeploymentFiles } from '../../src/config/load';
import { parseDeployment } from '../../src/config/load';
import type { DeploymentSpec } from '../../src/config/spec';
import { alertRules, renderAlertRules, type AlertRule } from '../../src/render/monitoring/alert-rules';
import { ALERT_RULES_FILE } from '../../src/render/monitoring/scrape-config';
import { ensureTools } from './tools';

const ROOT = join(__dirname, '..', '..');

/** One input series in promtool's expanding notation ('0+10x30': 0, 10, ..., 300, one per minute). */
interface Series {
  readonly series: string;
  readonly values: string;
}

/** One situation for one alert: the series, when to look, and the labels of the alert if it fires then. */
interface Case {
  readonly name: string;
  readonly series: readonly Series[];
  readonly evalTime: string;
  /** The alert's labels besides alertname and severity; undefined means: no alert at evalTime. */
  readonly fires?: Readonly<Record<string, string>>;
}

const SYNAPSE = 'job="synapse",instance="synapse:9000"';
const POSTGRES = 'job="postgres",instance="postgres:9187"';
const SERVER = 'server_name="ministry.example.eu"';

/** Every alert's cases; input series are one sample per minute. */
const CASES: Readonly<Record<string, readonly Case[]>> = {
  HomeserverDown: [
    { name: 'Synapse unreachable for 3 minutes', series: [{ series: `up{${SYNAPSE}}`, values: '0x5' }], evalTime: '3m', fires: { job: 'synapse', instance: 'synapse:9000' } },
    { name: 'Synapse up', series: [{ series: `up{${SYNAPSE}}`, values: '1x5' }], evalTime: '3m' },
    { name: 'Synapse unreachable for 1 minute only (pending, not firing)', series: [{ series: `up{${SYNAPSE}}`, values: '0x5' }], evalTime: '1m' },
  ],
  HomeserverErrors: [
    {
      name: '9 % of responses are 5xx for 20 minutes',
      series: [
        { series: `synapse_http_server_responses_total{${SYNAPSE},${SERVER},method="GET",code="200"}`, values: '0+100x30' },
        { series: `synapse_http_server_responses_total{${SYNAPSE},${SERVER},method="PUT",code="500"}`, values: '0+10x30' },
      ],
      evalTime: '20m',
      fires: {},
    },
    {
      name: '1 % of responses are 5xx',
      series: [
        { series: `synapse_http_server_responses_total{${SYNAPSE},${SERVER},method="GET",code="200"}`, values: '0+100x30' },
        { series: `synapse_http_server_responses_total{${SYNAPSE},${SERVER},method="PUT",code="500"}`, values: '0+1x30' },
      ],
      evalTime: '20m',
    },
    { name: 'no requests at all', series: [{ series: `synapse_http_server_responses_total{${SYNAPSE},${SERVER},method="GET",code="200"}`, values: '0x30' }], evalTime: '20m' },
  ],
  EventProcessingLag: [
    {
      name: 'the federation sender 4000 events behind for 20 minutes',
      series: [
        { series: `synapse_event_persisted_position{${SYNAPSE},${SERVER}}`, values: '5000x30' },
        { series: `synapse_event_processing_positions{${SYNAPSE},${SERVER},name="federation_sender"}`, values: '1000x30' },
        { series: `synapse_event_processing_positions{${SYNAPSE},${SERVER},name="pusher"}`, values: '5000x30' },
      ],
      evalTime: '20m',
      fires: { job: 'synapse', instance: 'synapse:9000', server_name: 'ministry.example.eu', name: 'federation_sender' },
    },
    {
      name: 'every processor within 500 events',
      series: [
        { series: `synapse_event_persisted_position{${SYNAPSE},${SERVER}}`, values: '5000x30' },
        { series: `synapse_event_processing_positions{${SYNAPSE},${SERVER},name="federation_sender"}`, values: '4500x30' },
      ],
      evalTime: '20m',
    },
  ],
  FederationSendQueue: [
    { name: '5000 PDUs waiting for 20 minutes', series: [{ series: `synapse_federation_transaction_queue_pending_pdus{${SYNAPSE},${SERVER}}`, values: '5000x30' }], evalTime: '20m', fires: {} },
    { name: '10 PDUs waiting', series: [{ series: `synapse_federation_transaction_queue_pending_pdus{${SYNAPSE},${SERVER}}`, values: '10x30' }], evalTime: '20m' },
  ],
  PostgresDown: [
    {
      name: 'the exporter reports pg_up 0 for 3 minutes',
      series: [
        { series: `pg_up{${POSTGRES}}`, values: '0x5' },
        { series: `up{${POSTGRES}}`, values: '1x5' },
      ],
      evalTime: '3m',
      fires: { job: 'postgres', instance: 'postgres:9187' },
    },
    { name: 'the exporter itself unreachable for 3 minutes', series: [{ series: `up{${POSTGRES}}`, values: '0x5' }], evalTime: '3m', fires: { job: 'postgres', instance: 'postgres:9187' } },
    {
      name: 'PostgreSQL up',
      series: [
        { series: `pg_up{${POSTGRES}}`, values: '1x5' },
        { series: `up{${POSTGRES}}`, values: '1x5' },
      ],
      evalTime: '3m',
    },
  ],
  PostgresConnectionsHigh: [
    {
      name: '85 of 100 connections in use for 10 minutes',
      series: [
        { series: `pg_stat_database_numbackends{${POSTGRES},datname="synapse"}`, values: '50x10' },
        { series: `pg_stat_database_numbackends{${POSTGRES},datname="mas"}`, values: '35x10' },
        { series: `pg_settings_max_connections{${POSTGRES}}`, values: '100x10' },
      ],
      evalTime: '10m',
      fires: { instance: 'postgres:9187' },
    },
    {
      name: '50 of 100 connections in use',
      series: [
        { series: `pg_stat_database_numbackends{${POSTGRES},datname="synapse"}`, values: '30x10' },
        { series: `pg_stat_database_numbackends{${POSTGRES},datname="mas"}`, values: '20x10' },
        { series: `pg_settings_max_connections{${POSTGRES}}`, values: '100x10' },
      ],
      evalTime: '10m',
    },
  ],
  MasDown: [
    { name: 'MAS unreachable for 3 minutes', series: [{ series: 'up{job="mas",instance="mas:8081"}', values: '0x5' }], evalTime: '3m', fires: { job: 'mas', instance: 'mas:8081' } },
    { name: 'MAS up', series: [{ series: 'up{job="mas",instance="mas:8081"}', values: '1x5' }], evalTime: '3m' },
  ],
};

const examples: readonly DeploymentSpec[] = loadDeploymentFiles(
  readdirSync(join(ROOT, 'deployments'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ROOT, 'deployments', f)),
).map(({ spec }) => spec);

/** Every federation mode, so every rule the spec can switch on is rendered at least once. */
const specs: readonly DeploymentSpec[] = [
  ...examples,
  ...['closed', 'open'].map((mode) => parseDeployment(`name: mode-${mode}\nserver_name: ${mode}.example.eu\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@example.eu\nbackup:\n  enabled: false\nfederation:\n  mode: ${mode}\n`, `${mode}.yaml`)),
];

let promtool = '';
let dir = '';

beforeAll(() => {
  promtool = join(ensureTools('prometheus'), 'promtool');
  dir = mkdtempSync(join(tmpdir(), 'sm-alert-rules-'));
}, 40 * 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(promtool, args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error?.message ?? ''}` };
}

/** The rendered rules of `spec` written to their own directory, as Prometheus reads them. */
function writeRules(spec: DeploymentSpec): string {
  const specDir = mkdtempSync(join(dir, `${spec.name}-`));
  writeFileSync(join(specDir, ALERT_RULES_FILE), renderAlertRules(spec));
  return specDir;
}

/** promtool's unit-test file for one alert's cases, expecting the rendered labels and annotations. */
function promtoolTests(rule: AlertRule, cases: readonly Case[]): string {
  return YAML.stringify({
    rule_files: [ALERT_RULES_FILE],
    evaluation_interval: '1m',
    tests: cases.map((c) => ({
      name: `${rule.alert}: ${c.name}`,
      interval: '1m',
      input_series: c.series,
      alert_rule_test: [
        {
          eval_time: c.evalTime,
          alertname: rule.alert,
          exp_alerts: c.fires === undefined ? [] : [{ exp_labels: { ...c.fires, ...rule.labels }, exp_annotations: rule.annotations }],
        },
      ],
    })),
  });
}

test('the rules of every example deployment pass promtool check rules', () => {
  expect(examples.length).toBeGreaterThanOrEqual(3);
  for (const spec of specs) {
    const specDir = writeRules(spec);
    const count = alertRules(spec).groups.flatMap((g) => g.rules).length;
    const check = run(['check', 'rules', ALERT_RULES_FILE], specDir);
    expect({ deployment: spec.name, status: check.status, output: check.output }).toEqual({
      deployment: spec.name,
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${count} rules found`),
    });
  }
});

test('every rendered alert has cases here, a firing one and a quiet one; every case names a rendered alert', () => {
  const rendered = new Set(specs.flatMap((spec) => alertRules(spec).groups.flatMap((g) => g.rules.map((r) => r.alert))));
  expect([...rendered].sort()).toEqual(Object.keys(CASES).sort());
  for (const [alert, cases] of Object.entries(CASES)) {
    expect({ alert, firing: cases.some((c) => c.fires !== undefined), quiet: cases.some((c) => c.fires === undefined) }).toEqual({ alert, firing: true, quiet: true });
  }
});

const runs = specs.flatMap((spec) => alertRules(spec).groups.flatMap((g) => g.rules.map((rule) => ({ deployment: spec.name, spec, rule }))));

test.each(runs)('$deployment: $rule.alert fires and stays quiet as its cases say (promtool test rules)', ({ spec, rule }) => {
  const cases = CASES[rule.alert];
  expect(cases).toBeDefined();
  const specDir = writeRules(spec);
  writeFileSync(join(specDir, 'tests.yml'), promtoolTests(rule, cases));
  const result = run(['test', 'rules', 'tests.yml'], specDir);
  expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
});
