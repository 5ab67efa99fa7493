import { componentLabels, deploymentLabels, selectorLabels } from '../../src/components/labels';

describe('labels', () => {
  it('select a component by name and deployment only, a subset of its labels', () => {
    const selector = selectorLabels('ministry', 'synapse');
    expect(selector).toEqual({ 'app.kubernetes.io/name': 'synapse', 'app.kubernetes.io/instance': 'ministry' });
    expect(componentLabels('ministry', 'synapse')).toMatchObject(selector);
    expect(deploymentLabels('ministry')).toMatchObject({ 'app.kubernetes.io/managed-by': 'sovereign-matrix', 'sovereign-matrix/deployment': 'ministry' });
  });
});
