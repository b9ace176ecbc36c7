// Three test projects: `unit` runs the pure domain in plain Node; `integration` runs the
// Worker inside workerd with real Durable Objects, D1 (migrated in test/integration/setup.ts)
// and R2, through @cloudflare/vitest-pool-workers; `e2e` runs the bundled Worker on workerd
// through Miniflare with real sysop-runner processes (test/e2e/stack.mjs).
import path from "node:path";
import { createServer } from "node:net";
import { defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";

const root = import.meta.dirname;

/** A free loopback port for the fake Slack (test/fakes), started by the global setup. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

/** Test-only configuration: Slack points at the local fake; secrets are fixed test values. */
export const TEST_SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, "d1-migrations"));
  process.env.SYSOP_FAKE_SLACK_PORT ??= String(await freePort());
  process.env.SYSOP_FAKE_LLM_PORT ??= String(await freePort());
  process.env.SYSOP_FAKE_SINK_PORT ??= String(await freePort());
  const fakeSlack = `http://127.0.0.1:${process.env.SYSOP_FAKE_SLACK_PORT}`;
  const fakeLlm = `http://127.0.0.1:${process.env.SYSOP_FAKE_LLM_PORT}`;
  return {
    test: {
      projects: [
        {
          test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
        },
        {
          plugins: [
            cloudflareTest({
              main: path.join(root, "workers/src/index.ts"),
              wrangler: { configPath: path.join(root, "wrangler.toml") },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  SLACK_SIGNING_SECRETS: `old-rotated-secret-0000000000000,${TEST_SLACK_SIGNING_SECRET}`,
                  SLACK_API_BASE: `${fakeSlack}/api`,
                  SLACK_HOOKS_BASE: fakeSlack,
                  SECRETS_KEY: "c3lzb3AtdGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcyE=",
                  ANTHROPIC_BASE_URL: fakeLlm,
                  OPENAI_BASE_URL: fakeLlm,
                  // Test-only: where task callbacks are sent (test/fakes/fake-sink.ts).
                  TEST_SINK_URL: `http://127.0.0.1:${process.env.SYSOP_FAKE_SINK_PORT}`,
                },
              },
            }),
          ],
          test: {
            name: "integration",
            include: ["test/integration/**/*.test.ts"],
            setupFiles: ["test/integration/setup.ts"],
            globalSetup: ["test/fakes/global-setup.ts"],
            testTimeout: 30_000,
          },
        },
        {
          // test/e2e: the bundled Worker on workerd (Miniflare) with real runner processes;
          // one stack per file, files one at a time (2 cores, child processes).
          test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], environment: "node", testTimeout: 90_000, hookTimeout: 120_000, fileParallelism: false },
        },
      ],
    },
  };
});
