// Validates Kubernetes objects (a JSON array on stdin) against the Kubernetes OpenAPI schema with
// kubernetes-models' runtime classes. kubernetes-models ships only ES modules, which jest's
// CommonJS runtime cannot load, so test/stacks/apps.test.ts runs this in a child process.
// Prints a JSON array: one entry per object, null when valid, else the validation message.
const MODULES = {
  Namespace: ['kubernetes-models/v1/Namespace', 'Namespace'],
  ConfigMap: ['kubernetes-models/v1/ConfigMap', 'ConfigMap'],
  Secret: ['kubernetes-models/v1/Secret', 'Secret'],
  Service: ['kubernetes-models/v1/Service', 'Service'],
  EndpointSlice: ['kubernetes-models/discovery.k8s.io/v1/EndpointSlice', 'EndpointSlice'],
  PersistentVolumeClaim: ['kubernetes-models/v1/PersistentVolumeClaim', 'PersistentVolumeClaim'],
  Deployment: ['kubernetes-models/apps/v1/Deployment', 'Deployment'],
  StatefulSet: ['kubernetes-models/apps/v1/StatefulSet', 'StatefulSet'],
  Ingress: ['kubernetes-models/networking.k8s.io/v1/Ingress', 'Ingress'],
  NetworkPolicy: ['kubernetes-models/networking.k8s.io/v1/NetworkPolicy', 'NetworkPolicy'],
  Issuer: ['@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer', 'Issuer'],
  Certificate: ['@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate', 'Certificate'],
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const object of JSON.parse(input)) {
  const entry = MODULES[object.kind];
  if (!entry) {
    results.push(`no schema for kind ${object.kind}`);
    continue;
  }
  const Model = (await import(entry[0]))[entry[1]];
  try {
    new Model(object).validate();
    results.push(null);
  } catch (error) {
    results.push(String(error.message ?? error));
  }
}
process.stdout.write(JSON.stringify(results));
