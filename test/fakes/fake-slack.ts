// A local fake of the Slack endpoints sysop calls, speaking Slack's wire format:
// incoming webhooks and response_urls (POST JSON {text, blocks}, answer "ok"), and the Web
// API's users.info (Bearer bot token, answers {ok, user: {profile: {email}}}). It checks
// what it receives (JSON, text, blocks, the bot token) and records it for tests to read at
// GET /__fake/received. Tests register users with POST /__fake/users.
import { createServer, type IncomingMessage, type Server } from "node:http";

interface Received {
  kind: "webhook" | "response" | "users.info";
  path: string;
  body: unknown;
  problems: string[];
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (data += c));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });

/** What Slack would refuse in a message: not JSON, no text fallback, blocks malformed. */
function messageProblems(raw: string): { body: unknown; problems: string[] } {
  const problems: string[] = [];
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { body: raw, problems: ["invalid_payload: not JSON"] };
  }
  const m = body as { text?: unknown; blocks?: unknown };
  if (typeof m.text !== "string" || m.text.length === 0) problems.push("no_text");
  if (m.blocks !== undefined) {
    if (!Array.isArray(m.blocks)) problems.push("invalid_blocks: not an array");
    else {
      if (m.blocks.length > 50) problems.push("invalid_blocks: more than 50");
      for (const b of m.blocks as { type?: unknown; text?: { text?: string } }[]) {
        if (typeof b.type !== "string") problems.push("invalid_blocks: block without type");
        if (b.text?.text && b.text.text.length > 3000) problems.push("invalid_blocks: section text over 3000");
      }
    }
  }
  return { body, problems };
}

export function startFakeSlack(port: number): Promise<Server> {
  const received: Received[] = [];
  const users = new Map<string, { token: string; email: string }>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const raw = await read(req);
    const send = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (req.method === "POST" && url.pathname === "/__fake/users") {
      const u = JSON.parse(raw) as { user_id: string; token: string; email: string };
      users.set(u.user_id, { token: u.token, email: u.email });
      return send(200, { ok: true });
    }
    if (req.method === "GET" && url.pathname === "/__fake/received") return send(200, received);
    if (req.method === "GET" && url.pathname === "/api/users.info") {
      const user = users.get(url.searchParams.get("user") ?? "");
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      received.push({ kind: "users.info", path: url.pathname + url.search, body: null, problems: token ? [] : ["not_authed"] });
      if (!token) return send(200, { ok: false, error: "not_authed" });
      if (!user) return send(200, { ok: false, error: "user_not_found" });
      if (user.token !== token) return send(200, { ok: false, error: "invalid_auth" });
      return send(200, { ok: true, user: { id: url.searchParams.get("user"), profile: { email: user.email } } });
    }
    if (req.method === "POST" && (url.pathname.startsWith("/services/") || url.pathname.startsWith("/actions/"))) {
      const { body, problems } = messageProblems(raw);
      received.push({ kind: url.pathname.startsWith("/services/") ? "webhook" : "response", path: url.pathname, body, problems });
      return problems.length ? send(400, problems[0]!, "text/plain") : send(200, "ok", "text/plain");
    }
    send(404, { ok: false, error: "unknown_method" });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}
