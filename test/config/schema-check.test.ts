import { problemsOf, VALID_YAML, STATE_S3_YAML as S3 } from '../helpers';

/** VALID_YAML with one line replaced (the line must exist verbatim). */
function withLine(oldLine: string, newLines: string): string {
  if (!VALID_YAML.includes(`${oldLine}\n`)) throw new Error(`fixture has no line ${oldLine}`);
  return VALID_YAML.replace(`${oldLine}\n`, `${newLines}\n`);
}

const add = (lines: string) => `${VALID_YAML}${lines}\n`;


describe('deployment file: state.s3', () => {
  it.each([
    ['region: us-east-1', 'region', /'us-east-1' is not valid \(expected an EU region/],
    ['region: ap-southeast-1', 'region', /expected an EU region/],
    ['endpoint: https://s3.us-west-2.amazonaws.com', 'endpoint', /expected an https:\/\/ S3 endpoint in the EU/],
    ['endpoint: https://us-east-1.linodeobjects.com', 'endpoint', /in the EU/],
    ['endpoint: https://nyc3.digitaloceanspaces.com', 'endpoint', /in the EU/],
    ['endpoint: http://fsn1.your-objectstorage.com', 'endpoint', /in the EU/],
  ])('refuses %s', (line, field, message) => {
    const [key] = line.split(':');
    const text = VALID_YAML + S3.replace(new RegExp(`    ${key}: .*`), `    ${line}`);
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`state.s3.${field}:`);
    expect(problems[0]).toMatch(message);
  });

  it.each(['https://s3.eu-central-1.amazonaws.com', 'https://s3.fr-par.scw.cloud', 'https://s3.gra.io.cloud.ovh.net', 'https://s3.eu-central-2.ionoscloud.com'])('accepts %s', (endpoint) => {
    expect(problemsOf(VALID_YAML + S3.replace(/endpoint: .*/, `endpoint: ${endpoint}`))).toEqual([]);
  });

  it('refuses credentials in the file', () => {
    expect(problemsOf(`${VALID_YAML + S3}    access_key: AKIA\n`)[0]).toMatch(/state.s3.access_key: unknown field/);
  });
});


describe('required fields and types', () => {
  it('names every missing required field at once', () => {
    expect(problemsOf('size: small\n')).toEqual([
      'test.yaml:1:1: admin_contact: missing required field (expected it in the deployment)',
      'test.yaml:1:1: name: missing required field (expected it in the deployment)',
      'test.yaml:1:1: server_name: missing required field (expected it in the deployment)',
      'test.yaml:1:1: target: missing required field (expected it in the deployment)',
    ]);
  });

  it('reports a missing nested field at its parent', () => {
    expect(problemsOf(withLine('    ssh_keys: [ops]', ''))).toEqual([
      "test.yaml:5:5: target.hetzner.ssh_keys: missing required field (expected it in 'hetzner')",
    ]);
  });

  it('reports a wrong type with what was found', () => {
    expect(problemsOf(add('calls:\n  turn: "yes"'))).toEqual(["test.yaml:10:9: calls.turn: expected true or false, found 'yes'"]);
  });

  it('reports a number where a list is expected', () => {
    expect(problemsOf(withLine('    ssh_keys: [ops]', '    ssh_keys: 42'))).toEqual([
      'test.yaml:6:15: target.hetzner.ssh_keys: expected a list, found the number 42',
    ]);
  });

  it('reports an empty list', () => {
    expect(problemsOf(withLine('    ssh_keys: [ops]', '    ssh_keys: []'))).toEqual([
      'test.yaml:6:15: target.hetzner.ssh_keys: the list is empty (expected at least 1 item)',
    ]);
  });

  it('reports a duplicate list item at the duplicate', () => {
    expect(problemsOf(withLine('    ssh_keys: [ops]', '    ssh_keys: [ops, ops]'))).toEqual([
      'test.yaml:6:21: target.hetzner.ssh_keys[1]: duplicate of item 1 (expected each item once)',
    ]);
  });

  it('reports a number out of range', () => {
    expect(problemsOf(withLine('    ssh_keys: [ops]', '    ssh_keys: [ops]\n    volume_size_gib: 5'))).toEqual([
      'test.yaml:7:22: target.hetzner.volume_size_gib: the number 5 is too small (expected at least 10)',
    ]);
  });

  it('reports an enum value with a suggestion', () => {
    expect(problemsOf(add('size: smal'))).toEqual([
      "test.yaml:9:7: size: 'smal' is not allowed (did you mean 'small'? expected one of: small, medium, large)",
    ]);
  });
});

describe('unknown keys', () => {
  it('suggests the nearest known key', () => {
    expect(problemsOf(add('federaton:\n  mode: open'))).toEqual([
      "test.yaml:9:1: federaton: unknown field (did you mean 'federation'?)",
    ]);
  });

  it('lists the known keys when nothing is close', () => {
    expect(problemsOf(add('calls:\n  colour: blue'))).toEqual([
      'test.yaml:10:3: calls.colour: unknown field (expected one of: turn, relay_ports, group)',
    ]);
  });

  it('finds unknown keys deep in the tree', () => {
    expect(problemsOf(withLine('    location: fsn1', '    location: fsn1\n    locaton: nbg1'))).toEqual([
      "test.yaml:6:5: target.hetzner.locaton: unknown field (did you mean 'location'?)",
    ]);
  });
});

describe('EU-only locations', () => {
  it.each([
    ['ash', 'Ashburn, USA'],
    ['hil', 'Hillsboro, USA'],
    ['sin', 'Singapore'],
  ])('refuses %s as outside the EU', (location, place) => {
    expect(problemsOf(withLine('    location: fsn1', `    location: ${location}`))).toEqual([
      `test.yaml:5:15: target.hetzner.location: '${location}' is outside the EU (${place}); only EU locations are allowed (expected one of: fsn1, nbg1, hel1)`,
    ]);
  });

  it('suggests the EU location a typo was meant to be', () => {
    expect(problemsOf(withLine('    location: fsn1', '    location: fns1'))).toEqual([
      "test.yaml:5:15: target.hetzner.location: 'fns1' is not allowed (did you mean 'fsn1'? expected one of: fsn1, nbg1, hel1)",
    ]);
  });

  it.each(['fsn1', 'nbg1', 'hel1'])('accepts %s', (location) => {
    expect(problemsOf(withLine('    location: fsn1', `    location: ${location}`))).toEqual([]);
  });
});
