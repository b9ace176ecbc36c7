// Reading the history the metrics and priorities are computed from: a team's (or the org's)
// pull requests with the cost and attempts of the sysop tasks behind them, its deployments
// with what each shipped, its incidents with the deployment each most likely followed, and its
// signals for ranking. The arithmetic is pure (domain/metrics, domain/priorities).
import { and, eq, gte, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { changes, deployments, signals, tasks, usageRecords, type ChangeRow } from "../db/schema";
import type { Change, Deployment, Incident } from "../domain/metrics/types";
import type { Signal as PrioritySignal } from "../domain/priorities/types";
import { likelyCause, shippedShas } from "../domain/signals/history";
import type { OutcomeSettings } from "../domain/signals/settings";
import { rankPriorities } from "../domain/priorities/rank";
import type { PriorityItem } from "../domain/priorities/types";
import { computeMetrics } from "../domain/metrics/compute";
import type { MetricsReport } from "../domain/metrics/types";
import { orgContext } from "./signals";

const DAY_MS = 86_400_000;
/** Work that started this long before the period can still finish in it. */
const LOOKBACK_DAYS = 90;

const iso = (ms: number) => new Date(ms).toISOString();

export interface MetricsHistory {
  changes: Change[];
  deployments: Deployment[];
  incidents: Incident[];
}

/** Everything about the scope that can touch [from, to): changes, deployments, incidents. */
export async function metricsHistory(db: Db, orgId: string, teamId: string | null, from: string, to: string, settings: OutcomeSettings): Promise<MetricsHistory> {
  const since = iso(Date.parse(from) - LOOKBACK_DAYS * DAY_MS);
  const [changeRows, deployRows, incidentRows] = await db.batch([
    db.select().from(changes).where(and(eq(changes.orgId, orgId), teamId ? eq(changes.teamId, teamId) : undefined, lt(changes.openedAt, to), or(gte(changes.openedAt, since), isNull(changes.mergedAt), gte(changes.mergedAt, since)))),
    db.select().from(deployments).where(and(eq(deployments.orgId, orgId), teamId ? eq(deployments.teamId, teamId) : undefined, gte(deployments.at, since), lt(deployments.at, to))),
    db.select().from(signals).where(and(eq(signals.orgId, orgId), teamId ? eq(signals.teamId, teamId) : undefined, eq(signals.kind, "incident"), gte(signals.openedAt, since), lt(signals.openedAt, to))),
  ]);
  const taskFacts = await tasksBehind(db, orgId, changeRows);
  const history: MetricsHistory = {
    changes: changeRows.map((c) => toChange(c, taskFacts.get(c.taskId ?? ""))),
    deployments: [],
    incidents: [],
  };
  const deployList = deployRows.map((d) => ({ id: d.id, repo: d.repo, teamId: d.teamId, sha: d.sha, at: d.at, success: d.state === "success" }));
  const shipped = shippedShas(deployList, changeRows);
  history.deployments = deployList.map((d) => ({ id: d.id, repo: d.repo, teamId: d.teamId, at: d.at, success: d.success, shas: shipped.get(d.id) ?? [d.sha] }));
  history.incidents = incidentRows.map((i) => ({
    id: i.id,
    teamId: i.teamId,
    service: i.service,
    severity: i.severity ?? "unrated",
    openedAt: i.openedAt,
    resolvedAt: i.resolvedAt,
    causedByDeploymentId: likelyCause({ openedAt: i.openedAt, teamId: i.teamId, repo: i.repo }, deployList, settings.incidentLinkHours),
    causedByChangeIds: [],
  }));
  return history;
}

interface TaskFacts {
  createdAt: string;
  attempts: number;
  approvals: number;
  costMicros: number;
}

/** The sysop tasks the changes came from: when they started, how many attempts, what they cost. */
async function tasksBehind(db: Db, orgId: string, rows: readonly ChangeRow[]): Promise<Map<string, TaskFacts>> {
  const ids = [...new Set(rows.map((r) => r.taskId).filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  // D1 binds at most 100 variables: the ids go in as one JSON array.
  const idList = JSON.stringify(ids);
  const inIds = (col: unknown) => sql`${col} IN (SELECT value FROM json_each(${idList}))`;
  const [taskRows, costRows] = await db.batch([
    db.select({ id: tasks.id, createdAt: tasks.createdAt, attempts: tasks.attempts, approvalId: tasks.approvalId }).from(tasks).where(and(eq(tasks.orgId, orgId), inIds(tasks.id))),
    db
      .select({ taskId: usageRecords.taskId, cost: sql<number>`sum(${usageRecords.costMicros})` })
      .from(usageRecords)
      .where(and(eq(usageRecords.orgId, orgId), inIds(usageRecords.taskId)))
      .groupBy(usageRecords.taskId),
  ]);
  const cost = new Map(costRows.map((r) => [r.taskId ?? "", Number(r.cost)]));
  return new Map(taskRows.map((t) => [t.id, { createdAt: t.createdAt, attempts: t.attempts, approvals: t.approvalId ? 1 : 0, costMicros: cost.get(t.id) ?? 0 }]));
}

function toChange(c: ChangeRow, task: TaskFacts | undefined): Change {
  return {
    id: c.id,
    repo: c.repo,
    teamId: c.teamId,
    author: c.author,
    origin: c.origin,
    openedAt: c.openedAt,
    firstReviewAt: c.firstReviewAt,
    approvedAt: c.approvedAt,
    mergedAt: c.mergedAt,
    closedAt: c.closedAt,
    firstCommitAt: c.firstCommitAt,
    taskCreatedAt: task?.createdAt ?? null,
    reviewRounds: c.reviewRounds,
    taskAttempts: task?.attempts ?? 0,
    approvalRounds: task?.approvals ?? 0,
    costMicros: task?.costMicros ?? 0,
    reworkedAt: c.reworkedAt,
    revertedAt: c.revertedAt,
    mergeSha: c.mergeSha,
  };
}

/** Signals that can count in a ranking as of `now`: open ones, and the recent history. */
export async function rankableSignals(db: Db, orgId: string, teamId: string | null, now: string, windowDays: number): Promise<PrioritySignal[]> {
  // Two trend weeks at least, whatever the window.
  const since = iso(Date.parse(now) - Math.max(windowDays, 14) * DAY_MS);
  const rows = await db
    .select()
    .from(signals)
    .where(and(eq(signals.orgId, orgId), teamId ? eq(signals.teamId, teamId) : undefined, or(eq(signals.state, "open"), gte(signals.openedAt, since), gte(signals.resolvedAt, since))));
  return rows.map((s) => ({
    id: s.id,
    source: s.source,
    signalKind: s.kind,
    title: s.title,
    severity: s.severity,
    arrMicros: s.arrMicros,
    component: s.component,
    service: s.service,
    labels: s.labels,
    repo: s.repo,
    teamId: s.teamId,
    state: s.state,
    openedAt: s.openedAt,
    resolvedAt: s.resolvedAt,
  }));
}


/** The team's (or the org's) priorities as of now, with the org's weights. */
export async function rankedPriorities(db: Db, orgId: string, teamId: string | null): Promise<{ now: string; items: PriorityItem[] }> {
  const { settings } = await orgContext(db, orgId);
  const now = new Date().toISOString();
  const items = rankPriorities(await rankableSignals(db, orgId, teamId, now, settings.priorityWindowDays), {
    now,
    windowDays: settings.priorityWindowDays,
    weights: settings.priorityWeights,
    severityWeights: settings.severityWeights,
    strategicLabels: settings.strategicLabels,
    ageCapDays: settings.ageCapDays,
  });
  return { now, items };
}

/** The metrics of the team (or the org) over [from, to). */
export async function metricsReport(db: Db, orgId: string, teamId: string | null, from: string, to: string): Promise<MetricsReport> {
  const { settings } = await orgContext(db, orgId);
  const history = await metricsHistory(db, orgId, teamId, from, to, settings);
  return computeMetrics({ ...history, from, to, reworkWindowDays: settings.reworkWindowDays });
}
