// sysop's Slack integration, pure: request signatures, the forms Slack posts, /sysop command
// parsing and the Block Kit messages sysop sends. The routes do the I/O around these.
export * from "./signature";
export * from "./payloads";
export * from "./commands";
export * from "./messages";
export * from "./block-kit";
export * from "./views";
export { escapeMrkdwn } from "./mrkdwn";
