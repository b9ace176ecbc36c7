// A loopback HTTP proxy that sits between a runner and the control plane and may rewrite a
// response on its way back: the e2e tests use it to tamper with the signed job in
// POST /v1/runner/lease answers. Requests stream through unchanged; a response is buffered
// only when `rewrite` wants it (wants(method, path, status)). Used through stack.startProxy().
import { createServer, request } from "node:http";

/**
 * @typedef {object} ProxyOptions
 * @property {string} target  the control plane's base URL (http://127.0.0.1:port)
 * @property {(method: string, path: string, status: number) => boolean} wants
 * @property {(body: Buffer) => Buffer} rewrite
 * @typedef {{url: string, rewritten: number, errors: string[], close(): Promise<void>}} Proxy
 */

/**
 * @param {ProxyOptions} opts
 * @returns {Promise<Proxy>}
 */
export function startProxy({ target, wants, rewrite }) {
  const upstream = new URL(target);
  const sockets = new Set();
  /** @type {Proxy} */
  const proxy = { url: "", rewritten: 0, errors: [], close };
  const server = createServer((req, res) => {
    const out = request(
      // No accept-encoding: bodies come back as plain bytes, so a rewrite can read them.
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host, "accept-encoding": "identity" } },
      (up) => {
        const status = up.statusCode ?? 502;
        if (!wants(req.method ?? "GET", req.url ?? "/", status)) {
          res.writeHead(status, up.headers);
          up.pipe(res);
          return;
        }
        const chunks = /** @type {Buffer[]} */ ([]);
        up.on("data", (c) => chunks.push(c));
        up.on("end", () => {
          let body;
          try {
            body = rewrite(Buffer.concat(chunks));
          } catch (err) {
            proxy.errors.push(String(err));
            res.writeHead(502, { "content-type": "text/plain" });
            return res.end("proxy rewrite failed");
          }
          proxy.rewritten++;
          const headers = { ...up.headers, "content-length": String(body.byteLength) };
          delete headers["transfer-encoding"];
          res.writeHead(status, headers);
          res.end(body);
        });
      },
    );
    out.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  function close() {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve(undefined)));
  }

  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const addr = /** @type {import("node:net").AddressInfo} */ (server.address());
      proxy.url = `http://127.0.0.1:${addr.port}`;
      resolve(proxy);
    }),
  );
}
