// `npm start`: install if needed, apply local D1 migrations, serve the Worker on
// http://127.0.0.1:8787 with local D1, Durable Objects and R2 (state in .wrangler/state).
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { bin, ensureInstalled, root, run, wranglerEnv } from "./env.mjs";

const HOST = "127.0.0.1";
const PORT = process.env.PORT ?? "8787";

ensureInstalled();

// Local secrets (never committed): the key that seals stored third-party secrets.
const devVars = path.join(root, ".dev.vars");
if (!existsSync(devVars)) {
  writeFileSync(devVars, `SECRETS_KEY=${randomBytes(32).toString("base64")}\n# SLACK_SIGNING_SECRETS=<your Slack app's signing secret>\n`, { mode: 0o600 });
  console.log("Wrote .dev.vars with a fresh SECRETS_KEY.");
}
run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], { env: { ...wranglerEnv, CI: "1" } });

const url = `http://${HOST}:${PORT}`;
console.log(`
sysop is starting on ${url}
Sign up (creates an org, its owner, a default team and the first API key):

  curl -s -X POST ${url}/v1/signup -H 'content-type: application/json' \\
    -d '{"org_name":"Acme","owner_email":"you@acme.example","owner_name":"You"}'

Then: curl -s ${url}/v1/teams -H "authorization: Bearer <api_key.key from the answer>"
API document: ${url}/openapi.json
`);

const dev = spawn(bin("wrangler"), ["dev", "--ip", HOST, "--port", PORT, "--log-level", "warn"], {
  cwd: root,
  env: wranglerEnv,
  stdio: "inherit",
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => dev.kill(sig));
dev.on("exit", (code) => process.exit(code ?? 0));
