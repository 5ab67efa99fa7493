import {
  binaryQuantity,
  containerSecurityContext,
  cpuQuantity,
  podSecurityContext,
  resources,
  secretFileMounts,
  substitutePlaceholders,
} from '../../../src/components/k8s/workload';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../../helpers';

describe('quantities in the canonical form the API server stores', () => {
  it('moves binary amounts up a unit while they divide by 1024', () => {
    expect(binaryQuantity(2048, 'Mi')).toBe('2Gi');
    expect(binaryQuantity(1536, 'Mi')).toBe('1536Mi');
    expect(binaryQuantity(1024 * 1024, 'Mi')).toBe('1Ti');
    expect(binaryQuantity(512, 'Ki')).toBe('512Ki');
  });

  it('refuses a fraction or nothing', () => {
    expect(() => binaryQuantity(1.5, 'Gi')).toThrow(/not a positive whole number/);
    expect(() => binaryQuantity(0, 'Mi')).toThrow(/not a positive whole number/);
  });

  it('writes whole cores as a number and the rest in millicores', () => {
    expect(cpuQuantity(2)).toBe('2');
    expect(cpuQuantity(0.25)).toBe('250m');
    expect(cpuQuantity(1.5)).toBe('1500m');
    expect(() => cpuQuantity(0.0001)).toThrow(/below one millicore/);
  });

  it('requests the profile and limits memory only, at 1.5 times the request', () => {
    expect(resources({ cpu: 1, memoryGiB: 2 })).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } });
    expect(resources({ cpu: 0.5, memoryGiB: 0.5 })).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '768Mi' } });
  });
});

describe('hardening', () => {
  it('runs containers non-root, read-only, without privilege or capabilities, under RuntimeDefault', () => {
    expect(containerSecurityContext(991)).toEqual({
      runAsNonRoot: true,
      runAsUser: 991,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(podSecurityContext(999)).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } });
  });
});

describe('secretFileMounts', () => {
  it('mounts one read-only volume per directory, each key at its file name, owner-read only', () => {
    const { volumes, mounts } = secretFileMounts([
      { secretName: 'synapse', key: 'macaroon', path: '/secrets/synapse/macaroon' },
      { secretName: 'synapse', key: 'form', path: '/secrets/synapse/form-secret' },
      { secretName: 'turn', key: 'shared-secret', path: '/secrets/turn/shared-secret' },
    ]);
    expect(volumes).toEqual([
      { name: 'secret-0', secret: { secretName: 'synapse', defaultMode: 0o400, items: [{ key: 'macaroon', path: 'macaroon' }, { key: 'form', path: 'form-secret' }] } },
      { name: 'secret-1', secret: { secretName: 'turn', defaultMode: 0o400, items: [{ key: 'shared-secret', path: 'shared-secret' }] } },
    ]);
    expect(mounts).toEqual([
      { name: 'secret-0', mountPath: '/secrets/synapse', readOnly: true },
      { name: 'secret-1', mountPath: '/secrets/turn', readOnly: true },
    ]);
  });

  it('refuses two Secrets in one directory (one volume cannot hold both)', () => {
    expect(() =>
      secretFileMounts([
        { secretName: 'a', key: 'k', path: '/secrets/x/one' },
        { secretName: 'b', key: 'k', path: '/secrets/x/two' },
      ]),
    ).toThrow('secret files in /secrets/x come from several Secrets');
  });
});

describe('substitutePlaceholders', () => {
  it('replaces every @@NAME@@ with the environment variable NAME, quotes and all', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in'), 'a: @@ONE@@ b: @@TWO_2@@ @@ONE@@\nkeep @@lower@@\n');
    execFileSync('sh', ['-c', substitutePlaceholders(join(dir, 'in'), join(dir, 'out'))], { env: { ...process.env, ONE: `x'"$y`, TWO_2: '2' } });
    expect(require('node:fs').readFileSync(join(dir, 'out'), 'utf8')).toBe(`a: x'"$y b: 2 x'"$y\nkeep @@lower@@\n`);
  });
});
