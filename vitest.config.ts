// Two test projects: `unit` runs the pure domain in plain Node; `integration` runs the
// Worker inside workerd with real Durable Objects, D1 (migrated in test/integration/setup.ts)
// and R2, through @cloudflare/vitest-pool-workers.
import path from "node:path";
import { defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";

const root = import.meta.dirname;

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, "d1-migrations"));
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
              miniflare: { bindings: { TEST_MIGRATIONS: migrations } },
            }),
          ],
          test: {
            name: "integration",
            include: ["test/integration/**/*.test.ts"],
            setupFiles: ["test/integration/setup.ts"],
            testTimeout: 30_000,
          },
        },
      ],
    },
  };
});
