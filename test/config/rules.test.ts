import { CLUSTER_BACKUP_YAML, problemsOf, specOf, VALID_YAML } from '../helpers';

/** VALID_YAML with one line replaced (the line must exist verbatim). */
function withLine(oldLine: string, newLines: string): string {
  if (!VALID_YAML.includes(`${oldLine}\n`)) throw new Error(`fixture has no line ${oldLine}`);
  return VALID_YAML.replace(`${oldLine}\n`, `${newLines}\n`);
}

const add = (lines: string) => `${VALID_YAML}${lines}\n`;

describe('the valid base file', () => {
  it('has no problems', () => {
    expect(problemsOf(VALID_YAML)).toEqual([]);
  });
});

describe('server_name and hostnames', () => {
  it.each(['Ministry.example.eu', 'https://ministry.example.eu', 'ministry.example.eu:8448', 'localhost', 'ministry_x.example.eu'])(
    'refuses server_name %s',
    (name) => {
      expect(problemsOf(withLine('server_name: ministry.example.eu', `server_name: ${name}`))).toEqual([
        `test.yaml:2:14: server_name: '${name}' is not valid (expected a lowercase DNS domain such as example.gov.eu (no scheme, port, path or upper case))`,
      ]);
    },
  );

  it('refuses a malformed hostname', () => {
    expect(problemsOf(add('hostnames:\n  web: Chat.example.eu'))).toEqual([
      "test.yaml:10:8: hostnames.web: 'Chat.example.eu' is not valid (expected a lowercase DNS hostname such as matrix.example.gov.eu)",
    ]);
  });

  it('refuses two services on one hostname', () => {
    expect(problemsOf(add('hostnames:\n  matrix: m.example.eu\n  web: m.example.eu'))).toEqual([
      "test.yaml:11:8: hostnames.web: 'm.example.eu' is already hostnames.matrix (expected a distinct hostname per service)",
    ]);
  });

  it('refuses a bad deployment name', () => {
    expect(problemsOf(withLine('name: ministry', 'name: Ministry_1'))).toEqual([
      "test.yaml:1:7: name: 'Ministry_1' is not valid (expected 2 to 32 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-')",
    ]);
  });
});

describe('target', () => {
  it('refuses both targets at once', () => {
    expect(problemsOf(add('').replace('admin_contact', 'x_placeholder').replace('target:\n', 'target:\n  kubernetes:\n    context: prod\n').replace('x_placeholder', 'admin_contact'))).toEqual([
      'test.yaml:4:3: target: expected exactly one of: hetzner, openstack, kubernetes',
    ]);
  });

  it('refuses an empty target', () => {
    const text = VALID_YAML.replace(/target:\n(  .*\n|    .*\n)+/, 'target: {}\n');
    expect(problemsOf(text)).toEqual(['test.yaml:3:9: target: expected exactly one of: hetzner, openstack, kubernetes']);
  });

  it('refuses SSH and the API open to the world', () => {
    expect(problemsOf(withLine('    admin_cidrs: [198.51.100.0/24]', '    admin_cidrs: [0.0.0.0/0, "::/0"]'))).toEqual([
      "test.yaml:7:19: target.hetzner.admin_cidrs[0]: '0.0.0.0/0' opens SSH and the Kubernetes API to the whole internet (expected your administration networks only)",
      "test.yaml:7:30: target.hetzner.admin_cidrs[1]: '::/0' opens SSH and the Kubernetes API to the whole internet (expected your administration networks only)",
    ]);
  });

  it('refuses a network with host bits set, naming the network meant', () => {
    expect(problemsOf(withLine('    admin_cidrs: [198.51.100.0/24]', '    admin_cidrs: [198.51.100.7/24, "2001:db8::1/48"]'))).toEqual([
      "test.yaml:7:19: target.hetzner.admin_cidrs[0]: '198.51.100.7/24' has host bits set (expected the network address 198.51.100.0/24)",
      "test.yaml:7:36: target.hetzner.admin_cidrs[1]: '2001:db8::1/48' has host bits set (expected the network address 2001:db8::/48)",
    ]);
  });

  it('refuses an address that is not a network', () => {
    expect(problemsOf(withLine('    admin_cidrs: [198.51.100.0/24]', '    admin_cidrs: [198.51.100.0]'))).toEqual([
      "test.yaml:7:19: target.hetzner.admin_cidrs[0]: '198.51.100.0' is not valid (expected an IPv4 or IPv6 network in CIDR notation such as 198.51.100.0/24 or 2001:db8::/48)",
    ]);
  });

  it('refuses a retired server type', () => {
    expect(problemsOf(withLine('    ssh_keys: [ops]', '    ssh_keys: [ops]\n    server_type: cx22'))).toEqual([
      "test.yaml:7:18: target.hetzner.server_type: 'cx22' is not valid (expected a current Hetzner server type: cx23, cx33, cx43, cx53, cpx12..cpx62, ccx13..ccx63 or cax11..cax41 (cx22/cx32/cx42/cx52 and cpx11..cpx51 are retired))",
    ]);
  });

  it('refuses a server type too small for the profile', () => {
    expect(problemsOf(withLine('    ssh_keys: [ops]', '    ssh_keys: [ops]\n    server_type: cx23'))).toEqual([
      'test.yaml:7:18: target.hetzner.server_type: cx23 has 2 vCPU and 4 GiB, too small for size small with federation closed (expected at least 5 vCPU and 11 GiB, such as cx43)',
    ]);
  });
});

describe('federation', () => {
  it('needs domains for allow_list', () => {
    expect(problemsOf(add('federation:\n  mode: allow_list'))).toEqual([
      'test.yaml:10:9: federation.mode: allow_list needs federation.allow (expected a list of server names)',
    ]);
  });

  it('refuses domains with another mode', () => {
    expect(problemsOf(add('federation:\n  mode: closed\n  allow: [other.example.eu]'))).toEqual([
      'test.yaml:11:3: federation.allow: only used with mode allow_list (mode is closed)',
    ]);
  });

  it("refuses the deployment's own server name in the allow list", () => {
    expect(problemsOf(add('federation:\n  mode: allow_list\n  allow: [other.example.eu, ministry.example.eu]'))).toEqual([
      "test.yaml:11:29: federation.allow[1]: is this deployment's own server_name (expected other servers only)",
    ]);
  });

  it('refuses a malformed domain in the allow list', () => {
    expect(problemsOf(add('federation:\n  mode: allow_list\n  allow: ["*.example.eu"]'))).toEqual([
      "test.yaml:11:11: federation.allow[0]: '*.example.eu' is not valid (expected a lowercase DNS domain such as example.gov.eu)",
    ]);
  });
});

describe('identity', () => {
  it('needs the provider for oidc', () => {
    expect(problemsOf(add('identity:\n  mode: oidc'))).toEqual([
      'test.yaml:10:9: identity.mode: oidc needs identity.oidc (expected issuer, client_id and client_secret_env)',
    ]);
  });

  it('refuses a provider with another mode', () => {
    expect(
      problemsOf(add('identity:\n  mode: local\n  oidc:\n    issuer: https://id.example.eu\n    client_id: m\n    client_secret_env: S')),
    ).toEqual(['test.yaml:11:3: identity.oidc: only used with mode oidc (mode is local)']);
  });

  it('refuses a plain-http issuer', () => {
    expect(
      problemsOf(add('identity:\n  mode: oidc\n  oidc:\n    issuer: http://id.example.eu\n    client_id: m\n    client_secret_env: S')),
    ).toEqual([
      "test.yaml:12:13: identity.oidc.issuer: 'http://id.example.eu' is not valid (expected an https:// URL such as https://auth.agentconnect.gouv.fr/api/v2)",
    ]);
  });

  it('refuses a client secret in the file', () => {
    expect(
      problemsOf(
        add('identity:\n  mode: oidc\n  oidc:\n    issuer: https://id.example.eu\n    client_id: m\n    client_secret_env: S\n    client_secret: hunter2'),
      ),
    ).toEqual(["test.yaml:15:5: identity.oidc.client_secret: unknown field (did you mean 'client_secret_env'?)"]);
  });

  it('refuses an sso hostname without keycloak', () => {
    expect(problemsOf(add('hostnames:\n  sso: login.example.eu'))).toEqual([
      'test.yaml:10:3: hostnames.sso: only used with identity.mode keycloak (mode is local)',
    ]);
  });
});

describe('calls', () => {
  it('refuses a reversed relay range', () => {
    expect(problemsOf(add('calls:\n  relay_ports: { min: 50100, max: 50000 }'))).toEqual([
      'test.yaml:10:23: calls.relay_ports.min: 50100 is above max 50000 (expected min <= max)',
    ]);
  });

  it('refuses a relay range that opens too much', () => {
    expect(problemsOf(add('calls:\n  relay_ports: { min: 49152, max: 65535 }'))).toEqual([
      'test.yaml:10:16: calls.relay_ports: 16384 ports (expected 20 to 5000: each relayed call leg holds one port, and every port is open in the firewall)',
    ]);
  });

  it("refuses a relay range over TURN's own port", () => {
    expect(problemsOf(add('calls:\n  relay_ports: { min: 3400, max: 3500 }'))).toEqual([
      "test.yaml:10:16: calls.relay_ports: includes TURN's own listening port 3478 (expected a range clear of 3478 and 5349)",
    ]);
  });

  it('refuses relay ports when TURN is off', () => {
    expect(problemsOf(add('calls:\n  turn: false\n  relay_ports: { min: 50000, max: 50099 }'))).toEqual([
      'test.yaml:11:3: calls.relay_ports: only used when calls.turn is true',
    ]);
  });

  it('runs group calls by size: opt-in for small, on for medium and large, with every default', () => {
    expect(specOf(VALID_YAML).calls.group).toEqual({ enabled: false });
    const group = { enabled: true, tcpPort: 7881, mediaPorts: { min: 51000, max: 51499 }, whoMayStart: 'local' };
    expect(specOf(add('size: medium')).calls.group).toEqual(group);
    expect(specOf(add('size: large')).calls.group).toEqual(group);
    expect(specOf(add('calls:\n  group:\n    enabled: true')).calls.group).toEqual(group);
    expect(specOf(add('size: large\ncalls:\n  group:\n    enabled: false')).calls.group).toEqual({ enabled: false });
    expect(specOf(VALID_YAML).hostnames.rtc).toBe('rtc.ministry.example.eu');
  });

  it('refuses group call settings that do nothing', () => {
    expect(problemsOf(add('calls:\n  group:\n    tcp_port: 7891'))).toEqual([
      'test.yaml:11:5: calls.group.tcp_port: only used when group calls run (calls.group.enabled: off by default for size small)',
    ]);
    expect(problemsOf(add('size: large\nhostnames:\n  rtc: calls.ministry.example.eu\ncalls:\n  group:\n    enabled: false\n    who_may_start: local'))).toEqual([
      'test.yaml:11:3: hostnames.rtc: only used when group calls run (calls.group.enabled)',
      'test.yaml:15:5: calls.group.who_may_start: only used when group calls run (calls.group.enabled is false)',
    ]);
    expect(problemsOf(add('size: medium\ncalls:\n  group:\n    who_may_start: federation'))).toEqual([
      'test.yaml:12:5: calls.group.who_may_start: federation admits no other server (federation.mode is closed; expected local)',
    ]);
  });

  it('refuses group calls without TURN: LiveKit would hand clients public STUN servers of third parties', () => {
    expect(problemsOf(add('size: medium\ncalls:\n  turn: false'))).toEqual([
      expect.stringMatching(/^test\.yaml:11:9: calls\.turn: group calls need calls\.turn .*public STUN servers of third parties/),
    ]);
    expect(problemsOf(add('calls:\n  turn: false\n  group:\n    enabled: true'))).toEqual([
      expect.stringMatching(/^test\.yaml:12:14: calls\.group\.enabled: group calls need calls\.turn/),
    ]);
  });

  it("keeps the SFU's media range apart from TURN's relay range and ports, and its TCP port off the node's other ports", () => {
    expect(problemsOf(add('size: medium\ncalls:\n  group:\n    media_ports: { min: 49200, max: 49399 }'))).toEqual([
      "test.yaml:12:18: calls.group.media_ports: overlaps calls.relay_ports 49160-49259 (expected the SFU's and TURN's UDP ranges apart: both listen on the node's public address)",
    ]);
    expect(problemsOf(add('size: medium\ncalls:\n  group:\n    media_ports: { min: 3400, max: 3599 }'))).toEqual([
      "test.yaml:12:18: calls.group.media_ports: includes TURN's own listening port 3478 (expected a range clear of 3478 and 5349)",
    ]);
    expect(problemsOf(add('size: medium\ncalls:\n  group:\n    media_ports: { min: 52000, max: 51000 }'))).toEqual([
      'test.yaml:12:25: calls.group.media_ports.min: 52000 is above max 51000 (expected min <= max)',
    ]);
    expect(problemsOf(add('size: medium\ncalls:\n  group:\n    media_ports: { min: 51000, max: 51009 }'))).toEqual([
      expect.stringMatching(/calls\.group\.media_ports: 10 ports \(expected 20 to 5000/),
    ]);
    expect(problemsOf(add('size: medium\ncalls:\n  group:\n    tcp_port: 7880'))).toEqual([
      "test.yaml:12:15: calls.group.tcp_port: is the SFU's own signalling port (expected a free TCP port on the node)",
    ]);
    // Without TURN there is no relay range to collide with (the TURN rule speaks instead).
    expect(problemsOf(add('calls:\n  turn: false\n  group:\n    enabled: true\n    media_ports: { min: 49160, max: 49259 }'))).toHaveLength(1);
  });

  it('refuses privileged relay ports', () => {
    expect(problemsOf(add('calls:\n  relay_ports: { min: 80, max: 443 }'))).toEqual([
      'test.yaml:10:23: calls.relay_ports.min: the number 80 is too small (expected at least 1024)',
      'test.yaml:10:32: calls.relay_ports.max: the number 443 is too small (expected at least 1024)',
    ]);
  });
});

describe('dns', () => {
  it('refuses hetzner DNS on an existing cluster', () => {
    const text = VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;
    expect(problemsOf(`${text}dns:\n  mode: hetzner\n`)).toEqual([
      'test.yaml:13:9: dns.mode: hetzner DNS needs target hetzner (on an existing cluster the ingress address is not known to the kit; use mode manual)',
    ]);
  });

  it('refuses a zone with manual DNS', () => {
    expect(problemsOf(add('dns:\n  mode: manual\n  zone: example.eu'))).toEqual(['test.yaml:11:3: dns.zone: only used with modes hetzner and designate']);
  });

  it('refuses hostnames outside the managed zone', () => {
    expect(problemsOf(add('hostnames:\n  web: chat.other.eu\ndns:\n  mode: hetzner'))).toEqual([
      "test.yaml:10:8: hostnames.web: 'chat.other.eu' is outside the DNS zone ministry.example.eu (expected a name in that zone, or dns.mode manual)",
    ]);
  });
});

describe('escape hatch', () => {
  it('refuses a setting the kit manages, saying what to do instead', () => {
    expect(problemsOf(add('extra:\n  synapse:\n    federation_domain_whitelist: []'))).toEqual([
      'test.yaml:11:5: extra.synapse.federation_domain_whitelist: is managed by the kit and cannot be overridden: set federation.mode and federation.allow instead',
    ]);
  });

  it('refuses secrets at any depth', () => {
    expect(problemsOf(add('extra:\n  mas:\n    email:\n      transport: smtp\n      password: hunter2'))).toEqual([
      'test.yaml:13:7: extra.mas.email.password: looks like a secret; secrets never go in a deployment file (they are generated at deploy time or read from the environment)',
    ]);
  });

  it('refuses opening the TURN relay to private networks', () => {
    expect(problemsOf(add('extra:\n  coturn:\n    allowed-peer-ip: 10.0.0.1'))).toEqual([
      'test.yaml:11:5: extra.coturn.allowed-peer-ip: is managed by the kit and cannot be overridden: it would let the relay reach private networks',
    ]);
  });

  it('accepts settings the kit does not manage', () => {
    expect(problemsOf(add('extra:\n  synapse:\n    max_upload_size: 100M\n  coturn:\n    total-quota: 200'))).toEqual([]);
  });

  it('refuses an unknown component', () => {
    expect(problemsOf(add('extra:\n  synaps: {}'))).toEqual(["test.yaml:10:3: extra.synaps: unknown field (did you mean 'synapse'?)"]);
  });
});

describe('versions', () => {
  it('refuses a k3s release whose bundled Traefik lacks the options the kit sets', () => {
    expect(problemsOf(add('versions:\n  k3s: v1.33.5+k3s1'))).toEqual([
      "test.yaml:10:8: versions.k3s: 'v1.33.5+k3s1' is too old (expected v1.36 or later: the kit configures Traefik options that its bundled Traefik 3.7 introduced)",
    ]);
    expect(problemsOf(add('versions:\n  k3s: v1.37.2+k3s1'))).toEqual([]);
  });

  it('refuses a version that is not a release number', () => {
    expect(problemsOf(add('versions:\n  synapse: latest'))).toEqual([
      "test.yaml:10:12: versions.synapse: 'latest' is not valid (expected a release version such as 1.157.0)",
    ]);
  });
});

describe('tls', () => {
  const onCluster = (lines: string) => add(lines).replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML;

  it("takes a ClusterIssuer on an existing cluster", () => {
    expect(problemsOf(onCluster('tls:\n  cluster_issuer: internal-ca'))).toEqual([]);
  });

  it("refuses a ClusterIssuer on the kit's k3s, which has no cert-manager", () => {
    expect(problemsOf(add('tls:\n  cluster_issuer: internal-ca'))).toEqual([
      "test.yaml:10:19: tls.cluster_issuer: only used on an existing cluster (target.kubernetes); the kit's k3s gets certificates through Traefik from tls.acme_server",
    ]);
  });

  it('refuses an ACME setting next to a ClusterIssuer, which decides the certificate authority', () => {
    expect(problemsOf(onCluster('tls:\n  cluster_issuer: internal-ca\n  acme_server: https://acme.example.eu/directory'))).toEqual([
      'test.yaml:9:3: tls.acme_server: not used with tls.cluster_issuer: the ClusterIssuer decides the certificate authority',
    ]);
  });

  it('refuses a ClusterIssuer name Kubernetes would refuse', () => {
    expect(problemsOf(onCluster('tls:\n  cluster_issuer: Internal_CA'))).toEqual([
      expect.stringMatching(/^test\.yaml:8:19: tls\.cluster_issuer: .*Kubernetes object name/),
    ]);
  });
});

describe('many problems at once', () => {
  it('reports all of them, in file order', () => {
    const text = 'name: X\nserver_name: Bad\ntarget:\n  hetzner:\n    location: ash\n    ssh_keys: []\n    admin_cidrs: [0.0.0.0/0]\nadmin_contact: nobody\n';
    const problems = problemsOf(text);
    expect(problems.map((p) => p.split(': ')[1])).toEqual([
      'name',
      'server_name',
      'target.hetzner.location',
      'target.hetzner.ssh_keys',
      'target.hetzner.admin_cidrs[0]',
      'admin_contact',
    ]);
  });
});

describe('backup', () => {
  const cluster = (lines: string) => VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + lines;

  it('is on by default on Hetzner, in Hetzner Object Storage of the server location', () => {
    const spec = specOf(VALID_YAML);
    expect(spec.backup).toMatchObject({ enabled: true, s3: { endpoint: 'https://fsn1.your-objectstorage.com', region: 'fsn1', bucket: 'ministry-backups' } });
  });

  it('needs a bucket on an existing cluster, located at the target', () => {
    expect(problemsOf(cluster(''))).toEqual([
      'test.yaml:4:3: target.kubernetes: an existing cluster has no default backup bucket: set backup.s3 (endpoint, bucket and region of an S3-compatible store in the EU), or backup.enabled: false for a throwaway deployment',
    ]);
    expect(problemsOf(cluster('backup:\n  enabled: false\n'))).toEqual([]);
  });

  it('refuses a backup endpoint or region outside the EU, with its line', () => {
    const problems = problemsOf(`${VALID_YAML}backup:\n  s3:\n    endpoint: https://s3.us-east-1.amazonaws.com\n    bucket: b-backups\n    region: us-east-1\n`);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^test\.yaml:\d+:15: backup\.s3\.endpoint: .*in the EU/);
    expect(problems[1]).toMatch(/^test\.yaml:\d+:13: backup\.s3\.region: .*refused/);
  });

  it('refuses settings next to enabled: false, and a bad time', () => {
    expect(problemsOf(`${VALID_YAML}backup:\n  enabled: false\n  time_utc: "02:30"\n`)).toEqual([expect.stringMatching(/backup\.time_utc: not used: backup\.enabled is false/)]);
    expect(problemsOf(`${VALID_YAML}backup:\n  time_utc: "25:00"\n`)).toEqual([expect.stringMatching(/backup\.time_utc: .*HH:MM/)]);
  });
});

describe('monitoring', () => {
  const cluster = (lines: string) => VALID_YAML.replace(/  hetzner:\n(    .*\n)+/, '  kubernetes:\n    context: prod\n') + CLUSTER_BACKUP_YAML + lines;

  it('is bundled on Hetzner, with retention by size, and no e-mail until a relay is named', () => {
    const spec = specOf(VALID_YAML);
    expect(spec.monitoring).toEqual({ stack: 'bundled', retentionDays: 15, prometheusOperator: { namespace: 'monitoring', labels: {} } });
    expect(specOf(`${VALID_YAML}size: large\n`).monitoring.retentionDays).toBe(90);
  });

  it('is detected at deploy time on an existing cluster unless the file decides', () => {
    expect(specOf(cluster('')).monitoring.stack).toBe('auto');
    expect(specOf(cluster('monitoring:\n  stack: bundled\n')).monitoring.stack).toBe('bundled');
    const spec = specOf(cluster('monitoring:\n  stack: prometheus-operator\n  prometheus_operator:\n    namespace: observability\n    labels: { release: kube-prometheus-stack }\n'));
    expect(spec.monitoring.prometheusOperator).toEqual({ namespace: 'observability', labels: { release: 'kube-prometheus-stack' } });
  });

  it('sends alerts to admin_contact through the named relay, with the password from the environment', () => {
    const spec = specOf(`${VALID_YAML}monitoring:\n  alert_email:\n    smarthost: mail.ministry.example.eu:587\n    from: alerts@ministry.example.eu\n    username: alerts\n`);
    expect(spec.monitoring.alertEmail).toEqual({
      smarthost: 'mail.ministry.example.eu:587',
      from: 'alerts@ministry.example.eu',
      to: 'ops@ministry.example.eu',
      auth: { username: 'alerts', passwordEnv: 'SOVEREIGN_MATRIX_SMTP_PASSWORD' },
    });
  });

  it('refuses the Prometheus Operator on the kit k3s node, with its line', () => {
    expect(problemsOf(`${VALID_YAML}monitoring:\n  stack: prometheus-operator\n`)).toEqual([
      "test.yaml:10:10: monitoring.stack: the kit's k3s node has no Prometheus Operator (expected auto or bundled on target.hetzner)",
    ]);
  });

  it('refuses settings of the stack that does not run', () => {
    expect(problemsOf(cluster('monitoring:\n  stack: bundled\n  prometheus_operator:\n    namespace: observability\n'))).toEqual([
      expect.stringMatching(/monitoring\.prometheus_operator: not used: the bundled stack scrapes \(stack is bundled\)/),
    ]);
    expect(problemsOf(cluster('monitoring:\n  stack: prometheus-operator\n  retention_days: 30\n'))).toEqual([
      expect.stringMatching(/monitoring\.retention_days: not used with stack prometheus-operator/),
    ]);
    expect(problemsOf(`${VALID_YAML}monitoring:\n  prometheus_operator:\n    namespace: observability\n`)).toEqual([
      expect.stringMatching(/monitoring\.prometheus_operator: not used: the bundled stack scrapes on target\.hetzner/),
    ]);
  });

  it('refuses a relay without a port, and a password variable without a username', () => {
    expect(problemsOf(`${VALID_YAML}monitoring:\n  alert_email:\n    smarthost: mail.example.eu\n    from: a@example.eu\n`)).toEqual([
      expect.stringMatching(/monitoring\.alert_email\.smarthost: .*host:port/),
    ]);
    expect(problemsOf(`${VALID_YAML}monitoring:\n  alert_email:\n    smarthost: mail.example.eu:25\n    from: a@example.eu\n    password_env: SMTP_PW\n`)).toEqual([
      expect.stringMatching(/monitoring\.alert_email\.password_env: only used with alert_email\.username/),
    ]);
  });
});
