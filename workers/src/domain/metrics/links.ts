// Who shipped what and who broke what: joins changes to the deployments that shipped their
// merge commits, and incidents to the changes and deployments that caused them. The DORA keys,
// the change-incident rate and the per-origin split all read these links; computed once per report.

import { toMs } from "./stats";
import type { Change, Deployment, Incident, Origin } from "./types";

export interface HistoryLinks {
  /** Change id → the first successful deployment at or after its merge that ships its merge sha (same repo). */
  firstDeployment: Map<string, Deployment>;
  /** Deployment id → the merged changes whose merge sha it lists (same repo), successful or not. */
  shippedChanges: Map<string, Change[]>;
  /** Incident id → ids of the changes it is linked to. */
  incidentChanges: Map<string, Set<string>>;
  /** Ids of changes linked to at least one incident. */
  changesWithIncident: Set<string>;
  /** Ids of deployments linked to at least one incident. */
  deploymentsWithIncident: Set<string>;
}

/** Repo names are compared case-insensitively (GitHub's are); shas as lower-case hex. */
const shaKey = (repo: string, sha: string) => `${repo.toLowerCase()}\n${sha.toLowerCase()}`;

/** Earliest first; equal times by id, so the choice never depends on input order. */
const byTimeThenId = (a: Deployment, b: Deployment) => toMs(a.at) - toMs(b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function indexMergedBySha(changes: readonly Change[]): Map<string, Change[]> {
  const bySha = new Map<string, Change[]>();
  for (const c of changes) {
    if (c.mergedAt === null || c.mergeSha === null) continue;
    const key = shaKey(c.repo, c.mergeSha);
    bySha.set(key, [...(bySha.get(key) ?? []), c]);
  }
  return bySha;
}

function shippedByDeployment(deployments: readonly Deployment[], bySha: Map<string, Change[]>): Map<string, Change[]> {
  const shipped = new Map<string, Change[]>();
  for (const d of deployments) {
    const found = new Set<Change>();
    for (const sha of d.shas) for (const c of bySha.get(shaKey(d.repo, sha)) ?? []) found.add(c);
    shipped.set(d.id, [...found]);
  }
  return shipped;
}

function firstDeployments(deployments: readonly Deployment[], shipped: Map<string, Change[]>): Map<string, Deployment> {
  const first = new Map<string, Deployment>();
  for (const d of [...deployments].filter((d) => d.success).sort(byTimeThenId)) {
    for (const c of shipped.get(d.id) ?? []) {
      // A deployment listing the sha before the merge happened is not what shipped it.
      if (!first.has(c.id) && toMs(d.at) >= toMs(c.mergedAt!)) first.set(c.id, d);
    }
  }
  return first;
}

export function linkHistory(changes: readonly Change[], deployments: readonly Deployment[], incidents: readonly Incident[]): HistoryLinks {
  const shippedChanges = shippedByDeployment(deployments, indexMergedBySha(changes));
  const firstDeployment = firstDeployments(deployments, shippedChanges);
  const incidentChanges = new Map<string, Set<string>>();
  const changesWithIncident = new Set<string>();
  const deploymentsWithIncident = new Set<string>();

  for (const i of incidents) {
    // The incident's own attribution wins; the other side is only inferred when it is silent,
    // so naming one bad change does not blame every other change in the same deployment.
    const named = i.causedByChangeIds;
    const viaDeployment = i.causedByDeploymentId === null ? [] : (shippedChanges.get(i.causedByDeploymentId) ?? []);
    const blamedChanges = named.length > 0 ? named : viaDeployment.map((c) => c.id);
    const blamedDeployments =
      i.causedByDeploymentId !== null ? [i.causedByDeploymentId] : named.flatMap((id) => firstDeployment.get(id)?.id ?? []);
    incidentChanges.set(i.id, new Set(blamedChanges));
    for (const id of blamedChanges) changesWithIncident.add(id);
    for (const id of blamedDeployments) deploymentsWithIncident.add(id);
  }
  return { firstDeployment, shippedChanges, incidentChanges, changesWithIncident, deploymentsWithIncident };
}

/** Whether a deployment shipped at least one change of the origin. */
export const deploymentShipped = (links: HistoryLinks, d: Deployment, origin: Origin): boolean =>
  (links.shippedChanges.get(d.id) ?? []).some((c) => c.origin === origin);

/** Whether an incident is linked to at least one change of the origin. */
export function incidentInvolves(links: HistoryLinks, i: Incident, origin: Origin, originOf: Map<string, Origin>): boolean {
  for (const id of links.incidentChanges.get(i.id) ?? []) if (originOf.get(id) === origin) return true;
  return false;
}
