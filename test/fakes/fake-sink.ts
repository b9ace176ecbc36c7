// A callback receiver for tests: records every POST (path, headers, raw body) and answers
// 200, or the status a path asks for (/status/503/… answers 503), so retries can be tested.
// GET /__sink/received lists what arrived.
import { createServer, type Server } from "node:http";

export interface SinkReceived {
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  at: number;
}

export function startFakeSink(port: number): Promise<Server> {
  const received: SinkReceived[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      if (req.method === "GET" && path === "/__sink/received") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(received));
      }
      const status = Number(/^\/status\/(\d{3})\//.exec(path)?.[1] ?? 200);
      const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string"));
      received.push({ path, headers, body: Buffer.concat(chunks).toString("utf8"), status, at: Date.now() });
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "no");
    });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}
