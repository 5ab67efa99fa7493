/**
 * The labels the kit puts on what it creates, in one place: Kubernetes objects (the apps stack)
 * and Hetzner resources (the infra stack). Operators filter on them to see what the kit manages;
 * selectors and the backup commands find pods by them.
 */

/** The label value that says "made by this kit". */
export const KIT_LABEL_VALUE = 'sovereign-matrix';

/** Kubernetes label keys: the recommended app.kubernetes.io ones and the kit's own. */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  deployment: 'sovereign-matrix/deployment',
} as const;

/** Labels every Kubernetes object of a deployment carries, so an operator can tell what the kit manages. */
export function deploymentLabels(deployment: string): Record<string, string> {
  return { [LABEL.partOf]: KIT_LABEL_VALUE, [LABEL.managedBy]: KIT_LABEL_VALUE, [LABEL.deployment]: deployment };
}

/** Just the selector part of componentLabels (selectors are immutable; keep them minimal). */
export function selectorLabels(deployment: string, component: string): Record<string, string> {
  return { [LABEL.name]: component, [LABEL.instance]: deployment };
}

/** Labels of one component's objects and pods: its selector, and who manages it. */
export function componentLabels(deployment: string, component: string): Record<string, string> {
  return { ...selectorLabels(deployment, component), [LABEL.partOf]: KIT_LABEL_VALUE, [LABEL.managedBy]: KIT_LABEL_VALUE };
}

/** Labels on every Hetzner resource; Hetzner label values allow neither '/' nor spaces. */
export function hetznerLabels(deployment: string, component: string): Record<string, string> {
  return { 'managed-by': KIT_LABEL_VALUE, deployment, component };
}

/**
 * Tags on every OpenStack resource that takes them (Neutron, Nova): a list of strings, so each
 * label is written `key=value`; the same labels as on Hetzner. Volumes take them as metadata.
 */
export function openstackTags(deployment: string, component: string): string[] {
  return Object.entries(hetznerLabels(deployment, component)).map(([key, value]) => `${key}=${value}`);
}

/** Metadata key on the OpenStack instance naming the cloud profile (ovhcloud, otc, ...), which prices it. */
export const OPENSTACK_CLOUD_METADATA = 'openstack-cloud';
