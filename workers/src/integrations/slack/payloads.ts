// The two request bodies Slack posts to sysop, read into typed objects after the signature
// has been checked: a slash command (an application/x-www-form-urlencoded form) and a
// button click (the same kind of form, whose one `payload` field holds block_actions JSON).
// Only the fields sysop uses are kept; a failure is tagged with a reason and field issues.
import { z } from "zod";
import type { FieldIssue } from "../../domain/errors";

/** Hosts Slack hands out response_urls on; anything else would make sysop POST elsewhere. */
export const SLACK_RESPONSE_URL_HOSTS: readonly string[] = ["hooks.slack.com"];

export function isSlackResponseUrl(candidate: string): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  return url.protocol === "https:" && url.port === "" && SLACK_RESPONSE_URL_HOSTS.includes(url.hostname);
}

const Id = z.string().min(1).max(255);
const ResponseUrl = z.string().max(2000).refine(isSlackResponseUrl, "an https://hooks.slack.com/ URL");

// ---- Slash command ---------------------------------------------------------------------

export interface SlackSlashCommand {
  team_id: string;
  channel_id: string;
  user_id: string;
  /** The command as typed, e.g. "/sysop". */
  command: string;
  /** What followed the command, Slack-escaped (commands.ts decodes it). */
  text: string;
  response_url: string;
  trigger_id: string;
  api_app_id: string | null;
  /** Deprecated by Slack in favour of signatures: never trust it, never log it. */
  token: string | null;
  /** Deprecated by Slack: display only. */
  team_domain: string | null;
  channel_name: string | null;
  user_name: string | null;
  enterprise_id: string | null;
  enterprise_name: string | null;
  is_enterprise_install: boolean;
}

const Optional = z
  .string()
  .max(255)
  .nullish()
  .transform((v) => v ?? null);

const SlashCommandSchema = z.object({
  team_id: Id,
  channel_id: Id,
  user_id: Id,
  command: z.string().regex(/^\/[^\s/]{1,31}$/, "a slash command such as /sysop"),
  text: z.string().max(4000).default(""),
  response_url: ResponseUrl,
  trigger_id: Id,
  api_app_id: Optional,
  token: Optional,
  team_domain: Optional,
  channel_name: Optional,
  user_name: Optional,
  enterprise_id: Optional,
  enterprise_name: Optional,
  is_enterprise_install: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
}) satisfies z.ZodType<SlackSlashCommand, unknown>;

export type SlashCommandParseResult =
  | { ok: true; command: SlackSlashCommand }
  | { ok: false; reason: "invalid_form"; issues: FieldIssue[] };

export function parseSlashCommandForm(body: string): SlashCommandParseResult {
  const form = new URLSearchParams(body);
  const fields: Record<string, string> = {};
  for (const key of Object.keys(SlashCommandSchema.shape)) {
    const value = form.get(key);
    if (value !== null) fields[key] = value;
  }
  const parsed = SlashCommandSchema.safeParse(fields);
  return parsed.success
    ? { ok: true, command: parsed.data }
    : { ok: false, reason: "invalid_form", issues: issuesOf(parsed.error, "body") };
}

// ---- Interaction (block_actions) -------------------------------------------------------

export interface SlackBlockAction {
  /** "button" for sysop's own messages; other element types are passed through. */
  type: string;
  action_id: string;
  block_id: string;
  /** A button's value; sysop puts the approval id here. */
  value?: string;
  action_ts?: string;
}

export interface SlackBlockActionsPayload {
  type: "block_actions";
  user: { id: string; username?: string; name?: string; team_id?: string };
  team: { id: string; domain?: string } | null;
  api_app_id: string;
  trigger_id: string;
  /** Present for clicks in messages; absent for clicks in modals and the Home tab. */
  response_url?: string;
  container: { type: string; message_ts?: string; channel_id?: string; is_ephemeral?: boolean };
  channel?: { id: string; name?: string };
  /** The message the button was in (its ts, text and blocks), when it was in one. */
  message?: { ts: string; text?: string; blocks?: unknown[] };
  actions: SlackBlockAction[];
}

const BlockActionsSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: Id, username: z.string().optional(), name: z.string().optional(), team_id: z.string().optional() }),
  team: z.object({ id: Id, domain: z.string().optional() }).nullable(),
  api_app_id: Id,
  trigger_id: Id,
  response_url: ResponseUrl.optional(),
  container: z.object({
    type: z.string(),
    message_ts: z.string().optional(),
    channel_id: z.string().optional(),
    is_ephemeral: z.boolean().optional(),
  }),
  channel: z.object({ id: Id, name: z.string().optional() }).optional(),
  message: z.object({ ts: z.string(), text: z.string().optional(), blocks: z.array(z.unknown()).optional() }).optional(),
  actions: z
    .array(
      z.object({
        type: z.string(),
        action_id: Id,
        block_id: Id,
        value: z.string().max(2000).optional(),
        action_ts: z.string().optional(),
      }),
    )
    .min(1)
    .max(25),
}) satisfies z.ZodType<SlackBlockActionsPayload, unknown>;

export type InteractionParseResult =
  | { ok: true; payload: SlackBlockActionsPayload }
  | { ok: false; reason: "missing_payload" }
  | { ok: false; reason: "malformed_json" }
  /** A well-formed interaction sysop does not handle (view_submission, shortcut, …). */
  | { ok: false; reason: "unsupported_type"; type: string }
  | { ok: false; reason: "invalid_payload"; issues: FieldIssue[] };

export function parseInteractionForm(body: string): InteractionParseResult {
  const raw = new URLSearchParams(body).get("payload");
  if (raw === null || raw === "") return { ok: false, reason: "missing_payload" };

  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "malformed_json" };
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) return { ok: false, reason: "malformed_json" };

  const type = (json as { type?: unknown }).type;
  if (typeof type === "string" && type !== "block_actions") return { ok: false, reason: "unsupported_type", type };

  const parsed = BlockActionsSchema.safeParse(json);
  return parsed.success
    ? { ok: true, payload: parsed.data }
    : { ok: false, reason: "invalid_payload", issues: issuesOf(parsed.error, "payload") };
}

function issuesOf(error: z.ZodError, root: string): FieldIssue[] {
  return error.issues.map((i) => ({ path: [root, ...i.path.map(String)].join("."), message: i.message, code: i.code }));
}
