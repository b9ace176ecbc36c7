// `npm test`: install if needed, type-check, then every test (unit in Node, integration
// inside workerd). Extra arguments go to vitest.
import { bin, ensureInstalled, run } from "./env.mjs";

ensureInstalled();
run(bin("tsc"), ["--noEmit", "-p", "."]);
run(bin("tsc"), ["--noEmit", "-p", "tsconfig.node.json"]);
run(bin("tsc"), ["-p", "sandbox-bridge"]); // the runner: plain JS with JSDoc types, checked
run(bin("vitest"), ["run", ...process.argv.slice(2)]);
