import { OPENSTACK_CLOUDS, placeName, regionPlace, type KnownCloudName } from '../../config/openstack-clouds';
import type { Synthesized } from '../read-back';

/*
 * Who runs the OpenStack cloud of a deployment, where, under which jurisdiction, and which
 * certifications the provider publicly claims for that offer, each with its source. A claim the
 * kit could not source is not made: the note says so instead. The region comes from the infra
 * stack's provider block; which cloud it is, only the deployment file says.
 */

export interface CertificationFact {
  readonly name: string;
  /** What the claim covers, in the provider's terms. */
  readonly scope: string;
  readonly source: string;
}

interface CloudClaims {
  readonly jurisdiction: string;
  readonly certifications: readonly CertificationFact[];
  /** What is not claimed, and why. */
  readonly note: string;
  readonly checked: string;
}

const OVH_DOCS = 'https://github.com/ovh/docs/blob/7ed511321d3f5735822ca898ea4845a8fdccf5e1/pages/public_cloud/compute/activate-hds-certification/guide.en-gb.md';
const TRUSTED_CLOUD_OTC = 'https://www.trusted-cloud.de/cloudservices/2667/';
const otcClaim = (name: string): CertificationFact => ({
  name,
  scope: 'Open Telekom Cloud, as listed in its Trusted Cloud service profile (audited yearly, with samples of the platform)',
  source: TRUSTED_CLOUD_OTC,
});

export const CLOUD_CLAIMS: Readonly<Record<KnownCloudName, CloudClaims>> = {
  ovhcloud: {
    jurisdiction: 'France (EU); GDPR applies',
    certifications: [
      {
        name: 'HDS (Hébergeur de Données de Santé, France)',
        scope: 'OVHcloud Public Cloud services, for the activities in the certificate, in a project with the HDS option enabled (Business or Enterprise support level)',
        source: OVH_DOCS,
      },
    ],
    note:
      'OVHcloud’s SecNumCloud qualification is claimed for its Hosted Private Cloud (VMware) SecNumCloud offer and its Bare Metal Pod SecNumCloud, not for the Public Cloud (OpenStack) this deployment uses (https://docs.ovhcloud.com/en/guides/account-and-service-management/reversibility/05-snc-vmware-reversibility-policy, https://docs.ovhcloud.com/de/guides/account-and-service-management/reversibility/24-bm-pod-snc-reversbility); this deployment claims no SecNumCloud. No source scoped to the Public Cloud was found for other certifications; none is claimed.',
    checked: '2026-12-07',
  },
  otc: {
    jurisdiction: 'Germany (EU); GDPR applies',
    certifications: ['BSI C5 (ISAE 3000 attestation)', 'ISO/IEC 27001:2017', 'ISO/IEC 27018:2019', 'ISO 22301:2020', 'SOC 1 (ISAE 3402)', 'SOC 2', 'CSA STAR Level 2'].map(otcClaim),
    note: 'The profile lists data centres in Germany, the Netherlands and Switzerland; the kit allows only eu-de and eu-nl (Switzerland is outside the EU).',
    checked: '2026-12-07',
  },
  cleura: {
    jurisdiction: 'Sweden (EU); GDPR applies',
    certifications: [],
    note: 'No public source for Cleura’s certifications was found when this was written; none is claimed. Ask Cleura for its current certificates and their scope.',
    checked: '2026-12-07',
  },
};

export interface OpenStackCloudFact {
  readonly title: string;
  readonly operator: string;
  readonly operatorSource: string;
  readonly jurisdiction: string;
  readonly region: string;
  /** `Gravelines, France`, or why the kit does not know. */
  readonly place: string;
  readonly regionSource?: string;
  readonly certifications: readonly CertificationFact[];
  readonly note: string;
}

/** The region the infra stack's OpenStack provider is configured for. */
export function openstackRegion(synth: Synthesized): string | undefined {
  for (const stack of synth.stacks) {
    const provider = stack.json.provider?.openstack?.[0];
    if (provider && typeof provider.region === 'string') return provider.region;
  }
  return undefined;
}

/** The cloud of an OpenStack deployment; undefined on any other target. */
export function openstackCloud(synth: Synthesized): OpenStackCloudFact | undefined {
  const region = openstackRegion(synth);
  const target = synth.spec.target;
  if (region === undefined || target.kind !== 'openstack') return undefined;
  if (target.cloud === 'generic') {
    return {
      title: 'an OpenStack cloud (generic)',
      operator: `the operator of ${target.authUrl ?? 'the cloud'}`,
      operatorSource: 'target.openstack.auth_url',
      jurisdiction: 'not known to the kit: the cloud’s operator states it',
      region,
      place: 'not known to the kit (cloud generic: the region is not checked against a list)',
      certifications: [],
      note: 'A generic cloud: the kit knows no certifications of its operator; none is claimed.',
    };
  }
  const profile = OPENSTACK_CLOUDS[target.cloud];
  const claims = CLOUD_CLAIMS[target.cloud];
  const place = regionPlace(target.cloud, region);
  return {
    title: profile.title,
    operator: `${profile.operator.name}, ${profile.operator.seat}`,
    operatorSource: profile.operator.source,
    jurisdiction: claims.jurisdiction,
    region,
    place: place ? placeName(place) : 'unknown',
    regionSource: profile.regionSource,
    certifications: claims.certifications,
    note: `${claims.note} (checked ${claims.checked})`,
  };
}
