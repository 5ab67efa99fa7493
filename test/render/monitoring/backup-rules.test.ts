import { backupRules, BACKUP_MAX_AGE_HOURS } from '../../../src/render/monitoring/backup-rules';
import { specWith } from '../fixtures';

describe('backupRules', () => {
  const rules = Object.fromEntries(backupRules(specWith()).map((r) => [r.alert, r]));

  it('alerts when the newest backup of a kind is older than a daily schedule allows', () => {
    expect(BACKUP_MAX_AGE_HOURS).toBe(26);
    expect(rules.BackupTooOld).toMatchObject({ expr: 'time() - sovereign_matrix_backup_last_success_timestamp_seconds{job="postgres"} > 26 * 3600', for: '1h' });
    expect(rules.BackupTooOld.annotations.description).toContain('daily at 02:30 UTC');
  });

  it('counts archive failures only when no segment was archived in the same window', () => {
    expect(rules.WalArchivingFailing.expr).toBe(
      'increase(pg_stat_archiver_failed_count{job="postgres"}[15m]) > 0\n  and increase(pg_stat_archiver_archived_count{job="postgres"}[15m]) == 0',
    );
  });

  it("counts the archive's age only while rows change (an idle database archives nothing)", () => {
    expect(rules.WalArchivingStalled.expr).toMatch(/^pg_stat_archiver_last_archive_age\{job="postgres"\} > 900\n  and on\(job, instance\) sum by \(job, instance\) \(/);
    for (const what of ['inserted', 'updated', 'deleted']) expect(rules.WalArchivingStalled.expr).toContain(`increase(pg_stat_database_tup_${what}{job="postgres"}[15m])`);
  });

  it('is for deployments with backups only', () => {
    expect(() => backupRules(specWith('backup:\n  enabled: false\n'))).toThrow('backupRules needs backups on');
  });
});
