import type { Synthesized } from '../read-back';

/** Where each stack keeps its Terraform state, one line per stack. */
export function stateFacts(synth: Synthesized): string[] {
  return synth.stacks.map((s) => {
    const [kind, config] = Object.entries(s.json.terraform?.backend ?? {})[0] ?? ['none', {}];
    const path = (config as Record<string, unknown>).path;
    if (kind === 'local') {
      return `\`${s.name}\`: local backend, file \`${String(path)}\` in the stack’s state directory on the machine that runs \`deploy\`; it never leaves that machine unless the operator copies it`;
    }
    const c = config as Record<string, any>;
    if (kind === 's3') {
      return `\`${s.name}\`: S3-compatible bucket \`${String(c.bucket)}\`, object \`${String(c.key)}\` at ${String(c.endpoints?.s3 ?? c.endpoint ?? 'AWS')} (region \`${String(c.region)}\`); credentials from the environment at init`;
    }
    return `\`${s.name}\`: \`${kind}\` backend`;
  });
}
