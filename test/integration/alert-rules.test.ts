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
import { ownsNode } from '../../src/config/node-target';
import { namespaceName } from '../../src/render/namespace';
import { alertRules, renderAlertRules, type AlertRule } from '../../src/render/monitoring/alert-rules';
import { ALERT_RULES_FILE } from '../../src/render/monitoring/scrape-config';
import { ensureTools } from './tools';

const ROOT = join(__dirname, '..', '..');

/** One input series in promtool's expanding notation ('0+10x30': 0, 10, ..., 300, one per minute). */
interface Series {
  readonly series: string;
  readonly values: string;
}

/**
 * One situation for one alert: the series, when to look, and the labels of the alert if it fires
 * then. `@NS@` in a series or a label stands for the deployment's namespace. An alert whose
 * expression differs by target (CertificateExpiresSoon: Traefik's gauge on the kit's k3s,
 * cert-manager's elsewhere) has cases per target.
 */
interface Case {
  readonly name: string;
  readonly series: readonly Series[];
  readonly evalTime: string;
  /** The alert's labels besides alertname and severity; undefined means: no alert at evalTime. */
  readonly fires?: Readonly<Record<string, string>>;
  /** Only for deployments on the kit's own k3s node (Hetzner, OpenStack) or on an existing cluster. */
  readonly target?: 'kit-node' | 'kubernetes';
  /** Only for deployments whose PostgreSQL this engine runs (scale.postgres.engine). */
  readonly engine?: 'bundled' | 'cloudnative-pg';
}

const SYNAPSE = 'job="synapse",instance="synapse:9000"';
const NODE = 'job="node",instance="10.0.1.2:9100"';
const DATA_FS = 'device="/dev/sdb",fstype="ext4",mountpoint="/var/lib/sovereign-matrix"';
const DATA_FS_LABELS = { job: 'node', instance: '10.0.1.2:9100', device: '/dev/sdb', fstype: 'ext4', mountpoint: '/var/lib/sovereign-matrix' };
const GB = 1e9;
const TRAEFIK = 'job="traefik",instance="traefik-metrics.kube-system.svc:9100"';
const CERT = 'cn="matrix.ministry.example.eu",sans="matrix.ministry.example.eu"';
const DAY = 86400;
const KUBELET = 'job="kubelet",instance="node-1"';
const PVC = { job: 'kubelet', instance: 'node-1', namespace: '@NS@', persistentvolumeclaim: 'data-postgres-0' };
const ARCHIVER = `${'job="postgres",instance="postgres:9187"'},server="postgres:5432"`;
const ARCHIVER_LABELS = { job: 'postgres', instance: 'postgres:9187', server: 'postgres:5432' };

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
      engine: 'bundled',
    },
    { name: 'the exporter itself unreachable for 3 minutes', series: [{ series: `up{${POSTGRES}}`, values: '0x5' }], evalTime: '3m', fires: { job: 'postgres', instance: 'postgres:9187' }, engine: 'bundled' },
    {
      name: 'PostgreSQL up',
      series: [
        { series: `pg_up{${POSTGRES}}`, values: '1x5' },
        { series: `up{${POSTGRES}}`, values: '1x5' },
      ],
      evalTime: '3m',
      engine: 'bundled',
    },

    // CloudNativePG: the primary's instance manager (its own cnpg_collector_up), through the `postgres` Service.
    {
      name: 'CloudNativePG: the primary reports PostgreSQL down for 3 minutes',
      series: [
        { series: `cnpg_collector_up{${POSTGRES},cluster="postgres"}`, values: '0x5' },
        { series: `up{${POSTGRES}}`, values: '1x5' },
      ],
      evalTime: '3m',
      fires: { job: 'postgres', instance: 'postgres:9187', cluster: 'postgres' },
      engine: 'cloudnative-pg',
    },
    { name: 'CloudNativePG: no primary to scrape for 3 minutes', series: [{ series: `up{job="synapse",instance="synapse:9000"}`, values: '1x5' }], evalTime: '3m', fires: { job: 'postgres' }, engine: 'cloudnative-pg' },
    {
      name: 'CloudNativePG: the primary up',
      series: [
        { series: `cnpg_collector_up{${POSTGRES},cluster="postgres"}`, values: '1x5' },
        { series: `up{${POSTGRES}}`, values: '1x5' },
      ],
      evalTime: '3m',
      engine: 'cloudnative-pg',
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
      engine: 'bundled',
    },
    {
      name: '50 of 100 connections in use',
      series: [
        { series: `pg_stat_database_numbackends{${POSTGRES},datname="synapse"}`, values: '30x10' },
        { series: `pg_stat_database_numbackends{${POSTGRES},datname="mas"}`, values: '20x10' },
        { series: `pg_settings_max_connections{${POSTGRES}}`, values: '100x10' },
      ],
      evalTime: '10m',
      engine: 'bundled',
    },
    {
      name: 'CloudNativePG: 85 of 100 connections in use on the primary for 10 minutes',
      series: [
        { series: `cnpg_backends_total{${POSTGRES},datname="synapse",usename="synapse",application_name="",state="idle"}`, values: '50x10' },
        { series: `cnpg_backends_total{${POSTGRES},datname="mas",usename="mas",application_name="",state="active"}`, values: '35x10' },
        { series: `cnpg_pg_settings_setting{${POSTGRES},name="max_connections"}`, values: '100x10' },
        { series: `cnpg_pg_settings_setting{${POSTGRES},name="max_wal_senders"}`, values: '10x10' },
      ],
      evalTime: '10m',
      fires: { instance: 'postgres:9187' },
      engine: 'cloudnative-pg',
    },
    {
      name: 'CloudNativePG: 50 of 100 connections in use',
      series: [
        { series: `cnpg_backends_total{${POSTGRES},datname="synapse",usename="synapse",application_name="",state="idle"}`, values: '50x10' },
        { series: `cnpg_pg_settings_setting{${POSTGRES},name="max_connections"}`, values: '100x10' },
      ],
      evalTime: '10m',
      engine: 'cloudnative-pg',
    },
  ],
  PostgresReplicaMissing: [
    {
      name: 'CloudNativePG: one of two standbys gone for 15 minutes',
      series: [
        { series: `cnpg_pg_replication_streaming_replicas{${POSTGRES}}`, values: '1x20' },
        { series: `cnpg_pg_replication_in_recovery{${POSTGRES}}`, values: '0x20' },
      ],
      evalTime: '15m',
      fires: { job: 'postgres', instance: 'postgres:9187' },
      engine: 'cloudnative-pg',
    },
    {
      name: 'CloudNativePG: both standbys streaming',
      series: [
        { series: `cnpg_pg_replication_streaming_replicas{${POSTGRES}}`, values: '2x20' },
        { series: `cnpg_pg_replication_in_recovery{${POSTGRES}}`, values: '0x20' },
      ],
      evalTime: '15m',
      engine: 'cloudnative-pg',
    },
    {
      name: 'CloudNativePG: one standby gone for 5 minutes only (pending, not firing)',
      series: [
        { series: `cnpg_pg_replication_streaming_replicas{${POSTGRES}}`, values: '1x20' },
        { series: `cnpg_pg_replication_in_recovery{${POSTGRES}}`, values: '0x20' },
      ],
      evalTime: '5m',
      engine: 'cloudnative-pg',
    },
  ],
  MasDown: [
    { name: 'MAS unreachable for 3 minutes', series: [{ series: 'up{job="mas",instance="mas:8081"}', values: '0x5' }], evalTime: '3m', fires: { job: 'mas', instance: 'mas:8081' } },
    { name: 'MAS up', series: [{ series: 'up{job="mas",instance="mas:8081"}', values: '1x5' }], evalTime: '3m' },
  ],
  NodeExporterDown: [
    { name: 'node_exporter unreachable for 6 minutes', series: [{ series: `up{${NODE}}`, values: '0x10' }], evalTime: '6m', fires: { job: 'node', instance: '10.0.1.2:9100' } },
    { name: 'node_exporter unreachable for 3 minutes only', series: [{ series: `up{${NODE}}`, values: '0x10' }], evalTime: '3m' },
    { name: 'node_exporter up', series: [{ series: `up{${NODE}}`, values: '1x10' }], evalTime: '6m' },
  ],
  IngressDown: [
    { name: 'Traefik unreachable for 3 minutes', series: [{ series: `up{${TRAEFIK}}`, values: '0x5' }], evalTime: '3m', fires: { job: 'traefik', instance: 'traefik-metrics.kube-system.svc:9100' } },
    { name: 'Traefik up', series: [{ series: `up{${TRAEFIK}}`, values: '1x5' }], evalTime: '3m' },
  ],
  DataVolumeAlmostFull: [
    {
      name: 'the data volume 85 % used for 20 minutes',
      series: [
        { series: `node_filesystem_avail_bytes{${NODE},${DATA_FS}}`, values: `${15 * GB}x30` },
        { series: `node_filesystem_size_bytes{${NODE},${DATA_FS}}`, values: `${100 * GB}x30` },
      ],
      evalTime: '20m',
      fires: DATA_FS_LABELS,
    },
    {
      name: 'the data volume half used, the root file system 95 % (not the data volume)',
      series: [
        { series: `node_filesystem_avail_bytes{${NODE},${DATA_FS}}`, values: `${50 * GB}x30` },
        { series: `node_filesystem_size_bytes{${NODE},${DATA_FS}}`, values: `${100 * GB}x30` },
        { series: `node_filesystem_avail_bytes{${NODE},device="/dev/sda1",fstype="ext4",mountpoint="/"}`, values: `${1 * GB}x30` },
        { series: `node_filesystem_size_bytes{${NODE},device="/dev/sda1",fstype="ext4",mountpoint="/"}`, values: `${20 * GB}x30` },
      ],
      evalTime: '20m',
    },
  ],
  DataVolumeFull: [
    {
      name: 'the data volume 95 % used for 20 minutes',
      series: [
        { series: `node_filesystem_avail_bytes{${NODE},${DATA_FS}}`, values: `${5 * GB}x30` },
        { series: `node_filesystem_size_bytes{${NODE},${DATA_FS}}`, values: `${100 * GB}x30` },
      ],
      evalTime: '20m',
      fires: DATA_FS_LABELS,
    },
    {
      name: 'half used but losing 6 GB an hour (full in about 8 hours)',
      series: [
        { series: `node_filesystem_avail_bytes{${NODE},${DATA_FS}}`, values: `${60 * GB}-${0.1 * GB}x90` },
        { series: `node_filesystem_size_bytes{${NODE},${DATA_FS}}`, values: `${100 * GB}x90` },
      ],
      evalTime: '90m',
      fires: DATA_FS_LABELS,
    },
    {
      name: '85 % used and steady (almost full, not full)',
      series: [
        { series: `node_filesystem_avail_bytes{${NODE},${DATA_FS}}`, values: `${15 * GB}x90` },
        { series: `node_filesystem_size_bytes{${NODE},${DATA_FS}}`, values: `${100 * GB}x90` },
      ],
      evalTime: '90m',
    },
    {
      name: 'half used, growing 60 MB an hour (years to fill)',
      series: [
        { series: `node_filesystem_avail_bytes{${NODE},${DATA_FS}}`, values: `${50 * GB}-${0.001 * GB}x90` },
        { series: `node_filesystem_size_bytes{${NODE},${DATA_FS}}`, values: `${100 * GB}x90` },
      ],
      evalTime: '90m',
    },
  ],
  CertificateExpiresSoon: [
    // Promtool's clock starts at the epoch: a value of 10 days is 10 days from the start.
    { target: 'kit-node', name: 'Traefik: the certificate expires in 10 days', series: [{ series: `traefik_tls_certs_not_after{${TRAEFIK},${CERT},serial="1"}`, values: `${10 * DAY}x180` }], evalTime: '2h', fires: { cn: 'matrix.ministry.example.eu', sans: 'matrix.ministry.example.eu' } },
    { target: 'kit-node', name: 'Traefik: the certificate expires in 60 days', series: [{ series: `traefik_tls_certs_not_after{${TRAEFIK},${CERT},serial="1"}`, values: `${60 * DAY}x180` }], evalTime: '2h' },
    {
      target: 'kit-node',
      name: "Traefik: renewed, the old certificate's series still there (Traefik keeps it until a restart)",
      series: [
        { series: `traefik_tls_certs_not_after{${TRAEFIK},${CERT},serial="1"}`, values: `${10 * DAY}x180` },
        { series: `traefik_tls_certs_not_after{${TRAEFIK},${CERT},serial="2"}`, values: `${90 * DAY}x180` },
      ],
      evalTime: '2h',
    },
    {
      target: 'kubernetes',
      name: "cert-manager: matrix-tls expires in 10 days (ServiceMonitor without honorLabels: the Certificate's namespace in exported_namespace)",
      series: [{ series: 'certmanager_certificate_expiration_timestamp_seconds{job="cert-manager",namespace="cert-manager",exported_namespace="@NS@",name="matrix-tls"}', values: `${10 * DAY}x180` }],
      evalTime: '2h',
      fires: { namespace: 'cert-manager', exported_namespace: '@NS@', name: 'matrix-tls' },
    },
    {
      target: 'kubernetes',
      name: 'cert-manager: turn-tls expires in 10 days (honorLabels: namespace is the Certificate\'s)',
      series: [{ series: 'certmanager_certificate_expiration_timestamp_seconds{job="cert-manager",namespace="@NS@-turn",name="turn-tls"}', values: `${10 * DAY}x180` }],
      evalTime: '2h',
      fires: { namespace: '@NS@-turn', name: 'turn-tls' },
    },
    {
      target: 'kubernetes',
      name: "cert-manager: another namespace's certificate expires, the deployment's are fine",
      series: [
        { series: 'certmanager_certificate_expiration_timestamp_seconds{job="cert-manager",namespace="cert-manager",exported_namespace="other-app",name="other-tls"}', values: `${2 * DAY}x180` },
        { series: 'certmanager_certificate_expiration_timestamp_seconds{job="cert-manager",namespace="cert-manager",exported_namespace="@NS@",name="matrix-tls"}', values: `${60 * DAY}x180` },
      ],
      evalTime: '2h',
    },
  ],
  PersistentVolumeAlmostFull: [
    {
      name: "PostgreSQL's claim 85 % used for 20 minutes",
      series: [
        { series: `kubelet_volume_stats_available_bytes{${KUBELET},namespace="@NS@",persistentvolumeclaim="data-postgres-0"}`, values: `${15 * GB}x30` },
        { series: `kubelet_volume_stats_capacity_bytes{${KUBELET},namespace="@NS@",persistentvolumeclaim="data-postgres-0"}`, values: `${100 * GB}x30` },
      ],
      evalTime: '20m',
      fires: PVC,
    },
    {
      name: "another namespace's claim 95 % used",
      series: [
        { series: `kubelet_volume_stats_available_bytes{${KUBELET},namespace="other-app",persistentvolumeclaim="data"}`, values: `${5 * GB}x30` },
        { series: `kubelet_volume_stats_capacity_bytes{${KUBELET},namespace="other-app",persistentvolumeclaim="data"}`, values: `${100 * GB}x30` },
      ],
      evalTime: '20m',
    },
  ],
  PersistentVolumeFull: [
    {
      name: "PostgreSQL's claim 95 % used for 20 minutes",
      series: [
        { series: `kubelet_volume_stats_available_bytes{${KUBELET},namespace="@NS@",persistentvolumeclaim="data-postgres-0"}`, values: `${5 * GB}x30` },
        { series: `kubelet_volume_stats_capacity_bytes{${KUBELET},namespace="@NS@",persistentvolumeclaim="data-postgres-0"}`, values: `${100 * GB}x30` },
      ],
      evalTime: '20m',
      fires: PVC,
    },
    {
      name: "PostgreSQL's claim 85 % used and steady",
      series: [
        { series: `kubelet_volume_stats_available_bytes{${KUBELET},namespace="@NS@",persistentvolumeclaim="data-postgres-0"}`, values: `${15 * GB}x90` },
        { series: `kubelet_volume_stats_capacity_bytes{${KUBELET},namespace="@NS@",persistentvolumeclaim="data-postgres-0"}`, values: `${100 * GB}x90` },
      ],
      evalTime: '90m',
    },
  ],
  BackupTooOld: [
    {
      name: 'no PostgreSQL backup for 28 hours, the files backup daily',
      series: [
        { series: 'sovereign_matrix_backup_last_success_timestamp_seconds{job="postgres",instance="postgres:9187",kind="postgres"}', values: '0x1700' },
        // The files agent succeeds every minute here: its newest backup is never old.
        { series: 'sovereign_matrix_backup_last_success_timestamp_seconds{job="postgres",instance="postgres:9187",kind="files"}', values: '0+60x1700' },
      ],
      evalTime: '28h',
      fires: { job: 'postgres', instance: 'postgres:9187', kind: 'postgres' },
    },
    {
      name: 'the newest backup 26.5 hours old (over the limit for less than the hold time)',
      series: [{ series: 'sovereign_matrix_backup_last_success_timestamp_seconds{job="postgres",instance="postgres:9187",kind="postgres"}', values: '0x1700' }],
      evalTime: '26h30m',
    },
    {
      name: 'both kinds backed up recently',
      series: [
        { series: 'sovereign_matrix_backup_last_success_timestamp_seconds{job="postgres",instance="postgres:9187",kind="postgres"}', values: '0+60x1700' },
        { series: 'sovereign_matrix_backup_last_success_timestamp_seconds{job="postgres",instance="postgres:9187",kind="files"}', values: '0+60x1700' },
      ],
      evalTime: '28h',
    },
  ],
  WalArchivingFailing: [
    {
      name: 'a failure every minute, nothing archived, for 20 minutes',
      series: [
        { series: `pg_stat_archiver_failed_count{${ARCHIVER}}`, values: '0+1x30' },
        { series: `pg_stat_archiver_archived_count{${ARCHIVER}}`, values: '5x30' },
      ],
      evalTime: '20m',
      fires: ARCHIVER_LABELS,
    },
    {
      name: 'failures, each retried successfully',
      series: [
        { series: `pg_stat_archiver_failed_count{${ARCHIVER}}`, values: '0+1x30' },
        { series: `pg_stat_archiver_archived_count{${ARCHIVER}}`, values: '0+1x30' },
      ],
      evalTime: '20m',
    },
    {
      name: 'no failures',
      series: [
        { series: `pg_stat_archiver_failed_count{${ARCHIVER}}`, values: '0x30' },
        { series: `pg_stat_archiver_archived_count{${ARCHIVER}}`, values: '0+1x30' },
      ],
      evalTime: '20m',
    },
  ],
  WalArchivingStalled: [
    {
      name: 'nothing archived for 35 minutes while rows are inserted',
      series: [
        { series: `pg_stat_archiver_last_archive_age{${ARCHIVER}}`, values: '0+60x40' },
        { series: 'pg_stat_database_tup_inserted{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '0+10x40' },
        { series: 'pg_stat_database_tup_updated{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '0x40' },
        { series: 'pg_stat_database_tup_deleted{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '0x40' },
      ],
      evalTime: '35m',
      fires: ARCHIVER_LABELS,
    },
    {
      name: 'nothing archived for 35 minutes, an idle database (no WAL to archive)',
      series: [
        { series: `pg_stat_archiver_last_archive_age{${ARCHIVER}}`, values: '0+60x40' },
        { series: 'pg_stat_database_tup_inserted{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '100x40' },
        { series: 'pg_stat_database_tup_updated{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '7x40' },
        { series: 'pg_stat_database_tup_deleted{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '0x40' },
      ],
      evalTime: '35m',
    },
    {
      name: 'rows change and segments are archived every minute',
      series: [
        { series: `pg_stat_archiver_last_archive_age{${ARCHIVER}}`, values: '30x40' },
        { series: 'pg_stat_database_tup_inserted{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '0+10x40' },
        { series: 'pg_stat_database_tup_updated{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '0+10x40' },
        { series: 'pg_stat_database_tup_deleted{job="postgres",instance="postgres:9187",server="postgres:5432",datid="16384",datname="synapse"}', values: '0+10x40' },
      ],
      evalTime: '35m',
    },
  ],
};

const examples: readonly DeploymentSpec[] = loadDeploymentFiles(
  readdirSync(join(ROOT, 'deployments'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ROOT, 'deployments', f)),
).map(({ spec }) => spec);

/**
 * Every federation mode, and an existing cluster monitored by its Prometheus Operator stack (with
 * backups), so every rule the spec can switch on is rendered at least once. The examples are
 * rendered for the evaluator they default to.
 */
const specs: readonly DeploymentSpec[] = [
  ...examples,
  ...['closed', 'open'].map((mode) => parseDeployment(`name: mode-${mode}\nserver_name: ${mode}.example.eu\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@example.eu\nbackup:\n  enabled: false\nfederation:\n  mode: ${mode}\n`, `${mode}.yaml`)),
  parseDeployment(
    'name: operator\nserver_name: operator.example.eu\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@example.eu\nbackup:\n  s3:\n    endpoint: https://s3.example-eu.eu\n    bucket: operator-backups\n    region: eu-west\nmonitoring:\n  stack: prometheus-operator\n',
    'operator.yaml',
  ),
  // PostgreSQL under CloudNativePG (three instances): its own series, and the replica alert.
  parseDeployment(
    'name: replicated\nserver_name: replicated.example.eu\ntarget:\n  kubernetes:\n    context: test\nadmin_contact: ops@example.eu\nbackup:\n  enabled: false\nscale:\n  postgres:\n    engine: cloudnative-pg\n    instances: 3\n',
    'replicated.yaml',
  ),
];

/** The cases of `alert` that apply to `spec`, with its namespace in place of @NS@. */
function casesFor(spec: DeploymentSpec, alert: string): Case[] {
  const ns = namespaceName(spec);
  const fill = (text: string) => text.split('@NS@').join(ns);
  return (CASES[alert] ?? [])
    .filter((c) => (c.target === undefined || c.target === (ownsNode(spec.target) ? 'kit-node' : 'kubernetes')) && (c.engine === undefined || c.engine === spec.scale.postgres.engine))
    .map((c) => ({
      ...c,
      series: c.series.map((x) => ({ series: fill(x.series), values: x.values })),
      ...(c.fires === undefined ? {} : { fires: Object.fromEntries(Object.entries(c.fires).map(([k, v]) => [k, fill(v)])) }),
    }));
}

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

test('every alert has, for each target it is rendered on, a firing case and a quiet case', () => {
  for (const spec of specs) {
    for (const rule of alertRules(spec).groups.flatMap((g) => g.rules)) {
      const cases = casesFor(spec, rule.alert);
      expect({ deployment: spec.name, alert: rule.alert, firing: cases.some((c) => c.fires !== undefined), quiet: cases.some((c) => c.fires === undefined) }).toEqual({
        deployment: spec.name,
        alert: rule.alert,
        firing: true,
        quiet: true,
      });
    }
  }
});

test.each(runs)('$deployment: $rule.alert fires and stays quiet as its cases say (promtool test rules)', ({ spec, rule }) => {
  const cases = casesFor(spec, rule.alert);
  expect(cases.length).toBeGreaterThan(0);
  const specDir = writeRules(spec);
  writeFileSync(join(specDir, 'tests.yml'), promtoolTests(rule, cases));
  const result = run(['test', 'rules', 'tests.yml'], specDir);
  expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
});
