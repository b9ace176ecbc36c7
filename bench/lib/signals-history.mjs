// The seeded org and 90-day history bench/signals.mjs loads: teams with repos, members,
// trackers, services and features; pull requests (agent-made or not) with pushes, reviews,
// merges, reverts and follow-ups; deployments; incidents; tickets; tracker and GitHub issues;
// CRM deals. Each event names a test/fakes/provider-events.ts builder and its fields (built
// and signed at send time), and the truth the control plane should end up storing.
import { createHash } from "node:crypto";
import { mulberry32 } from "./stats.mjs";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

// ---------------------------------------------------------------- seeded randomness

export function rngFrom(seed) {
  const next = mulberry32(seed);
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
    /** Exponential with this mean: waiting times. */
    exp: (mean) => -Math.log(1 - next()) * mean,
    poisson: (mean) => {
      let k = 0;
      for (let p = next(), l = Math.exp(-mean); p > l; p *= next()) k++;
      return k;
    },
    weighted: (pairs) => {
      let x = next() * pairs.reduce((s, [, w]) => s + w, 0);
      for (const [v, w] of pairs) if ((x -= w) < 0) return v;
      return pairs.at(-1)[0];
    },
    chars: (n, alphabet) => Array.from({ length: n }, () => r.pick(alphabet)).join(""),
  };
  return r;
}

const sha = (seed) => createHash("sha1").update(seed).digest("hex");

// ---------------------------------------------------------------- the org

const TEAM_NAMES = ["payments", "identity", "search", "mobile", "platform", "growth", "billing", "data", "notifications", "checkout", "ledger", "risk", "onboarding", "messaging", "reporting", "infra", "catalog", "pricing", "support", "admin", "auth", "export", "import", "sync", "maps", "media"];
const REPO_KINDS = ["api", "web", "worker"];
const FIRST_NAMES = ["ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jun", "kofi", "lena", "mateo", "nia", "omar", "pia", "quinn", "ravi", "sofia", "tomas"];
const VERBS = ["Fix", "Add", "Refactor", "Speed up", "Handle", "Remove", "Harden", "Cache", "Validate", "Log"];
const OBJECTS = ["retry logic", "session refresh", "export job", "rate limiter", "webhook parser", "search index", "CSV import", "audit trail", "currency rounding", "feature flag", "error page", "pagination", "timezone handling", "email templates", "health check"];
const TICKET_TOPICS = ["login", "invoice", "slow", "error_500", "data_missing", "billing", "integration", "mobile_app", "export"];
const FEATURES = ["SAML SSO", "SCIM provisioning", "audit export", "custom roles", "data residency", "bulk API", "webhooks v2", "offline mode", "multi-currency", "SOC2 report"];
const CUSTOMER_WORDS = [["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent"], ["Corp", "Labs", "Health", "Logistics", "Bank"]];
const title = (s) => s[0].toUpperCase() + s.slice(1);

export function makeOrg(rng, count) {
  const customers = CUSTOMER_WORDS[0].flatMap((a, i) => CUSTOMER_WORDS[1].map((b, j) => ({ name: `${a} ${b}`, zendeskOrg: String(8_447_346_600_000 + i * 10 + j) })));
  const teams = TEAM_NAMES.slice(0, count).map((slug, i) => {
    const Name = title(slug);
    const repos = REPO_KINDS.slice(0, rng.chance(0.5) ? 3 : 2).map((k) => `acme/${slug}-${k}`);
    return {
      slug,
      Name,
      key: slug.slice(0, 4).toUpperCase(),
      repos,
      members: Array.from({ length: rng.int(4, 7) }, (_, k) => `${FIRST_NAMES[(i * 7 + k) % FIRST_NAMES.length]}-${slug}`),
      agentShare: 0.1 + 0.5 * rng.next(),
      prRate: 1.5 + 2 * rng.next(),
      ticketRate: 1 + 3 * rng.next(),
      tracker: i % 2 === 0 ? "jira" : "linear",
      component: `${Name} Core`,
      zendeskTag: `area_${slug}`,
      linearLabel: `area-${slug}`,
      services: repos.map((r) => ({ id: `P${sha(r).slice(0, 6).toUpperCase()}`, name: `${Name} ${title(r.split("-").at(-1))}` })),
      // Each team owns its features: a deal blocked on one is that team's to unblock.
      features: [FEATURES[i % FEATURES.length], `${Name} API v2`],
    };
  });
  return { teams, customers };
}

// ---------------------------------------------------------------- the history

/**
 * Events `{ at, source, builder, fields }` (a provider-events builder and its fields, built and
 * signed at send time) in time order, and the truth the control plane should end up storing.
 */
export function generateHistory(rng, org, now, days) {
  const start = now - days * DAY;
  const horizon = now - MIN; // nothing after now
  const events = [];
  // signals: "source|external id" -> the state its last delivery leaves it in.
  const truth = { changes: new Map(), signals: new Map(), deployments: 0, deals: [], mergesByRepo: new Map() };
  const emit = (at, source, builder, fields) => {
    if (at > horizon) return false;
    events.push({ at, seq: events.length, source, builder, fields });
    return true;
  };
  /** A delivery about a signal: `key` is "source|external id", `state` what it says now. */
  const emitSignal = (at, source, builder, fields, key, state) => {
    if (!emit(at, source, builder, fields)) return false;
    truth.signals.set(key, state);
    return true;
  };
  const secondAt = (ms) => Math.floor(ms / 1000) * 1000; // GitHub and Zendesk send whole seconds
  const numbers = new Map(); // GitHub numbers issues and pull requests from one sequence per repo
  const nextNumber = (repo) => {
    const n = (numbers.get(repo) ?? 0) + 1;
    numbers.set(repo, n);
    return n;
  };
  // Days are counted from the start, so the same seed gives the same history whenever it runs
  // (shifted in time): "working hours" are hours 8-18 of each such day, days 5 and 6 of a week quiet.
  const workTime = (day) => secondAt(day + (8 + 10 * rng.next()) * HOUR);
  const isWeekend = (d) => d % 7 >= 5;
  const taskId = () => `task_${rng.chars(20, "abcdefghijklmnopqrstuvwxyz234567")}`;
  // The sysop runner's branches name their task; one not drawn from the history's PRNG (so the
  // history stays what it was) stands in until the real task is created (main, before any delivery).
  let placeholders = 0;
  const placeholderTask = () => `task_${[...sha(`placeholder:${++placeholders}`).slice(0, 20)].map((c) => "abcdefghijklmnop"[parseInt(c, 16)]).join("")}`;

  // -- pull requests: pushes, the PR, reviews, the merge (and the push of it to main) or a close
  function pullRequest(team, repo, openAt, o = {}) {
    const number = nextNumber(repo);
    const agent = o.agent ?? rng.chance(team.agentShare);
    const prTitle = o.title ?? `${rng.pick(VERBS)} ${rng.pick(OBJECTS)} (${team.key}-${number})`;
    const slug = prTitle.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40);
    let author = rng.pick(team.members);
    let branch = `${rng.pick(["feat", "fix", "chore"])}/${slug}`;
    let labels = rng.chance(0.25) ? [rng.pick(["bug", "enhancement", "dependencies"])] : [];
    let body = o.body ?? `${prTitle}.\n\nTested locally.`;
    // The sysop task behind an agent PR: one whose branch is the runner's (`sysop/task_…`) or
    // whose body has a `Sysop-Task:` trailer. Agent PRs marked only by a label or a co-author
    // trailer name no task (agent work from outside sysop's tasks).
    let task = null;
    if (agent) {
      const mark = rng.weighted([["branch", 5], ["label", 3], ["trailer", 2]]);
      const trailer = rng.chance(0.5) ? taskId() : null;
      task = trailer ?? (mark === "branch" ? placeholderTask() : null);
      if (mark === "branch") {
        author = "sysop-agent[bot]";
        branch = `sysop/${task}`;
      }
      if (mark === "label") labels = [...labels, "sysop-agent"];
      body += trailer ? `\n\nSysop-Task: ${trailer}` : mark === "trailer" ? "\n\nCo-authored-by: sysop-agent <agent@sysop.dev>" : "";
    }
    const reviewers = team.members.filter((m) => m !== author);
    const headSha = sha(`${repo}#${number}:head`);
    const pr = { repo, number, title: prTitle, body, author, branch, labels, headSha, createdAt: new Date(openAt), commits: 1 };
    const change = { repo, number, team, title: prTitle, task, origin: agent ? "agent" : "human", openedAt: openAt, firstCommitAt: null, firstReviewAt: null, approvedAt: null, reviewRounds: 0, mergedAt: null, closedAt: null, reverted: false, reworked: false };
    const onPr = { title: prTitle, author, branch, headSha, createdAt: new Date(openAt) };

    // The branch's commits are pushed, then the pull request is opened.
    const firstCommit = secondAt(openAt - Math.min(72 * HOUR, (agent ? rng.exp(0.7) : rng.exp(8)) * HOUR) - 10 * MIN);
    const count = rng.int(1, 4);
    const commits = Array.from({ length: count }, (_, k) => {
      const at = secondAt(firstCommit + ((openAt - 10 * MIN - firstCommit) * k) / count);
      return { sha: sha(`${repo}#${number}:c${k}`), message: `${prTitle}${k ? ` (part ${k + 1})` : ""}`, timestamp: new Date(at), author: author.replace("[bot]", ""), utcOffsetMinutes: rng.pick([0, 60, -300, -420, 330]) };
    });
    const pushAt = openAt - rng.int(1, 20) * MIN;
    if (emit(pushAt, "github", "githubPush", { repo, branch, pusher: author.replace("[bot]", ""), commits })) change.firstCommitAt = Math.min(...commits.map((c) => c.timestamp.getTime()));
    if (!emit(openAt, "github", "githubPullRequestOpened", pr)) return change;
    truth.changes.set(`${repo}#${number}`, change);

    const review = (at, state) => {
      const reviewer = rng.pick(reviewers);
      if (!emit(at, "github", "githubReview", { repo, number, state, reviewer, submittedAt: new Date(at), pullRequest: onPr })) return false;
      change.firstReviewAt ??= at;
      if (state === "approved") change.approvedAt ??= at;
      if (state === "changes_requested") change.reviewRounds++;
      return true;
    };
    let t = secondAt(openAt + Math.max(5 * MIN, rng.exp(agent ? 3 : 5) * HOUR));
    if (rng.chance(0.3) && !review(t, "commented")) return change;
    if (change.firstReviewAt !== null) t = secondAt(t + rng.exp(2) * HOUR);
    for (let round = 0; round < 3 && rng.chance(round === 0 ? (agent ? 0.35 : 0.2) : 0.2); round++) {
      if (!review(t, "changes_requested")) return change;
      // The author pushes a fix to the branch (the PR exists now).
      const fixAt = secondAt(t + Math.max(10 * MIN, rng.exp(agent ? 0.5 : 4) * HOUR));
      const fix = { sha: sha(`${repo}#${number}:fix${round}`), message: `Address review (${round + 1})`, timestamp: new Date(fixAt - 2 * MIN), author: author.replace("[bot]", "") };
      if (!emit(fixAt, "github", "githubPush", { repo, branch, before: headSha, pusher: fix.author, commits: [fix] })) return change;
      change.firstCommitAt = Math.min(change.firstCommitAt ?? Infinity, fix.timestamp.getTime());
      t = secondAt(fixAt + rng.exp(3) * HOUR);
    }
    if (rng.chance(o.closeChance ?? (agent ? 0.22 : 0.08))) {
      const closedAt = secondAt(t + rng.exp(24) * HOUR);
      if (emit(closedAt, "github", "githubPullRequestClosed", { ...pr, closedAt: new Date(closedAt) })) change.closedAt = closedAt;
      return change;
    }
    if (!review(t, "approved")) return change;
    const mergedAt = secondAt(t + Math.max(MIN, rng.exp(2) * HOUR));
    const mergeCommitSha = sha(`${repo}#${number}:merge`);
    const mergedBy = rng.chance(0.7) && !author.endsWith("[bot]") ? author : rng.pick(reviewers);
    if (!emit(mergedAt, "github", "githubPullRequestMerged", { ...pr, mergedAt: new Date(mergedAt), mergeCommitSha, mergedBy })) return change;
    change.mergedAt = mergedAt;
    change.mergeSha = mergeCommitSha;
    const merges = truth.mergesByRepo.get(repo) ?? [];
    merges.push({ at: mergedAt, sha: mergeCommitSha });
    truth.mergesByRepo.set(repo, merges);
    emit(mergedAt + 2000, "github", "githubPush", { repo, branch: "main", before: sha(`${repo}:main:${mergedAt}`), pusher: mergedBy, commits: [{ sha: mergeCommitSha, message: `Merge pull request #${number} from acme/${branch}`, timestamp: new Date(mergedAt), author: mergedBy }] });

    // Some merged work is reverted or followed up within days.
    if (!o.noRework && rng.chance(0.03)) {
      const revert = pullRequest(team, repo, secondAt(mergedAt + (1 + rng.exp(30)) * HOUR), { title: `Revert "${prTitle}"`, body: `Reverts ${repo}#${number}`, agent: false, closeChance: 0, noRework: true });
      if (revert.mergedAt !== null) change.reverted = change.reworked = true;
    } else if (!o.noRework && rng.chance(0.05)) {
      const followUp = pullRequest(team, repo, secondAt(mergedAt + (1 + rng.exp(48)) * HOUR), { body: `Follow-up to #${number}: the edge cases.`, closeChance: 0, noRework: true });
      if (followUp.mergedAt !== null && followUp.mergedAt > mergedAt) change.reworked = true;
    }
    return change;
  }

  // -- incidents (PagerDuty): triggered, maybe acknowledged, resolved
  let incidentNumber = 1000;
  function incident(team, service, at, cause) {
    const number = ++incidentNumber;
    const fields = {
      id: `Q${rng.chars(6, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")}`,
      number,
      title: cause ? `${service.name}: error rate above 5% after deploy` : `${service.name}: ${rng.pick(["latency p99 > 2s", "5xx spike", "queue backlog", "disk 90%", "health check failing"])}`,
      service,
      urgency: rng.chance(0.7) ? "high" : "low",
      priority: rng.weighted([["P1", 1], ["P2", 4], ["P3", 8], [null, 7]]),
      createdAt: new Date(at),
      team: { id: `PT${team.key}`, name: team.Name },
    };
    const key = `pagerduty|${fields.id}`;
    if (!emitSignal(at, "pagerduty", "pagerDutyIncidentTriggered", fields, key, "open")) return;
    let t = at;
    if (rng.chance(0.7)) {
      t += rng.int(2, 30) * MIN;
      emitSignal(t, "pagerduty", "pagerDutyIncidentAcknowledged", { ...fields, occurredAt: new Date(t) }, key, "open");
    }
    t += Math.max(10 * MIN, rng.exp(2.5) * HOUR);
    emitSignal(t, "pagerduty", "pagerDutyIncidentResolved", { ...fields, occurredAt: new Date(t) }, key, "resolved");
  }

  // -- support tickets (Zendesk): created, sometimes re-prioritised, mostly solved
  let ticketId = 35_000;
  function ticket(team, at) {
    const customer = rng.chance(0.85) ? rng.pick(org.customers) : null;
    const priority = rng.weighted([["urgent", 1], ["high", 3], ["normal", 8], ["low", 3], [null, 2]]);
    const base = { id: String(++ticketId), subject: `${rng.pick(["Cannot", "Problem with", "Question about", "Urgent:"])} ${rng.pick(OBJECTS)}`, tags: [team.zendeskTag, rng.pick(TICKET_TOPICS)], organizationId: customer?.zendeskOrg ?? null, createdAt: new Date(at) };
    const key = `zendesk|${base.id}`;
    if (!emitSignal(at, "zendesk", "zendeskTicketCreated", { ...base, status: "new", priority, updatedAt: new Date(at) }, key, "open")) return;
    let t = at;
    let current = priority;
    if (rng.chance(0.15)) {
      t += rng.exp(6) * HOUR;
      const raised = current === "urgent" ? "high" : "urgent";
      emitSignal(secondAt(t), "zendesk", "zendeskTicketUpdated", { ...base, status: "open", priority: raised, previous: current, change: "priority", updatedAt: new Date(secondAt(t)) }, key, "open");
      current = raised;
    }
    if (rng.chance(0.85)) {
      t += Math.max(HOUR, rng.exp(30) * HOUR);
      emitSignal(secondAt(t), "zendesk", "zendeskTicketUpdated", { ...base, status: "solved", priority: current, previous: "open", updatedAt: new Date(secondAt(t)) }, key, "resolved");
    }
  }

  // -- tracker issues (Jira or Linear, by team) and GitHub issues
  let jiraId = 10_000;
  const trackerNumbers = new Map();
  function trackerIssue(team, at) {
    const kind = rng.weighted([["bug", 5], ["story", 3], ["debt", 2]]);
    const n = (trackerNumbers.get(team.key) ?? 0) + 1;
    trackerNumbers.set(team.key, n);
    const summary = `${kind === "debt" ? "Clean up" : kind === "bug" ? "Broken" : "Support"} ${rng.pick(OBJECTS)}`;
    const done = rng.chance(0.6) ? at + Math.max(HOUR, rng.exp(72) * HOUR) : null;
    const started = rng.chance(0.4) ? at + Math.max(30 * MIN, rng.exp(12) * HOUR) : null;
    if (team.tracker === "jira") {
      const f = { site: "acme", id: String(++jiraId), key: `${team.key}-${n}`, summary, issueType: kind === "story" ? "Story" : "Bug", priority: rng.pick(["Highest", "High", "Medium", "Medium", "Low"]), labels: kind === "debt" ? ["tech-debt"] : [], components: [team.component], created: new Date(at), updated: new Date(at) };
      const key = `jira|${f.id}`;
      if (!emitSignal(at, "jira", "jiraIssueCreated", f, key, "open")) return;
      if (started !== null && (done === null || started < done)) emitSignal(started, "jira", "jiraIssueUpdated", { ...f, status: "indeterminate", updated: new Date(started) }, key, "open");
      const resolution = rng.chance(0.9) ? "Done" : "Won't Do";
      if (done !== null) emitSignal(done, "jira", "jiraIssueUpdated", { ...f, status: "done", resolution, resolutionDate: new Date(done), updated: new Date(done) }, key, resolution === "Done" ? "resolved" : "closed");
    } else {
      const hexId = rng.chars(32, "0123456789abcdef");
      const f = { id: `${hexId.slice(0, 8)}-${hexId.slice(8, 12)}-4${hexId.slice(13, 16)}-8${hexId.slice(17, 20)}-${hexId.slice(20)}`, identifier: `${team.key}-${n}`, title: summary, priority: rng.int(0, 4), labels: [kind === "bug" ? "Bug" : kind === "story" ? "Feature" : "Tech debt", team.linearLabel], createdAt: new Date(at), updatedAt: new Date(at), teamKey: team.key };
      const key = `linear|${f.id}`;
      if (!emitSignal(at, "linear", "linearIssueCreated", f, key, "open")) return;
      if (started !== null && (done === null || started < done)) emitSignal(started, "linear", "linearIssueUpdated", { ...f, stateType: "started", updatedAt: new Date(started) }, key, "open");
      if (done !== null) emitSignal(done, "linear", "linearIssueUpdated", { ...f, stateType: "completed", completedAt: new Date(done), updatedAt: new Date(done) }, key, "resolved");
    }
  }
  function githubIssue(team, at) {
    const repo = rng.pick(team.repos);
    const number = nextNumber(repo);
    const labels = [rng.weighted([["bug", 5], ["enhancement", 3], ["tech-debt", 2]]), ...(rng.chance(0.3) ? [rng.pick(["priority: high", "P1", "priority: low"])] : [])];
    const f = { repo, number, title: `${rng.pick(VERBS)} ${rng.pick(OBJECTS)}`, author: rng.pick(team.members), labels, createdAt: new Date(at) };
    const key = `github|${repo}#${number}`;
    if (!emitSignal(at, "github", "githubIssue", f, key, "open")) return;
    if (rng.chance(0.5)) {
      const closedAt = secondAt(at + Math.max(HOUR, rng.exp(96) * HOUR));
      const stateReason = rng.chance(0.9) ? "completed" : "not_planned";
      emitSignal(closedAt, "github", "githubIssue", { ...f, closedAt: new Date(closedAt), stateReason }, key, stateReason === "completed" ? "resolved" : "closed");
    }
  }

  for (const team of org.teams) {
    for (let d = 0; d < days; d++) {
      const day = start + d * DAY;
      const quiet = isWeekend(d) ? 0.15 : 1;
      for (let k = rng.poisson(team.prRate * quiet); k > 0; k--) pullRequest(team, rng.weighted(team.repos.map((r, i) => [r, i === 0 ? 3 : 1])), workTime(day));
      for (let k = rng.poisson(team.ticketRate * (isWeekend(d) ? 0.3 : 1)); k > 0; k--) ticket(team, secondAt(day + rng.next() * DAY));
      for (let k = rng.poisson(1.2 * quiet); k > 0; k--) trackerIssue(team, workTime(day));
      for (let k = rng.poisson(0.4 * quiet); k > 0; k--) githubIssue(team, workTime(day));
      for (let k = rng.poisson(0.08); k > 0; k--) incident(team, rng.pick(team.services), secondAt(day + rng.next() * DAY), null);
    }
  }

  // -- deployments: weekdays, per repo, shipping the repo's main as it was (after the merges)
  let deploymentId = 400_000_000;
  for (const team of org.teams) {
    const failRate = 0.04 + 0.06 * team.agentShare;
    team.repos.forEach((repo, i) => {
      const merges = (truth.mergesByRepo.get(repo) ?? []).sort((a, b) => a.at - b.at);
      const headAt = (t) => merges.filter((m) => m.at <= t).at(-1)?.sha ?? sha(`${repo}:initial`);
      const deploy = (at, success) => {
        const id = ++deploymentId;
        const f = { repo, deploymentId: id, sha: headAt(at), deploymentCreatedAt: new Date(at), environment: "production" };
        if (!emit(at, "github", "githubDeploymentStatus", { ...f, state: "in_progress", createdAt: new Date(at) })) return null;
        const doneAt = secondAt(at + rng.int(2, 8) * MIN);
        if (!emit(doneAt, "github", "githubDeploymentStatus", { ...f, state: success ? "success" : "failure", createdAt: new Date(doneAt) })) return null;
        truth.deployments++;
        return doneAt;
      };
      for (let d = 0; d < days; d++) {
        const day = start + d * DAY;
        if (isWeekend(d) || !rng.chance(i === 0 ? 0.9 : 0.5)) continue;
        const at = secondAt(day + (10 + 7 * rng.next()) * HOUR);
        const failed = rng.chance(failRate);
        const doneAt = deploy(at, !failed);
        if (doneAt === null) continue;
        if (failed) deploy(secondAt(doneAt + rng.int(30, 90) * MIN), true);
        // Some deployments are followed by an incident on the repo's service.
        else if (rng.chance(0.08)) incident(team, team.services[i], secondAt(doneAt + Math.min(20 * HOUR, Math.max(5 * MIN, rng.exp(2) * HOUR))), "deploy");
      }
    });
  }

  // -- deals (CRM): created, stage changes, won or lost; some blocked on a team's feature
  const STAGES = ["Qualification", "Discovery", "Proposal", "Negotiation"];
  for (let k = 0; k < Math.round(days * 0.7 * (org.teams.length / 10) + 3); k++) {
    const at = secondAt(start + rng.next() * (days - 1) * DAY);
    const customer = rng.pick(org.customers);
    const blocked = rng.chance(0.35) ? rng.pick(org.teams) : null;
    const f = {
      id: `D-${2000 + k}`,
      name: `${customer.name} — ${rng.pick(["new business", "expansion", "renewal"])}`,
      customer: customer.name,
      arr: `${rng.int(120, 4800) * 100}.00`,
      stage: STAGES[0],
      blockingFeature: blocked ? rng.pick(blocked.features) : null,
      repo: blocked && rng.chance(0.5) ? blocked.repos[0] : null,
      labels: rng.chance(0.3) ? ["strategic"] : [],
      createdAt: new Date(at),
      updatedAt: new Date(at),
    };
    const key = `crm|${f.id}`;
    if (!emitSignal(at, "crm", "crmDealCreated", f, key, "open")) continue;
    truth.deals.push(f);
    let t = at;
    for (let s = 1; s <= STAGES.length; s++) {
      t = secondAt(t + Math.max(HOUR, rng.exp(7 * 24) * HOUR));
      const closing = s === STAGES.length;
      const stage = closing ? (rng.chance(0.6) ? "Closed Won" : "Closed Lost") : STAGES[s];
      if (!emitSignal(t, "crm", "crmDealUpdated", { ...f, stage, updatedAt: new Date(t), ...(closing ? { closedAt: new Date(t) } : {}) }, key, closing ? "closed" : "open")) break;
      if (!closing && rng.chance(0.25)) break; // stalled
    }
  }

  events.sort((a, b) => a.at - b.at || a.seq - b.seq);
  return { start, events, truth };
}
