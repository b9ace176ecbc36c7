// Block Kit messages sysop sends to Slack: an approval request with Approve/Deny buttons,
// its replacement once decided, the approvals list, help, a repo's policy and one-line
// results. Pure builders from plain data. Every user- or agent-written string is escaped
// (mrkdwn.ts) and every text is kept inside Slack's limits (block-kit.ts), because Slack
// rejects a whole message for one oversize field.
import {
  SLACK_LIMITS,
  type ActionsBlock,
  type Block,
  type ButtonElement,
  type ContextBlock,
  type MessageReplacement,
  type SectionBlock,
  type SlackMessage,
  type SlashCommandResponse,
} from "./block-kit";
import { APPROVAL_ID_PATTERN, SLASH_COMMAND, USAGE } from "./commands";
import { codeBlock, escapeMrkdwn, link, quote, slackDate, truncateEscaped, userText } from "./mrkdwn";
import type { ApprovalForSlack, ApprovalOutcome, ApprovalSummaryForSlack, PolicySummaryForSlack } from "./views";

export const APPROVE_ACTION_ID = "sysop_approve";
export const DENY_ACTION_ID = "sysop_deny";
/** Block id of an approval's buttons: the id is in each button's value as well. */
export const approvalBlockId = (approvalId: string): string => `sysop_approval:${approvalId}`;

/** Approvals shown in one list: two blocks each, inside Slack's 50 blocks with room to spare. */
export const MAX_LISTED_APPROVALS = 20;
export const MAX_RULES_PER_LAYER = 15;
const MAX_PATHS_SHOWN = 10;

// Caps on single values, so that one long name cannot push the rest of a message out.
const CAP = { name: 80, action: 60, repo: 200, path: 200, reason: 1500, command: 2500, ruleReason: 200, ruleId: 100 };

// ---- Approvals --------------------------------------------------------------------------

export function approvalRequestMessage(approval: ApprovalForSlack): SlackMessage {
  return message(approvalFallback(approval, "Approval needed"), [
    ...approvalDetailBlocks(approval),
    approvalButtons(approval.id),
    context(`sysop approval \`${escapeMrkdwn(approval.id)}\``),
  ]);
}

/** Rewrites a request message after a decision: buttons stay only while approvals are still needed. */
export function approvalUpdatedMessage(approval: ApprovalForSlack, outcome: ApprovalOutcome): MessageReplacement {
  const by = "by" in outcome ? `*${userText(outcome.by, CAP.name)}*` : "";
  let status: string;
  let stillOpen = false;
  switch (outcome.kind) {
    case "approved":
      status = `:white_check_mark: Approved by ${by}`;
      break;
    case "approval_recorded":
      status = `:ballot_box_with_check: Approved by ${by} (${approval.approvals_so_far} of ${approval.approvals_needed}); waiting for more approvals`;
      stillOpen = true;
      break;
    case "denied":
      status = `:no_entry_sign: Denied by ${by}: ${userText(outcome.reason, CAP.reason)}`;
      break;
    case "expired":
      status = ":hourglass: Expired without a decision";
      break;
    default:
      return assertNever(outcome);
  }
  const blocks: Block[] = [...approvalDetailBlocks(approval), section(status)];
  if (stillOpen) blocks.push(approvalButtons(approval.id));
  blocks.push(context(`sysop approval \`${escapeMrkdwn(approval.id)}\``));
  return { replace_original: true, ...message(`${status.replace(/^:[a-z_]+: /, "")}: ${approvalFallback(approval)}`, blocks) };
}

export function approvalsListMessage(list: readonly ApprovalSummaryForSlack[]): SlashCommandResponse {
  if (list.length === 0) return ephemeral("No approvals are waiting for you.", [section("No approvals are waiting for you.")]);
  const shown = list.slice(0, MAX_LISTED_APPROVALS);
  const heading = `*${list.length} approval${list.length === 1 ? "" : "s"} waiting*`;
  const blocks: Block[] = [section(heading)];
  for (const a of shown) {
    blocks.push(
      section(
        `*${userText(a.requester_name, CAP.name)}* (${userText(a.team_name, CAP.name)}) · *${userText(a.action, CAP.action)}* ` +
          `on \`${userText(a.repo, CAP.repo)}\` · ${a.approvals_so_far} of ${a.approvals_needed} · expires ${slackDate(a.expires_at)}\n` +
          `\`${escapeMrkdwn(a.id)}\``,
      ),
      approvalButtons(a.id),
    );
  }
  if (list.length > shown.length) blocks.push(context(`…and ${list.length - shown.length} more. See them all in the sysop dashboard.`));
  return ephemeral(`${list.length} approval${list.length === 1 ? "" : "s"} waiting`, blocks);
}

// ---- Help, results, policy ---------------------------------------------------------------

export function helpMessage(): SlashCommandResponse {
  const lines: Array<[string, string]> = [
    [`${SLASH_COMMAND} approvals`, "approvals waiting for you"],
    [USAGE.approve, "approve a request"],
    [USAGE.deny, "deny a request, saying why"],
    [USAGE.policy, "the rules in force for a repo"],
    [USAGE.task, "start an agent task"],
    [`${SLASH_COMMAND} priorities`, "what agents work on next"],
    [USAGE.metrics, "usage and outcomes, for the org or a team"],
    [`${SLASH_COMMAND} help`, "this list"],
  ];
  // The usage strings hold "<…>" placeholders, which Slack would read as links unless escaped.
  const text = lines.map(([usage, what]) => `\`${escapeMrkdwn(usage)}\` – ${what}`).join("\n");
  return ephemeral("sysop commands", [section(`*sysop commands*\n${text}`)]);
}

/** An answer the whole channel sees (priorities, metrics). The text is escaped here. */
export function channelMessage(text: string): SlashCommandResponse {
  const body = userText(text, SLACK_LIMITS.sectionText, { multiline: true });
  return { response_type: "in_channel", ...message(body, [section(body)]) };
}

/** A short answer only the person who typed the command sees. The text is escaped here. */
export function resultMessage(text: string): SlashCommandResponse {
  const body = userText(text, SLACK_LIMITS.sectionText, { multiline: true });
  return ephemeral(body, [section(body)]);
}

export function policySummaryMessage(summary: PolicySummaryForSlack): SlashCommandResponse {
  const repo = userText(summary.repo, CAP.repo);
  const blocks: Block[] = [section(`*Policy for \`${repo}\`*`)];
  if (summary.layers.length === 0) blocks.push(section("No policy applies to this repo yet."));
  for (const layer of summary.layers) {
    const version = layer.version === null ? "no policy" : `v${layer.version}`;
    // Only the org layer has a default: the answer when no rule at any layer matches.
    const fallback = layer.layer === "org" && layer.default_effect ? `, default *${layer.default_effect}*` : "";
    const head = `*${LAYER_TITLE[layer.layer]}* · ${userText(layer.name, CAP.name)} (${version}${fallback})`;
    const lines = layer.rules.map(
      (r) => `• ${EFFECT_ICON[r.effect]} *${r.effect}* \`${userText(r.id, CAP.ruleId)}\`: ${userText(r.reason, CAP.ruleReason)}`,
    );
    blocks.push(section(fitLines(head, lines, layer.version === null ? "" : "_No rules._")));
  }
  const dashboard = summary.dashboard_url ? link(summary.dashboard_url, "Open in the sysop dashboard") : null;
  if (dashboard) blocks.push(context(dashboard));
  return ephemeral(`Policy for ${repo}`, blocks);
}

// ---- Pieces -----------------------------------------------------------------------------

const LAYER_TITLE = { org: "Org", team: "Team", repo: "Repo" } as const;
const EFFECT_ICON = { allow: ":white_check_mark:", ask: ":raised_hand:", deny: ":no_entry:" } as const;

function approvalDetailBlocks(a: ApprovalForSlack): Block[] {
  const blocks: Block[] = [
    section(
      `*${userText(a.requester_name, CAP.name)}* (${userText(a.team_name, CAP.name)}) asks to ` +
        `*${userText(a.action, CAP.action)}* on \`${userText(a.repo, CAP.repo)}\``,
    ),
    {
      type: "section",
      fields: [
        mrkdwn(`*Approvals*\n${a.approvals_so_far} of ${a.approvals_needed}`),
        mrkdwn(`*Expires*\n${slackDate(a.expires_at)}`),
      ],
    },
  ];
  if (a.command) blocks.push(section(`*Command*\n${codeBlock(a.command, CAP.command)}`));
  if (a.paths && a.paths.length > 0) {
    const shown = a.paths.slice(0, MAX_PATHS_SHOWN).map((p) => `• ${userText(p, CAP.path)}`);
    const more = a.paths.length > shown.length ? `\n_…and ${a.paths.length - shown.length} more_` : "";
    blocks.push(section(`*Paths*\n${shown.join("\n")}${more}`));
  }
  const ticket = a.ticket_url ? (link(a.ticket_url, "Ticket") ?? userText(a.ticket_url, CAP.path)) : null;
  blocks.push(section(`*Reason*\n${quote(a.reason, CAP.reason)}${ticket ? `\n*Ticket:* ${ticket}` : ""}`));
  return blocks;
}

function approvalButtons(approvalId: string): ActionsBlock {
  // INVARIANT: ids are sysop's own, short and plain, so they fit block_id (255), value (2000)
  // and the dialog text (300) unescaped. Anything else is a bug upstream, not user input.
  if (!APPROVAL_ID_PATTERN.test(approvalId)) throw new Error(`not an approval id: ${JSON.stringify(approvalId.slice(0, 40))}`);
  const button = (action_id: string, label: string, style: "primary" | "danger"): ButtonElement => ({
    type: "button",
    action_id,
    text: { type: "plain_text", text: label },
    style,
    value: approvalId,
  });
  const approve = button(APPROVE_ACTION_ID, "Approve", "primary");
  // Approving lets an agent act, so it takes a second click; the dialog holds no user text.
  approve.confirm = {
    title: { type: "plain_text", text: "Approve this request?" },
    text: { type: "plain_text", text: `You approve ${approvalId}. Your decision is recorded in the audit log.` },
    confirm: { type: "plain_text", text: "Approve" },
    deny: { type: "plain_text", text: "Cancel" },
  };
  return { type: "actions", block_id: approvalBlockId(approvalId), elements: [approve, button(DENY_ACTION_ID, "Deny", "danger")] };
}

function approvalFallback(a: ApprovalForSlack | ApprovalSummaryForSlack, prefix?: string): string {
  const what = `${userText(a.requester_name, CAP.name)} asks to ${userText(a.action, CAP.action)} on ${userText(a.repo, CAP.repo)}`;
  return prefix ? `${prefix}: ${what}` : what;
}

/** Adds lines under a heading while they fit in one section, then says how many were left out. */
function fitLines(head: string, lines: readonly string[], whenEmpty: string): string {
  if (lines.length === 0) return whenEmpty ? `${head}\n${whenEmpty}` : head;
  const room = SLACK_LIMITS.sectionText - 40; // kept for the "…and N more" line
  let text = head;
  let shown = 0;
  for (const line of lines.slice(0, MAX_RULES_PER_LAYER)) {
    if (text.length + 1 + line.length > room) break;
    text += `\n${line}`;
    shown++;
  }
  return shown < lines.length ? `${text}\n_…and ${lines.length - shown} more rules_` : text;
}

const mrkdwn = (text: string) => ({ type: "mrkdwn" as const, text: truncateEscaped(text, SLACK_LIMITS.sectionFieldText) });

function section(text: string): SectionBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncateEscaped(text, SLACK_LIMITS.sectionText) } };
}

function context(text: string): ContextBlock {
  return { type: "context", elements: [mrkdwn(text)] };
}

/** The last guard on Slack's limits: at most 50 blocks (the last says what was cut), short fallback. */
function message(text: string, blocks: Block[]): SlackMessage {
  const max = SLACK_LIMITS.blocksPerMessage;
  const kept = blocks.length <= max ? blocks : [...blocks.slice(0, max - 1), context(`…${blocks.length - max + 1} more not shown.`)];
  return { text: truncateEscaped(text, SLACK_LIMITS.fallbackText), blocks: kept };
}

function ephemeral(text: string, blocks: Block[]): SlashCommandResponse {
  return { response_type: "ephemeral", ...message(text, blocks) };
}

function assertNever(x: never): never {
  throw new Error(`unhandled approval outcome: ${JSON.stringify(x)}`);
}
