// Types of stack.mjs for the TypeScript tests (TypeScript reads this file for `./stack.mjs`;
// the JSDoc in stack.mjs says the same for plain-JavaScript readers such as bench/).
import type { ChildProcess } from "node:child_process";
import type { Miniflare } from "miniflare";

export declare const SCRIPTED_AGENT: string;
export declare const FIXTURE_TEST_COMMAND: string[];

export interface StackOptions {
  leaseSeconds?: number;
  slack?: boolean;
  sink?: boolean;
  bundler?: "esbuild" | "wrangler";
  vars?: Record<string, string>;
  keepTmp?: boolean;
}
export interface ApiOptions {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
  expect?: number;
}
export interface ApiResult {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}
export interface Org {
  orgId: string;
  ownerId: string;
  ownerEmail: string;
  teamId: string;
  key: string;
}
export interface RunnerOptions {
  poolId: string;
  token?: string;
  key?: string;
  name?: string;
  repos?: Record<string, string>;
  agentCommand?: string[] | null;
  env?: Record<string, string>;
  sandbox?: "none" | "bwrap" | "auto";
  url?: string;
  beforeStart?: (runnerId: string) => Promise<void>;
}
export type LogLine = Record<string, any>;
export interface Runner {
  id: string;
  name: string;
  configDir: string;
  proc: ChildProcess;
  pid: number;
  logs: LogLine[];
  exited: Promise<{ code: number | null; signal: string | null }>;
  exitStatus(): { code: number | null; signal: string | null } | null;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  kill(signal?: NodeJS.Signals): void;
  stop(): Promise<void>;
}
export interface Proxy {
  url: string;
  rewritten: number;
  errors: string[];
  close(): Promise<void>;
}
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  at: number;
}
export interface Stack {
  url: string;
  tmp: string;
  timings: { bundleMs: number; startMs: number };
  mf: Miniflare;
  db: Awaited<ReturnType<Miniflare["getD1Database"]>>;
  api(method: string, path: string, opts?: ApiOptions): Promise<ApiResult>;
  signup(label?: string): Promise<Org>;
  fixtureRepo(): { path: string; ref: string; head: string };
  startRunner(opts: RunnerOptions): Promise<Runner>;
  startProxy(opts: { wants(method: string, path: string, status: number): boolean; rewrite(body: Buffer): Buffer }): Promise<Proxy>;
  slackPost(path: string, formBody: string): Promise<ApiResult>;
  fakeSlack: { url: string; addUser(u: { userId: string; token: string; email: string }): Promise<void>; received(): Promise<any[]> } | null;
  sink: { url: string; received(): Promise<Received[]> } | null;
  workerLog(): string;
  stop(): Promise<void>;
}

export declare function startStack(opts?: StackOptions): Promise<Stack>;
export declare function waitFor<T>(check: () => T | Promise<T>, opts?: { timeoutMs?: number; intervalMs?: number; what?: string }): Promise<Truthy<T>>;
/** What a truthy check returns. */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | "">;
export declare function isAlive(pid: number): boolean;
