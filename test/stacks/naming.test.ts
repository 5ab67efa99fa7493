import { stackName } from '../../stacks/naming';
import { specOf, VALID_YAML } from '../helpers';

describe('stackName', () => {
  it('is <deployment>-<layer>, so two deployments never share a stack or a state', () => {
    const spec = specOf(VALID_YAML);
    expect(stackName(spec, 'infra')).toBe('ministry-infra');
    expect(stackName(spec, 'apps')).toBe('ministry-apps');
    const other = specOf(VALID_YAML.replace('name: ministry', 'name: agency'));
    expect(stackName(other, 'apps')).toBe('agency-apps');
  });
});
