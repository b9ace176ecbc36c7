// End-to-end with the bubblewrap sandbox, where bwrap is installed (skipped elsewhere): the
// agent's edit in the workdir still becomes the diff, while a write outside the workdir, a
// read of the runner's key and (with network "none") a loopback connection all fail. The
// fixture lives in /var/tmp: inside the sandbox /tmp is a fresh, empty tmpfs.
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeControlPlane, type FakeControlPlane } from "./fake-control-plane";
import { enrollRunner, jobSpec, makeFixture, startOnce, type Fixture } from "./harness";
import { sandbox } from "./modules";

const HAS_BWRAP = sandbox.findOnPath("bwrap", process.env.PATH) !== null;
let cp: FakeControlPlane;
let fx: Fixture;

beforeEach(async () => {
  cp = await startFakeControlPlane();
  fx = makeFixture("/var/tmp");
});
afterEach(async () => {
  await cp.close();
  fx.cleanup();
});

describe.skipIf(!HAS_BWRAP)("sandbox: bwrap", () => {
  it("writable workdir only, the key hidden, no network when the job says none", async () => {
    const { config } = await enrollRunner(cp, fx, "bwrap");
    const keyFile = path.join(fx.configDir, config.private_key_file);
    const server = createServer((_q, s) => s.end("reached")).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as AddressInfo).port;
    const probe = [
      "const fs = require('fs');",
      `try { fs.writeFileSync(${JSON.stringify(fx.marker)}, 'escaped'); console.log('outside: written'); } catch (e) { console.log('outside: ' + e.code); }`,
      `try { console.log('key: ' + (fs.readFileSync(${JSON.stringify(keyFile)}, 'utf8').length > 0 ? 'read' : 'empty')); } catch (e) { console.log('key: ' + e.code); }`,
      `fetch('http://127.0.0.1:${port}').then(() => console.log('net: reached'), (e) => console.log('net: ' + (e.cause?.code ?? 'failed')));`,
    ].join(" ");
    const job = jobSpec({
      steps: [{ name: "agent", kind: "agent" }, { name: "probe", kind: "command", run: ["node", "-e", probe] }],
      constraints: { ...jobSpec().constraints, network: "none" },
    });
    cp.queueJob(job);
    const run = await startOnce(fx);
    server.close();
    expect(run.code, run.stderr).toBe(0);
    const claims = cp.outcomes.get(job.id)![0]!.claims;
    expect(claims, JSON.stringify(cp.eventsFor(job.id))).toMatchObject({ status: "succeeded", files_changed: ["src/invoice.js"] });
    const lines = cp.eventsFor(job.id).filter((e) => e.step === "probe" && e.type === "log").map((e) => e.line);
    expect(lines).toEqual(["outside: EROFS", "key: EACCES", "net: ECONNREFUSED"]);
    expect(existsSync(fx.marker)).toBe(false);
    expect(readFileSync(keyFile, "utf8")).toContain('"d"'); // untouched on the host
  }, 40_000);
});
