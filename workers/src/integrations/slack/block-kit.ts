// The slice of Slack's Block Kit that sysop's messages use, as types, with the size limits
// Slack enforces (Block Kit reference: blocks, elements, composition objects). Slack rejects a
// whole message that breaks one limit, so messages.ts truncates to these before sending.

export const SLACK_LIMITS = {
  /** Blocks in one message. */
  blocksPerMessage: 50,
  /** `text` of a section block. */
  sectionText: 3000,
  /** Each of a section's `fields`, and at most ten of them. */
  sectionFieldText: 2000,
  sectionFields: 10,
  /** `text` of a header block (plain_text). */
  headerText: 150,
  /** Elements in one context block. */
  contextElements: 10,
  /** Elements in one actions block. */
  actionsElements: 25,
  /** A button's label (plain_text). */
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  /** Confirmation dialog parts. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** The top-level `text`: the notification fallback, kept short like a section. */
  fallbackText: 3000,
} as const;

export interface PlainText {
  type: "plain_text";
  text: string;
  emoji?: boolean;
}

export interface Mrkdwn {
  type: "mrkdwn";
  text: string;
}

export interface ConfirmDialog {
  title: PlainText;
  text: PlainText | Mrkdwn;
  confirm: PlainText;
  deny: PlainText;
  style?: "primary" | "danger";
}

export interface ButtonElement {
  type: "button";
  action_id: string;
  text: PlainText;
  value?: string;
  url?: string;
  style?: "primary" | "danger";
  confirm?: ConfirmDialog;
}

export interface SectionBlock {
  type: "section";
  block_id?: string;
  text?: Mrkdwn | PlainText;
  fields?: (Mrkdwn | PlainText)[];
}

export interface ActionsBlock {
  type: "actions";
  block_id?: string;
  elements: ButtonElement[];
}

export interface ContextBlock {
  type: "context";
  block_id?: string;
  elements: (Mrkdwn | PlainText)[];
}

export interface HeaderBlock {
  type: "header";
  block_id?: string;
  text: PlainText;
}

export interface DividerBlock {
  type: "divider";
}

export type Block = SectionBlock | ActionsBlock | ContextBlock | HeaderBlock | DividerBlock;

/** A message for an incoming webhook or chat.postMessage: `text` is the notification fallback. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** The answer to a slash command, in the HTTP response or POSTed to its response_url. */
export interface SlashCommandResponse extends SlackMessage {
  response_type: "ephemeral" | "in_channel";
}

/** POSTed to a button's response_url to rewrite the message the button was in. */
export interface MessageReplacement extends SlackMessage {
  replace_original: true;
}
