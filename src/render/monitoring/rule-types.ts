/** The shape of the kit's Prometheus alert rules, shared by the modules that write them. */

export type Severity = 'critical' | 'warning';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold before the alert fires (Prometheus duration). */
  readonly for: string;
  readonly labels: { readonly severity: Severity };
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    /** What an operator does, step by step, with the commands to run. */
    readonly runbook: string;
  };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** The document Prometheus reads from a rule file. */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

/**
 * Which Prometheus evaluates the rules, and so which series exist: the kit's bundled one scrapes
 * only the jobs of its scrape config; the cluster's Prometheus Operator stack also scrapes the
 * kubelets (volume statistics) and cert-manager.
 */
export type RuleEvaluator = 'bundled' | 'prometheus-operator';
