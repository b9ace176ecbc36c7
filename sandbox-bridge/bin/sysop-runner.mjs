#!/usr/bin/env node
// @ts-check
// The `sysop-runner` executable: wires the process (argv, stdio, signals, exit code) to
// src/cli.mjs, which does the rest.
import { main } from "../src/cli.mjs";

const code = await main(process.argv.slice(2), {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  env: process.env,
  onSignal: (handler) => {
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  },
});
// Exit now rather than wait for idle keep-alive sockets; stdio to pipes and files is synchronous here.
process.exit(code);
