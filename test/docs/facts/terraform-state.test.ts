/** Where each stack keeps its Terraform state (src/docs/facts/terraform-state.ts). */
import { stateFacts } from '../../../src/docs/facts/terraform-state';
import { synthesizeForDocs, type Synthesized, type TerraformJson } from '../../../src/docs/read-back';
import { specOf, VALID_YAML } from '../../helpers';

const synthWith = (...backends: (TerraformJson['terraform'] | undefined)[]): Synthesized => ({
  spec: specOf(VALID_YAML),
  stacks: backends.map((terraform, i) => ({ name: `d-${i === 0 ? 'infra' : 'apps'}`, layer: i === 0 ? 'infra' : 'apps', json: terraform ? { terraform } : {} })),
});

describe('terraform state', () => {
  it('says a local state file never leaves the machine that runs deploy, for each synthesized stack', () => {
    const lines = stateFacts(synthesizeForDocs(specOf(VALID_YAML)));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('`ministry-infra`: local backend, file `terraform.tfstate` in the stack’s state directory on the machine that runs `deploy`; it never leaves that machine unless the operator copies it');
    expect(lines[1]).toMatch(/^`ministry-apps`: local backend/);
  });

  it('names the bucket, object, endpoint and region of an S3 backend', () => {
    const lines = stateFacts(
      synthWith(
        { backend: { s3: { bucket: 'state-eu', key: 'sm/d/infra.tfstate', endpoints: { s3: 'https://nbg1.your-objectstorage.com' }, region: 'nbg1' } } },
        { backend: { s3: { bucket: 'state-eu', key: 'sm/d/apps.tfstate', endpoint: 'https://old-style.example.eu', region: 'eu-west' } } },
      ),
    );
    expect(lines).toEqual([
      '`d-infra`: S3-compatible bucket `state-eu`, object `sm/d/infra.tfstate` at https://nbg1.your-objectstorage.com (region `nbg1`); credentials from the environment at init',
      '`d-apps`: S3-compatible bucket `state-eu`, object `sm/d/apps.tfstate` at https://old-style.example.eu (region `eu-west`); credentials from the environment at init',
    ]);
  });

  it('names any other backend, and says none when a stack has none', () => {
    expect(stateFacts(synthWith({ backend: { http: { address: 'https://x' } } }, undefined))).toEqual(['`d-infra`: `http` backend', '`d-apps`: `none` backend']);
  });
});
