// Safe pieces of Slack mrkdwn for messages.ts. Slack treats &, < and > as control characters
// ("Formatting text for app surfaces": escape them as &amp; &lt; &gt;, and nothing else), so
// every string a user or agent wrote passes through escapeMrkdwn before it is shown: that is
// what stops a name or reason from becoming a link, a mention or an @channel.

export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One line: newlines and runs of spacing become one space, so a value cannot fake a new field. */
export function singleLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

const ELLIPSIS = "…";

/** At most `max` UTF-16 units, ending in "…" when cut, never splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, Math.max(0, max - ELLIPSIS.length));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + ELLIPSIS;
}

/** truncate() for text that is already escaped: never leaves half an entity ("&am…"). */
export function truncateEscaped(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = truncate(s, max).slice(0, -ELLIPSIS.length);
  const amp = cut.lastIndexOf("&");
  if (amp !== -1 && amp >= cut.length - 5 && !cut.slice(amp).includes(";")) cut = cut.slice(0, amp);
  return cut + ELLIPSIS;
}

/**
 * User text, escaped and then capped, so the cap bounds what Slack receives (escaping can
 * make a string up to five times longer). Single-line unless `multiline` is set.
 */
export function userText(s: string, max: number, opts: { multiline?: boolean } = {}): string {
  const text = opts.multiline ? s.trim() : singleLine(s);
  return truncateEscaped(escapeMrkdwn(text), max);
}

/** A block quote of user text: visibly someone's words, so it cannot pass as sysop's own lines. */
export function quote(s: string, max: number): string {
  const lines = escapeMrkdwn(s.trim()).split(/\r?\n/);
  return truncateEscaped(lines.map((line) => `>${line}`).join("\n"), max);
}

const FENCE = "```";

/**
 * A code block shown exactly as written (commands an approver must read verbatim), `max`
 * characters at most with its fences. A run of three backticks would end the block early,
 * so a zero-width space goes between them; the fences sit on their own lines so a leading
 * or trailing backtick cannot merge with them.
 */
export function codeBlock(s: string, max: number): string {
  const body = escapeMrkdwn(s.trim()).replace(/`(?=``)/g, "`\u200b");
  return `${FENCE}\n${truncateEscaped(body, max - 2 * (FENCE.length + 1))}\n${FENCE}`;
}

/** `<url|label>` for an http(s) URL; null for anything else, which is then shown as text. */
export function link(url: string, label: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  // "|" ends the URL part of a link and ">" the link itself, so neither may stay literal.
  const href = escapeMrkdwn(parsed.href.replace(/\|/g, "%7C"));
  return `<${href}|${escapeMrkdwn(singleLine(label).replace(/\|/g, "/"))}>`;
}

/**
 * A time each reader sees in their own time zone (Slack's `<!date^…>` syntax), falling back
 * to the ISO string where the client cannot render it. An unreadable input is shown as text.
 */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(singleLine(iso));
  const fallback = new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}
