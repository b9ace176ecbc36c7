// Turning stored rows into the metrics' history, as pure functions: what each deployment
// shipped, and which deployment an incident followed.

export interface MergedChange {
  repo: string;
  mergedAt: string | null;
  mergeSha: string | null;
}

export interface DeploymentRow {
  id: string;
  repo: string;
  teamId: string | null;
  sha: string;
  at: string;
  success: boolean;
}

/**
 * A successful deployment ships its own sha and every change of its repo merged after the
 * previous successful deployment of that repo and no later than itself (a deploy of main
 * carries everything merged since the last one). A failed deployment ships its sha only.
 */
export function shippedShas(deployments: readonly DeploymentRow[], changes: readonly MergedChange[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const byRepo = new Map<string, DeploymentRow[]>();
  for (const d of deployments) byRepo.set(d.repo, [...(byRepo.get(d.repo) ?? []), d]);
  for (const [repo, list] of byRepo) {
    const sorted = [...list].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
    const merged = changes.filter((c) => c.repo === repo && c.mergedAt !== null && c.mergeSha !== null);
    let previous: string | null = null;
    for (const d of sorted) {
      if (!d.success) {
        out.set(d.id, [d.sha]);
        continue;
      }
      const shipped = merged.filter((c) => c.mergedAt! <= d.at && (previous === null || c.mergedAt! > previous)).map((c) => c.mergeSha!);
      out.set(d.id, [...new Set([d.sha, ...shipped])]);
      previous = d.at;
    }
  }
  return out;
}

export interface IncidentRow {
  openedAt: string;
  teamId: string | null;
  repo: string | null;
}

/**
 * The deployment an incident most likely followed: the latest one at or before it opened,
 * within `hours`, of the incident's repo when it names one, else of its team. Null when none.
 */
export function likelyCause(incident: IncidentRow, deployments: readonly DeploymentRow[], hours: number): string | null {
  const opened = Date.parse(incident.openedAt);
  const earliest = opened - hours * 3_600_000;
  const candidates = deployments.filter((d) => {
    const at = Date.parse(d.at);
    if (at > opened || at < earliest) return false;
    return incident.repo !== null ? d.repo === incident.repo : incident.teamId !== null && d.teamId === incident.teamId;
  });
  candidates.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return candidates[0]?.id ?? null;
}
