import { basename, dirname } from 'node:path';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { Resources } from '../../config/sizing';

/**
 * Building blocks every workload of the apps stack shares, so hardening is written once:
 * non-root, no privilege escalation, no capabilities, read-only root filesystem, RuntimeDefault
 * seccomp, and no service account token (none of our programs talks to the Kubernetes API).
 */

export function podSecurityContext(uid: number): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(uid: number): ISecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
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
export function resources(r: Resources): IResourceRequirements {
  const mebibytes = Math.round(r.memoryGiB * 1024);
  return {
    requests: { cpu: cpuQuantity(r.cpu), memory: binaryQuantity(mebibytes, 'Mi') },
    limits: { memory: binaryQuantity(Math.round(mebibytes * 1.5), 'Mi') },
  };
}

const BINARY_UNITS = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi'] as const;

/**
 * A quantity in the canonical form the API server stores (`2048Mi` is stored as `2Gi`), so that
 * what server-side apply returns equals what was sent and a second plan is empty.
 */
export function binaryQuantity(amount: number, unit: (typeof BINARY_UNITS)[number]): string {
  if (!Number.isInteger(amount) || amount < 1) throw new Error(`quantity ${amount}${unit} is not a positive whole number`);
  let i = BINARY_UNITS.indexOf(unit);
  while (amount % 1024 === 0 && i < BINARY_UNITS.length - 1) {
    amount /= 1024;
    i += 1;
  }
  return `${amount}${BINARY_UNITS[i]}`;
}

/** CPU in the API server's canonical form: whole cores as `2`, anything else in millicores (`250m`). */
export function cpuQuantity(cores: number): string {
  const millicores = Math.round(cores * 1000);
  if (millicores < 1) throw new Error(`CPU ${cores} is below one millicore`);
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** A Secret key mounted as a single file at an absolute path (its directory becomes the mount). */
export interface SecretFile {
  readonly secretName: string;
  readonly key: string;
  readonly path: string;
}

/** Volumes and mounts for secret files, one volume per directory. */
export function secretFileMounts(files: readonly SecretFile[]): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const byDir = new Map<string, SecretFile[]>();
  for (const file of files) byDir.set(dirname(file.path), [...(byDir.get(dirname(file.path)) ?? []), file]);
  const volumes = [...byDir.entries()].map(([dir, dirFiles], i) => {
    const secretNames = new Set(dirFiles.map((f) => f.secretName));
    if (secretNames.size !== 1) throw new Error(`secret files in ${dir} come from several Secrets`);
    return {
      name: `secret-${i}`,
      secret: {
        secretName: dirFiles[0].secretName,
        defaultMode: 0o400,
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
