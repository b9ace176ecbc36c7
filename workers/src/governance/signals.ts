// Storing what a verified webhook delivery said, idempotently: signals upserted by (source,
// external id) and never overwritten by an older update; pull requests by (repo, number) with
// their origin (agent or human) and the sysop task they came from; reviews folded into their
// pull request (first review, first approval, change-request rounds); pushes giving a branch's
// first commit; deployments by (repo, deployment id, state). A revert or a follow-up that
// names an earlier merged change marks that change as reworked.
import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { Env } from "../env";
import { database, type Db } from "../db/client";
import { branchPushes, changes, deployments, outcomeSettings, prReviews, repos, signalMappings, signals } from "../db/schema";
import { newId } from "../domain/identity/ids";
import { explainOrigin } from "../domain/metrics/classify";
import { mapSignal, withDefaults, type OutcomeSettings, type SignalMappingRule } from "../domain/signals/settings";
import type { NormalisedRecord, PullRequest, PullRequestReview, Push, DeploymentStatus, Signal } from "../domain/webhooks/types";

const TASK_ID = /\btask_[a-z2-7]{20}\b/;
/** "Revert \"<title>\"": GitHub's own revert pull requests. */
const REVERT_TITLE = /^Revert "(.+)"$/;
/** "Follow-up to #12", "Reworks #12", "Fixes regression from #12". */
const REWORK_REF = /\b(?:follow[- ]up (?:to|for)|reworks?|fix(?:es)? regression (?:from|in))\s+#(\d+)/i;
/** Deployment states that are a result (the others are progress). */
const FINISHED_DEPLOY_STATES = new Set(["success", "failure", "error"]);

export interface OrgContext {
  settings: OutcomeSettings;
  rules: SignalMappingRule[];
  repoTeams: Map<string, string>;
}

export async function orgContext(db: Db, orgId: string): Promise<OrgContext> {
  const [settingsRows, ruleRows, repoRows] = await db.batch([
    db.select().from(outcomeSettings).where(eq(outcomeSettings.orgId, orgId)),
    db.select().from(signalMappings).where(eq(signalMappings.orgId, orgId)).orderBy(signalMappings.position),
    db.select({ name: repos.name, teamId: repos.teamId }).from(repos).where(eq(repos.orgId, orgId)),
  ]);
  return {
    settings: withDefaults(settingsRows[0]?.settings),
    rules: ruleRows.map((r) => ({ match: r.match, repo: r.repo, teamId: r.teamId })),
    repoTeams: new Map(repoRows.map((r) => [r.name, r.teamId])),
  };
}

/**
 * Applies a delivery's records in order. Every write is idempotent (upserts, first-wins
 * inserts, min() of times), so a delivery applied twice leaves the same rows as once.
 */
export async function storeRecords(env: Env, orgId: string, deliveryId: string, records: readonly NormalisedRecord[], ctx?: OrgContext): Promise<void> {
  if (records.length === 0) return;
  const db = database(env);
  const org = ctx ?? (await orgContext(db, orgId));
  for (const r of records) {
    switch (r.kind) {
      case "signal":
        await storeSignal(db, orgId, r, org);
        break;
      case "pull_request":
        await storePullRequest(db, orgId, r, org);
        break;
      case "pull_request_review":
        await storeReview(db, orgId, deliveryId, r);
        break;
      case "push":
        await storePush(db, orgId, r);
        break;
      case "deployment_status":
        await storeDeployment(db, orgId, r, org);
        break;
      case "check_run":
        break; // not used by the metrics yet
    }
  }
}

async function storeSignal(db: Db, orgId: string, s: Signal, org: OrgContext): Promise<void> {
  const { repo, teamId } = mapSignal(s, org.rules, org.repoTeams);
  const row = {
    id: newId("sig"),
    orgId,
    source: s.source,
    externalId: s.externalId,
    url: s.url,
    kind: s.signalKind,
    title: s.title.slice(0, 500),
    severity: s.severity,
    customer: s.customer,
    arrMicros: s.arrMicros,
    component: s.component,
    service: s.service,
    labels: s.labels,
    repo,
    teamId,
    state: s.state,
    openedAt: s.openedAt,
    resolvedAt: s.resolvedAt,
    updatedAt: s.updatedAt,
  };
  const { id: _id, orgId: _org, source: _source, externalId: _ext, ...update } = row;
  // An older update arriving late never overwrites a newer one.
  await db
    .insert(signals)
    .values(row)
    .onConflictDoUpdate({ target: [signals.orgId, signals.source, signals.externalId], set: update, setWhere: sql`excluded.updated_at >= ${signals.updatedAt}` });
}

async function storePullRequest(db: Db, orgId: string, pr: PullRequest, org: OrgContext): Promise<void> {
  const taskId = TASK_ID.exec(pr.branch)?.[0] ?? TASK_ID.exec(pr.body)?.[0] ?? null;
  const origin = explainOrigin({ branch: pr.branch, labels: pr.labels, body: pr.body, commitMessages: [], linkedTaskId: taskId }, org.settings.origin);
  const now = new Date().toISOString();
  const closedUnmerged = pr.closedAt !== null && !pr.merged;
  const row = {
    id: newId("chg"),
    orgId,
    repo: pr.repo,
    number: pr.number,
    // The repo's registered team, else a mapping rule about the repo (or its labels).
    teamId: mapSignal({ source: "github", signalKind: "pull_request", labels: pr.labels, component: null, service: null, repo: pr.repo }, org.rules, org.repoTeams).teamId,
    author: pr.author,
    origin: origin.origin,
    originEvidence: origin.evidence,
    taskId,
    title: pr.title.slice(0, 500),
    branch: pr.branch,
    labels: pr.labels,
    openedAt: pr.createdAt,
    mergedAt: pr.merged ? pr.mergedAt : null,
    closedAt: closedUnmerged ? pr.closedAt : null,
    reviewRounds: 0,
    headSha: pr.headSha,
    mergeSha: pr.merged ? pr.mergeCommitSha : null,
    updatedAt: now,
  };
  await db
    .insert(changes)
    .values(row)
    .onConflictDoUpdate({
      target: [changes.orgId, changes.repo, changes.number],
      set: {
        teamId: row.teamId,
        origin: row.origin,
        originEvidence: row.originEvidence,
        taskId: sql`coalesce(${changes.taskId}, ${row.taskId})`,
        title: row.title,
        branch: row.branch,
        labels: row.labels,
        // A merge is final; a reopened pull request clears its closing.
        mergedAt: sql`coalesce(${changes.mergedAt}, ${row.mergedAt})`,
        mergeSha: sql`coalesce(${changes.mergeSha}, ${row.mergeSha})`,
        closedAt: pr.action === "reopened" ? null : sql`coalesce(${row.closedAt}, ${changes.closedAt})`,
        headSha: row.headSha,
        updatedAt: now,
      },
    });
  await foldActivity(db, orgId, pr.repo, eq(changes.number, pr.number));
  if (pr.merged && pr.mergedAt) await markReworked(db, orgId, pr);
}

/** A merged revert or follow-up names the change it redoes: that change was reworked. */
async function markReworked(db: Db, orgId: string, pr: PullRequest): Promise<void> {
  const reverted = REVERT_TITLE.exec(pr.title)?.[1];
  if (reverted) {
    await db
      .update(changes)
      .set({ revertedAt: pr.mergedAt, reworkedAt: sql`coalesce(${changes.reworkedAt}, ${pr.mergedAt})` })
      .where(and(eq(changes.orgId, orgId), eq(changes.repo, pr.repo), eq(changes.title, reverted), sql`${changes.mergedAt} < ${pr.mergedAt}`, isNull(changes.revertedAt)));
  }
  const ref = REWORK_REF.exec(`${pr.title}\n${pr.body}`)?.[1];
  if (ref) {
    await db
      .update(changes)
      .set({ reworkedAt: pr.mergedAt })
      .where(and(eq(changes.orgId, orgId), eq(changes.repo, pr.repo), eq(changes.number, Number(ref)), sql`${changes.mergedAt} < ${pr.mergedAt}`, isNull(changes.reworkedAt)));
  }
}

async function storeReview(db: Db, orgId: string, deliveryId: string, r: PullRequestReview): Promise<void> {
  await db.insert(prReviews).values({ orgId, deliveryId, repo: r.repo, number: r.number, reviewer: r.reviewer, state: r.state, submittedAt: r.submittedAt }).onConflictDoNothing();
  await foldActivity(db, orgId, r.repo, eq(changes.number, r.number));
}

async function storePush(db: Db, orgId: string, p: Push): Promise<void> {
  const first = p.commits.map((c) => c.timestamp).sort()[0];
  if (!first) return;
  await db
    .insert(branchPushes)
    .values({ orgId, repo: p.repo, branch: p.branch, firstCommitAt: first })
    .onConflictDoUpdate({ target: [branchPushes.orgId, branchPushes.repo, branchPushes.branch], set: { firstCommitAt: sql`min(${branchPushes.firstCommitAt}, excluded.first_commit_at)` } });
  await foldActivity(db, orgId, p.repo, eq(changes.branch, p.branch));
}

/**
 * Recomputes a pull request's review and commit times from everything received so far, in
 * whatever order it came: the first review by someone other than the author, the first
 * approval, the change-request rounds, and the branch's first commit (not after the merge).
 */
async function foldActivity(db: Db, orgId: string, repo: string, which: SQL | undefined): Promise<void> {
  const ofThisPr = sql`r.org_id = ${changes.orgId} AND r.repo = ${changes.repo} AND r.number = ${changes.number} AND r.reviewer != ${changes.author}`;
  await db
    .update(changes)
    .set({
      firstReviewAt: sql`(SELECT min(r.submitted_at) FROM ${prReviews} r WHERE ${ofThisPr} AND r.state != 'dismissed')`,
      approvedAt: sql`(SELECT min(r.submitted_at) FROM ${prReviews} r WHERE ${ofThisPr} AND r.state = 'approved')`,
      reviewRounds: sql`(SELECT count(*) FROM ${prReviews} r WHERE ${ofThisPr} AND r.state = 'changes_requested')`,
      firstCommitAt: sql`(SELECT b.first_commit_at FROM ${branchPushes} b WHERE b.org_id = ${changes.orgId} AND b.repo = ${changes.repo} AND b.branch = ${changes.branch} AND b.first_commit_at <= coalesce(${changes.mergedAt}, b.first_commit_at))`,
    })
    .where(and(eq(changes.orgId, orgId), eq(changes.repo, repo), which));
}

async function storeDeployment(db: Db, orgId: string, d: DeploymentStatus, org: OrgContext): Promise<void> {
  if (!FINISHED_DEPLOY_STATES.has(d.state)) return;
  await db
    .insert(deployments)
    .values({ id: newId("dep"), orgId, repo: d.repo, teamId: org.repoTeams.get(d.repo) ?? null, environment: d.environment, state: d.state, sha: d.sha, deploymentId: d.deploymentId, at: d.createdAt })
    .onConflictDoNothing();
}
