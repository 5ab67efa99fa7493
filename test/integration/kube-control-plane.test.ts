/**
 * Smoke test of the Kubernetes control plane the integration suite can start
 * (kube-control-plane.ts): real etcd, kube-apiserver and kube-controller-manager built by
 * scripts/tools.sh, and the CRDs copied from helm-controller's, cert-manager's and the Prometheus
 * Operator's Go modules.
 * It proves the parts later tests rely on: the version matches the pinned k3s's minor, Pod
 * Security admission enforces `restricted` on what the controllers create, Deployments and
 * StatefulSets get their Pods (Pending: there is no scheduler and no kubelet), the CRDs validate
 * and default like on a real cluster, and a deleted namespace is emptied and finalized.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigText, writePrivateFile } from '../../src/deploy/kubeconfig';
import { PINNED_VERSIONS } from '../../src/versions';
import { specOf, tempDir, VALID_YAML } from '../helpers';
import { TOOLS_DIR } from './tools';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from './kube-control-plane';

const NS = 'pss-smoke';
let cp: ControlPlane | undefined;

beforeAll(async () => {
  const unavailable = controlPlaneUnavailable();
  if (unavailable) throw new Error(unavailable);
  cp = await startControlPlane();
}, 6 * 60_000);

afterAll(async () => {
  await cp?.stop();
}, 60_000);

function plane(): ControlPlane {
  if (!cp) throw new Error('the control plane did not start (see beforeAll)');
  return cp;
}

/** kubectl apply --server-side of one object; returns kubectl's result (warnings are on stderr). */
async function apply(object: object) {
  return plane().kubectlOk(['apply', '--server-side', '--field-manager=smoke-test', '-f', '-'], JSON.stringify(object));
}

async function getJson<T = any>(args: string[]): Promise<T> {
  return JSON.parse((await plane().kubectlOk(['get', ...args, '-o', 'json'])).stdout) as T;
}

/** Polls `probe` until it returns a value other than undefined; fails with the last observation. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}${last ? ` (last: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

const labelsOf = (app: string) => ({ app });

function deployment(name: string, podSpec: object) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: labelsOf(name) },
      template: { metadata: { labels: labelsOf(name) }, spec: podSpec },
    },
  };
}

/** A Pod spec that meets the `restricted` Pod Security Standard. */
const restrictedPod = {
  securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [
    {
      name: 'app',
      image: 'docker.io/library/busybox:1.37',
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    },
  ],
};

/** The same container with no security context: root allowed, privilege escalation, capabilities. */
const insecurePod = { containers: [{ name: 'app', image: 'docker.io/library/busybox:1.37' }] };

async function replicaSetOf(app: string): Promise<any> {
  return eventually(`a ReplicaSet for the Deployment ${app}`, async () => {
    const list = await getJson(['replicasets', '--namespace', NS, '-l', `app=${app}`]);
    return list.items.length === 1 ? list.items[0] : undefined;
  });
}

async function podsOf(app: string): Promise<any[]> {
  return (await getJson(['pods', '--namespace', NS, '-l', `app=${app}`])).items;
}

describe('the Kubernetes control plane', () => {
  it('is Kubernetes v1.37.2, the minor of the pinned k3s', async () => {
    const version = JSON.parse((await plane().kubectlOk(['version', '-o', 'json'])).stdout);
    const k3sMinor = /^v1\.(\d+)\./.exec(PINNED_VERSIONS.k3s)?.[1];
    expect(version.serverVersion).toMatchObject({ gitVersion: 'v1.37.2', major: '1', minor: k3sMinor });
    expect(version.clientVersion).toMatchObject({ gitVersion: 'v1.37.2', major: '1', minor: k3sMinor });
  });

  it('serves the CRDs, Established', async () => {
    for (const name of [
      'helmchartconfigs.helm.cattle.io',
      'issuers.cert-manager.io',
      'clusterissuers.cert-manager.io',
      'certificates.cert-manager.io',
      'servicemonitors.monitoring.coreos.com',
      'prometheusrules.monitoring.coreos.com',
    ]) {
      const crd = await getJson(['customresourcedefinition', name]);
      expect(crd.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
    }
  });

  it('creates a namespace with its default ServiceAccount, enforcing restricted Pod Security', async () => {
    const result = await apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: NS,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
      },
    });
    expect(result.stdout).toContain(`namespace/${NS} serverside-applied`);
    await eventually('the default ServiceAccount in the new namespace', async () =>
      (await plane().kubectl(['get', 'serviceaccount', 'default', '--namespace', NS, '-o', 'name'])).code === 0 ? true : undefined);
  }, 120_000);

  it('lets the ReplicaSet of a violating Deployment create no Pod (FailedCreate: violates PodSecurity)', async () => {
    const applied = await apply(deployment('insecure', insecurePod));
    // warn=restricted: the apiserver warns about the template already.
    expect(applied.stderr).toMatch(/Warning: would violate PodSecurity "restricted:latest"/);
    const rs = await replicaSetOf('insecure');
    const event = await eventually('a FailedCreate event of the ReplicaSet', async () => {
      const events = await getJson(['events', '--namespace', NS, '--field-selector', `involvedObject.kind=ReplicaSet,involvedObject.name=${rs.metadata.name},reason=FailedCreate`]);
      return events.items.find((e: any) => /violates PodSecurity "restricted:latest"/.test(e.message));
    });
    expect(event.message).toMatch(/allowPrivilegeEscalation != false/);
    expect(event.message).toMatch(/runAsNonRoot != true/);
    expect(await podsOf('insecure')).toEqual([]);
  }, 180_000);

  it('lets the ReplicaSet of a compliant Deployment create its Pod, Pending with a ServiceAccount token volume', async () => {
    const applied = await apply(deployment('restricted', restrictedPod));
    expect(applied.stderr).not.toMatch(/PodSecurity/);
    const rs = await replicaSetOf('restricted');
    const pods = await eventually('a Pod of the compliant ReplicaSet', async () => {
      const items = await podsOf('restricted');
      return items.length > 0 ? items : undefined;
    });
    expect(pods).toHaveLength(1);
    const [pod] = pods;
    expect(pod.metadata.ownerReferences).toContainEqual(expect.objectContaining({ kind: 'ReplicaSet', name: rs.metadata.name, controller: true }));
    expect(pod.status.phase).toBe('Pending');
    expect(pod.spec.nodeName).toBeUndefined();
    // ServiceAccount admission: the default account and its projected token.
    expect(pod.spec.serviceAccountName).toBe('default');
    expect(pod.spec.volumes).toContainEqual(
      expect.objectContaining({ projected: expect.objectContaining({ sources: expect.arrayContaining([expect.objectContaining({ serviceAccountToken: expect.anything() })]) }) }),
    );
  }, 180_000);

  it('lets a StatefulSet create its first Pod', async () => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS },
      spec: {
        serviceName: 'db',
        replicas: 1,
        selector: { matchLabels: labelsOf('db') },
        template: { metadata: { labels: labelsOf('db') }, spec: restrictedPod },
      },
    });
    const pod = await eventually('the Pod db-0', async () => {
      const result = await plane().kubectl(['get', 'pod', 'db-0', '--namespace', NS, '-o', 'json']);
      return result.code === 0 ? JSON.parse(result.stdout) : undefined;
    });
    expect(pod.metadata.ownerReferences).toContainEqual(expect.objectContaining({ kind: 'StatefulSet', name: 'db' }));
  }, 180_000);

  it('accepts a HelmChartConfig, defaults it from the CRD schema and refuses an invalid one', async () => {
    const valuesContent = JSON.stringify({ global: { checkNewVersion: false }, additionalArguments: ['--entryPoints.websecure.http.encodedCharacters.allowEncodedSlash=true'] }, null, 2);
    await apply({ apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig', metadata: { name: 'traefik', namespace: NS }, spec: { valuesContent } });
    const stored = await getJson(['helmchartconfig', 'traefik', '--namespace', NS]);
    expect(stored.spec.valuesContent).toBe(valuesContent);
    expect(stored.spec.failurePolicy).toBe('reinstall');

    const refused = await plane().kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({
      apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig', metadata: { name: 'broken', namespace: NS }, spec: { failurePolicy: 'sometimes' },
    }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/spec\.failurePolicy: Unsupported value: "sometimes"/);
  });

  it('accepts cert-manager Issuer, ClusterIssuer and Certificate objects and refuses a Certificate without secretName', async () => {
    await apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'sovereign-matrix-acme', namespace: NS },
      spec: {
        acme: {
          server: 'https://acme-staging-v02.api.letsencrypt.org/directory',
          email: 'ops@example.org',
          privateKeySecretRef: { name: 'sovereign-matrix-acme-account-key' },
          solvers: [{ http01: { ingress: { ingressClassName: 'traefik' } } }],
        },
      },
    });
    await apply({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'smoke-selfsigned' }, spec: { selfSigned: {} } });
    await apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'turn-tls', namespace: NS },
      spec: { secretName: 'turn-tls', dnsNames: ['turn.example.org'], issuerRef: { kind: 'ClusterIssuer', name: 'smoke-selfsigned' } },
    });
    const issuer = await getJson(['issuer', 'sovereign-matrix-acme', '--namespace', NS]);
    expect(issuer.spec.acme.solvers[0].http01.ingress.ingressClassName).toBe('traefik');
    const certificate = await getJson(['certificate', 'turn-tls', '--namespace', NS]);
    expect(certificate.spec).toMatchObject({ secretName: 'turn-tls', dnsNames: ['turn.example.org'] });
    expect((await getJson(['clusterissuer', 'smoke-selfsigned'])).spec).toEqual({ selfSigned: {} });

    const refused = await plane().kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({
      apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'broken', namespace: NS },
      spec: { dnsNames: ['x.example.org'], issuerRef: { name: 'sovereign-matrix-acme' } },
    }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/spec\.secretName: Required value/);
  });

  it('deletes the namespace with everything in it', async () => {
    await plane().kubectlOk(['delete', 'namespace', NS, '--wait=false']);
    const gone = await eventually('the namespace is gone', async () => {
      const result = await plane().kubectl(['get', 'namespace', NS, '-o', 'name']);
      if (result.code === 0) return undefined;
      return result.stderr;
    }, 120_000);
    expect(gone).toMatch(/NotFound/);
    // The namespace controller deleted the custom resources too, not just the built-in kinds.
    expect((await getJson(['certificates', '--all-namespaces'])).items).toEqual([]);
    expect((await getJson(['helmchartconfigs', '--all-namespaces'])).items).toEqual([]);
  }, 180_000);
});

describe('sovereign-matrix kubeconfig', () => {
  it('writes a kubeconfig that reaches the API server as cluster-admin, in the deployment namespace', async () => {
    // The infra stack's outputs carry what the control plane's admin kubeconfig carries.
    const admin = JSON.parse(readFileSync(plane().kubeconfig, 'utf8'));
    const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
    const outputs = {
      kube_host: { value: plane().server },
      kube_cluster_ca_certificate: { value: pem(admin.clusters[0].cluster['certificate-authority-data']) },
      kube_client_certificate: { value: pem(admin.users[0].user['client-certificate-data']), sensitive: true },
      kube_client_key: { value: pem(admin.users[0].user['client-key-data']), sensitive: true },
    };
    const spec = specOf(VALID_YAML);
    const path = join(tempDir(), 'ministry.kubeconfig');
    writePrivateFile(path, kubeconfigText(spec, outputs));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await plane().kubectlOk(['create', 'namespace', 'matrix-ministry']);
    await plane().kubectlOk(['--namespace', 'matrix-ministry', 'create', 'configmap', 'probe', '--from-literal=a=b']);
    // Only the kit's file: no --namespace, so the context's namespace must be the deployment's.
    const kubectl = join(TOOLS_DIR, 'bin', 'kubectl');
    const run = (args: string[]) => execFileSync(kubectl, [`--kubeconfig=${path}`, ...args], { encoding: 'utf8' });
    expect(run(['config', 'current-context']).trim()).toBe('ministry');
    expect(run(['get', 'configmap', 'probe', '-o', 'jsonpath={.metadata.namespace}'])).toBe('matrix-ministry');
    expect(run(['auth', 'can-i', '*', '*', '--all-namespaces']).trim()).toBe('yes');
  });
});
