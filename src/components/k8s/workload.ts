import { basename, dirname } from 'node:path';
import type { Resources } from '../../config/sizing';

/**
 * Building blocks every workload of the apps stack shares, so hardening is written once:
 * non-root, no privilege escalation, no capabilities, read-only root filesystem, RuntimeDefault
 * seccomp, and no service account token (none of our programs talks to the Kubernetes API).
 */

/** Labels that select one component's pods. */
export function componentLabels(deployment: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': deployment,
    'app.kubernetes.io/part-of': 'sovereign-matrix',
    'app.kubernetes.io/managed-by': 'sovereign-matrix',
  };
}

/** Just the selector part of componentLabels (selectors are immutable; keep them minimal). */
export function selectorLabels(deployment: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': component, 'app.kubernetes.io/instance': deployment };
}

export function podSecurityContext(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: String(uid),
    runAsGroup: String(uid),
    fsGroup: String(uid),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: String(uid),
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod-level settings that close doors nothing needs. */
export const POD_DEFAULTS = {
  automountServiceAccountToken: false,
  enableServiceLinks: false,
} as const;

/**
 * Requests from the size profile. Memory is limited at 1.5x the request (Element's figures are
 * averages); CPU is not limited, because CPU limits throttle Synapse's bursts (joins, backfill)
 * while requests already reserve the profile's share of the node.
 */
export function resources(r: Resources) {
  const mebibytes = Math.round(r.memoryGiB * 1024);
  return {
    requests: { cpu: String(r.cpu), memory: `${mebibytes}Mi` },
    limits: { memory: `${Math.round(mebibytes * 1.5)}Mi` },
  };
}

/** A Secret key mounted as a single file at an absolute path (its directory becomes the mount). */
export interface SecretFile {
  readonly secretName: string;
  readonly key: string;
  readonly path: string;
}

/** Volumes and mounts for secret files, one volume per directory. */
export function secretFileMounts(files: readonly SecretFile[]) {
  const byDir = new Map<string, SecretFile[]>();
  for (const file of files) byDir.set(dirname(file.path), [...(byDir.get(dirname(file.path)) ?? []), file]);
  const volumes = [...byDir.entries()].map(([dir, dirFiles], i) => {
    const secretNames = new Set(dirFiles.map((f) => f.secretName));
    if (secretNames.size !== 1) throw new Error(`secret files in ${dir} come from several Secrets`);
    return {
      name: `secret-${i}`,
      secret: {
        secretName: dirFiles[0].secretName,
        defaultMode: '0400',
        items: dirFiles.map((f) => ({ key: f.key, path: basename(f.path) })),
      },
    };
  });
  const mounts = [...byDir.keys()].map((dir, i) => ({ name: `secret-${i}`, mountPath: dir, readOnly: true }));
  return { volumes, mounts };
}

/**
 * Shell that copies a rendered file replacing every @@NAME@@ placeholder with the environment
 * variable NAME (see src/render/files.ts). awk's ENVIRON avoids quoting problems sed would have.
 */
export function substitutePlaceholders(source: string, target: string): string {
  return (
    `awk '{ while (match($0, /@@[A-Z][A-Z0-9_]*@@/)) { name = substr($0, RSTART + 2, RLENGTH - 4); ` +
    `$0 = substr($0, 1, RSTART - 1) ENVIRON[name] substr($0, RSTART + RLENGTH) } print }' ${source} > ${target}`
  );
}
