import type { DeploymentSpec } from '../config/spec';
import { renderBackup } from './backup';
import { renderCoturn } from './coturn';
import { renderElementWeb } from './element-web';
import type { RenderedFile } from './files';
import { renderKeycloak } from './keycloak';
import { renderLivekit } from './livekit';
import { renderLkJwtService } from './lk-jwt-service';
import { renderMas } from './mas';
import { renderBundledMonitoring } from './monitoring/bundled';
import { renderKeycloakPostgresInit, renderMasPostgresInit, renderPostgresInit } from './postgres';
import { renderPostgresExporterQueries, renderPostgresMetricsInit } from './postgres-exporter';
import { renderRedis } from './redis';
import { renderSynapse } from './synapse';
import { renderSynapseRouter } from './synapse-router';
import { renderSynapseWorkers } from './synapse-worker-files';
import { renderTraefik } from './traefik';
import { renderWebServer } from './web-server';
import { renderWellKnown } from './well-known';

/** A pure function from the deployment to the files of one service. */
export type Renderer = (spec: DeploymentSpec) => RenderedFile[];

/**
 * Every service's renderer, in output order. Each module under src/render/ adds itself here;
 * renderers that do not apply to a deployment (TURN off, no Keycloak) return [].
 */
const RENDERERS: readonly Renderer[] = [
  renderPostgresInit,
  renderSynapse,
  renderSynapseWorkers,
  renderSynapseRouter,
  renderRedis,
  renderWellKnown,
  renderWebServer,
  renderElementWeb,
  renderCoturn,
  renderLivekit,
  renderLkJwtService,
  renderTraefik,
  renderMasPostgresInit,
  renderKeycloakPostgresInit,
  renderPostgresMetricsInit,
  renderPostgresExporterQueries,
  renderMas,
  renderKeycloak,
  renderBackup,
  renderBundledMonitoring,
];

/** Every rendered file of a deployment, sorted by path. */
export function renderAll(spec: DeploymentSpec): RenderedFile[] {
  const files = RENDERERS.flatMap((render) => render(spec));
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw new Error(`two renderers wrote ${file.path}`);
    seen.add(file.path);
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
