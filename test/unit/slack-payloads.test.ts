// Unit tests for the forms Slack posts (workers/src/integrations/slack/payloads.ts): a slash
// command form and a block_actions interaction, shaped like the examples in Slack's docs.
import { describe, expect, it } from "vitest";
import {
  isSlackResponseUrl,
  parseInteractionForm,
  parseSlashCommandForm,
} from "../../workers/src/integrations/slack/payloads";

// The slash command body from Slack's "Verifying requests from Slack" walk-through.
const SLACK_DOC_COMMAND_BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

const commandForm = (over: Record<string, string | null> = {}) => {
  const fields: Record<string, string | null> = {
    token: "gIkuvaNzQIHg97ATvDxqgjtO",
    team_id: "T0001",
    team_domain: "example",
    enterprise_id: "E0001",
    enterprise_name: "Globular Construct Inc",
    channel_id: "C2147483705",
    channel_name: "test",
    user_id: "U2147483697",
    user_name: "Steve",
    command: "/sysop",
    text: "deny apr_abcdefghijklmnopqrst too risky &amp; untested",
    response_url: "https://hooks.slack.com/commands/1234/5678",
    trigger_id: "13345224609.738474920.8088930838d88f008e0",
    api_app_id: "A123456",
    ...over,
  };
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== null) form.set(k, v);
  return form.toString();
};

describe("parseSlashCommandForm", () => {
  it("reads Slack's documented example", () => {
    const got = parseSlashCommandForm(SLACK_DOC_COMMAND_BODY);
    expect(got).toEqual({
      ok: true,
      command: {
        token: "xyzz0WbapA4vBCDEFasx0q6G",
        team_id: "T1DC2JH3J",
        team_domain: "testteamnow",
        channel_id: "G8PSS9T3V",
        channel_name: "foobar",
        user_id: "U2CERLKJA",
        user_name: "roadrunner",
        command: "/webhook-collect",
        text: "",
        response_url: "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
        trigger_id: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
        api_app_id: null,
        enterprise_id: null,
        enterprise_name: null,
        is_enterprise_install: false,
      },
    });
  });

  it("reads every field of a full form, keeping the text as Slack sent it", () => {
    const got = parseSlashCommandForm(commandForm({ is_enterprise_install: "true" }));
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.command).toMatchObject({
      command: "/sysop",
      text: "deny apr_abcdefghijklmnopqrst too risky &amp; untested",
      api_app_id: "A123456",
      enterprise_id: "E0001",
      enterprise_name: "Globular Construct Inc",
      is_enterprise_install: true,
    });
  });

  it("drops fields it does not know", () => {
    const got = parseSlashCommandForm(commandForm() + "&is_admin=true&extra=1");
    expect(got.ok && Object.keys(got.command)).not.toContain("is_admin");
  });

  it("treats a missing text as empty", () => {
    const got = parseSlashCommandForm(commandForm({ text: null }));
    expect(got.ok && got.command.text).toBe("");
  });

  it.each([
    ["team_id", { team_id: null }],
    ["user_id", { user_id: "" }],
    ["channel_id", { channel_id: null }],
    ["command", { command: null }],
    ["command", { command: "sysop" }],
    ["command", { command: "/sy sop" }],
    ["response_url", { response_url: null }],
    ["response_url", { response_url: "http://hooks.slack.com/commands/1/2" }],
    ["response_url", { response_url: "https://hooks.slack.com.evil.example/commands/1/2" }],
    ["response_url", { response_url: "https://169.254.169.254/latest/meta-data" }],
    ["trigger_id", { trigger_id: null }],
    ["is_enterprise_install", { is_enterprise_install: "yes" }],
  ])("names %s when it is missing or wrong", (field, over) => {
    const got = parseSlashCommandForm(commandForm(over));
    expect(got.ok).toBe(false);
    if (got.ok) return;
    expect(got.reason).toBe("invalid_form");
    expect(got.issues.map((i) => i.path)).toContain(`body.${field}`);
  });

  it("refuses an empty body", () => {
    const got = parseSlashCommandForm("");
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.issues.length).toBeGreaterThanOrEqual(5);
  });
});

// A button click in a sysop approval message, shaped like Slack's block_actions example.
const blockActions = () => ({
  type: "block_actions",
  user: { id: "U0CA5", username: "amy.mcgee", name: "amy.mcgee", team_id: "T3MDE" },
  api_app_id: "A0CA5",
  token: "Shh_its_a_seekrit",
  container: { type: "message", message_ts: "1548261231.000200", channel_id: "C0CA5", is_ephemeral: false },
  trigger_id: "12466734323.1395872398.d8c1bb837935619ccad0f624c448ffb3",
  team: { id: "T3MDE", domain: "example-workspace" },
  enterprise: null,
  is_enterprise_install: false,
  channel: { id: "C0CA5", name: "approvals" },
  message: {
    bot_id: "BAH5CA16Z",
    type: "message",
    text: "Approval needed: deploy on acme/api",
    user: "UAJ2RU415",
    ts: "1548261231.000200",
    team: "T3MDE",
    blocks: [{ type: "section", block_id: "x", text: { type: "mrkdwn", text: "…" } }],
  },
  state: { values: {} },
  response_url: "https://hooks.slack.com/actions/T3MDE/1234567890123/D09sSasdasdAS9091209",
  actions: [
    {
      action_id: "sysop_approve",
      block_id: "sysop_approval:apr_abcdefghijklmnopqrst",
      text: { type: "plain_text", text: "Approve", emoji: true },
      value: "apr_abcdefghijklmnopqrst",
      style: "primary",
      type: "button",
      action_ts: "1548426417.840180",
    },
  ],
});

const interactionBody = (payload: unknown) =>
  new URLSearchParams({ payload: typeof payload === "string" ? payload : JSON.stringify(payload) }).toString();

describe("parseInteractionForm", () => {
  it("reads a block_actions button click", () => {
    const got = parseInteractionForm(interactionBody(blockActions()));
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    const p = got.payload;
    expect(p.type).toBe("block_actions");
    expect(p.user).toEqual({ id: "U0CA5", username: "amy.mcgee", name: "amy.mcgee", team_id: "T3MDE" });
    expect(p.team).toEqual({ id: "T3MDE", domain: "example-workspace" });
    expect(p.actions).toEqual([
      {
        action_id: "sysop_approve",
        block_id: "sysop_approval:apr_abcdefghijklmnopqrst",
        value: "apr_abcdefghijklmnopqrst",
        type: "button",
        action_ts: "1548426417.840180",
      },
    ]);
    expect(p.response_url).toBe("https://hooks.slack.com/actions/T3MDE/1234567890123/D09sSasdasdAS9091209");
    expect(p.container).toEqual({ type: "message", message_ts: "1548261231.000200", channel_id: "C0CA5", is_ephemeral: false });
    expect(p.message?.ts).toBe("1548261231.000200");
    expect(p.channel).toEqual({ id: "C0CA5", name: "approvals" });
    expect(p).not.toHaveProperty("token"); // deprecated, and a secret: not carried along
  });

  it("accepts a click from a modal (no response_url, no message) and a null team", () => {
    const { response_url: _r, message: _m, channel: _c, ...rest } = blockActions();
    const got = parseInteractionForm(interactionBody({ ...rest, team: null, container: { type: "view", view_id: "V1" } }));
    expect(got.ok).toBe(true);
    if (got.ok) {
      expect(got.payload.response_url).toBeUndefined();
      expect(got.payload.team).toBeNull();
    }
  });

  it("reports a form without a payload field", () => {
    expect(parseInteractionForm("")).toEqual({ ok: false, reason: "missing_payload" });
    expect(parseInteractionForm("payload=")).toEqual({ ok: false, reason: "missing_payload" });
    expect(parseInteractionForm("command=%2Fsysop&text=help")).toEqual({ ok: false, reason: "missing_payload" });
  });

  it("reports a payload that is not a JSON object", () => {
    for (const raw of ["{", "not json", "[]", "null", "42", '"block_actions"']) {
      expect(parseInteractionForm(interactionBody(raw)), raw).toEqual({ ok: false, reason: "malformed_json" });
    }
  });

  it("reports other interaction types as unsupported, by name", () => {
    for (const type of ["view_submission", "shortcut", "message_action", "interactive_message"]) {
      expect(parseInteractionForm(interactionBody({ ...blockActions(), type }))).toEqual({ ok: false, reason: "unsupported_type", type });
    }
  });

  const broken: Array<[string, (p: ReturnType<typeof blockActions>) => unknown, string]> = [
    ["no actions", (p) => ({ ...p, actions: [] }), "payload.actions"],
    ["an action without action_id", (p) => ({ ...p, actions: [{ ...p.actions[0], action_id: undefined }] }), "payload.actions.0.action_id"],
    ["a numeric value", (p) => ({ ...p, actions: [{ ...p.actions[0], value: 42 }] }), "payload.actions.0.value"],
    ["no user", (p) => ({ ...p, user: undefined }), "payload.user"],
    ["a user without id", (p) => ({ ...p, user: { username: "amy" } }), "payload.user.id"],
    ["no type at all", (p) => ({ ...p, type: undefined }), "payload.type"],
    ["a response_url off Slack", (p) => ({ ...p, response_url: "https://attacker.example/hook" }), "payload.response_url"],
    ["no container", (p) => ({ ...p, container: undefined }), "payload.container"],
  ];
  it.each(broken)("reports %s with the field's path", (_name, mutate, path) => {
    const got = parseInteractionForm(interactionBody(mutate(blockActions())));
    expect(got.ok).toBe(false);
    if (got.ok || got.reason !== "invalid_payload") throw new Error(`expected invalid_payload, got ${JSON.stringify(got)}`);
    expect(got.issues.map((i) => i.path)).toContain(path);
  });
});

describe("isSlackResponseUrl", () => {
  it.each([
    ["https://hooks.slack.com/commands/T1/2/abc", true],
    ["https://hooks.slack.com/actions/T1/2/abc", true],
    ["http://hooks.slack.com/actions/T1/2/abc", false],
    ["https://hooks.slack.com:8443/actions/T1/2/abc", false],
    ["https://evil.example/?u=https://hooks.slack.com/", false],
    ["https://hooks.slack.com@evil.example/", false],
    ["https://slack.com/api/chat.postMessage", false],
    ["not a url", false],
  ])("%s → %s", (url, ok) => {
    expect(isSlackResponseUrl(url)).toBe(ok);
  });
});
