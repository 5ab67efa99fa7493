/** The backup section and the backups' place (src/docs/facts/backups.ts), read from the rendered agent configuration. */
import { backupBucket, backupFacts, backupResidency, MEASURED_RESTORE } from '../../../src/docs/facts/backups';
import { generateFromSynthesized } from '../../../src/docs/generate';
import { kubeObjects, synthesizeForDocs } from '../../../src/docs/read-back';
import { CUSTOM_BACKUP_YAML, specOf, VALID_YAML } from '../../helpers';
import { alter, manifests } from './helpers';

describe('a deployment with backups turned off', () => {
  it('says so in the backup section and the data residency, and draws no bucket', () => {
    const synth = synthesizeForDocs(specOf(`${VALID_YAML}backup:\n  enabled: false\n`));
    const ref = generateFromSynthesized(synth);
    expect(ref.facts.backups[0]).toMatch(/^\*\*Backups are OFF for this deployment\*\*/);
    expect(ref.facts.backupResidency).toMatch(/^\*\*Backups:\*\* OFF/);
    expect(ref.facts.endpoints.some((e) => e.purpose.startsWith('Backup bucket'))).toBe(false);
    expect(ref.facts.flows.some((f) => f.to === 'backup_bucket')).toBe(false);
    expect(kubeObjects(synth, 'ConfigMap').some((c) => c.name === 'backup-config')).toBe(false);
  });
});

describe('backups of a deployment', () => {
  const YAML = `${VALID_YAML}${CUSTOM_BACKUP_YAML}`;
  const synth = synthesizeForDocs(specOf(YAML));

  it('reads the bucket, with the endpoint’s port, region and prefix, from the rendered pgbackrest.conf', () => {
    expect(backupBucket(synth)).toEqual({ endpoint: 'https://s3.storage.example.eu:9443', bucket: 'ministry-vault', region: 'nbg1', prefix: '/agency/ministry' });
    expect(backupResidency(synth)).toBe(
      '**Backups:** encrypted inside the cluster, then stored in the S3 bucket `ministry-vault` at https://s3.storage.example.eu:9443 (region `nbg1`; the kit refuses regions outside the EU), under `/agency/ministry` (see Backup and restore).',
    );
  });

  it('states schedule, retention and encryption as the rendered files say', () => {
    const text = backupFacts(synth).join('\n');
    expect(text).toContain('the S3-compatible bucket `ministry-vault` at https://s3.storage.example.eu:9443 (region `nbg1`');
    expect(text).toContain('PostgreSQL under `/agency/ministry/postgres`, files in the restic repository `s3:https://s3.storage.example.eu:9443/ministry-vault/agency/ministry/files`');
    expect(text).toContain('a base backup every day at 01:15 UTC, full on Wednesday and differential otherwise');
    expect(text).toContain('Point-in-time recovery to any moment of the last 10 days; 5 weekly full backups are kept');
    expect(text).toContain('kept: 10 daily, 5 weekly and 7 monthly snapshots');
    expect(text).toContain('pgBackRest with aes-256-cbc');
    expect(text).toContain(`recovery time ${MEASURED_RESTORE.rtoSeconds} s`);
    expect(text).toMatch(/data volume `ministry-data` \(50 GiB\), which has delete protection \(true\)/);
  });

  it('follows the ConfigMap in the JSON, not the deployment file', () => {
    const changed = alter(synth, (stacks) => {
      const cm = manifests(stacks)['configmap_matrix-ministry_backup-config'].manifest;
      cm.data['pgbackrest.conf'] = cm.data['pgbackrest.conf'].replace('repo1-s3-bucket=ministry-vault', 'repo1-s3-bucket=elsewhere');
    });
    expect(backupBucket(changed)?.bucket).toBe('elsewhere');
    expect(backupFacts(changed)[0]).toContain('bucket `elsewhere`');
  });

  it('has no bucket and says backups are off without the backup ConfigMap', () => {
    const off = synthesizeForDocs(specOf(`${VALID_YAML}backup:\n  enabled: false\n`));
    expect(backupBucket(off)).toBeUndefined();
    expect(backupFacts(off)).toHaveLength(2); // the warning, and the data volume
    expect(backupFacts(off)[1]).toContain('data volume `ministry-data`');
  });
});
