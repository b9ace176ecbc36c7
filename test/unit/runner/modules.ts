// The runner ships as plain JavaScript (sandbox-bridge/src/*.mjs, checked by its own tsconfig),
// which this project's TypeScript does not read types from, so the tests import its modules by
// URL and type what they use here: the same pattern as the Claude Code hook's tests.
type Json = Record<string, any>;
type Stream = "stdout" | "stderr";

const SRC = new URL("../../../sandbox-bridge/src/", import.meta.url);
const load = <T>(name: string): Promise<T> => import(new URL(name, SRC).href);

export interface ConstraintsModule {
  COMMAND_NOT_ALLOWED: string;
  normaliseCommand(command: string): string;
  commandAllowed(argv: string[], patterns: string[]): boolean;
  agentArgv(command: string[], goal: string): string[];
  checkStep(step: Json, job: Json, agentCommand: string[] | null): { ok: true; argv: string[] } | { ok: false; reason: string };
  firstRefusedStep(job: Json, agentCommand: string[] | null): { step: Json; reason: string } | null;
  pathsOutside(changed: string[], globs: string[]): string[];
}
export interface RedactModule {
  REDACTED: string;
  createRedactor(secretValues: string[], opts?: { shapes?: boolean }): (text: string) => string;
  createLineRedactor(redact: (text: string) => string): (line: string) => string;
}
export interface ConfigModule {
  validateConfig(raw: unknown): { ok: true; config: Json } | { ok: false; errors: string[] };
  defaultConfig(enrolled: Json, local: Json): Json;
  resolvePaths(config: Json, configDir: string): Json;
  weakSecrets(config: Json, env: Record<string, string | undefined>): string[];
}
export type StepResult = { exitCode: number | null; signal: string | null; durationMs: number; timedOut: boolean; aborted: boolean; truncated: boolean; spawnError?: string };
export interface StepsModule {
  stepEnv(from: Record<string, string | undefined>, p: Json): Record<string, string>;
  runStep(run: {
    argv: string[]; cwd: string; env: Record<string, string>; timeoutMs: number; maxOutputBytes: number;
    signal: AbortSignal; onLine: (stream: Stream, line: string) => void; killGraceMs?: number;
  }): Promise<StepResult>;
}
export interface OutputModule {
  createOutputCapture(maxBytes: number, onLine: (stream: Stream, line: string) => void): { push(stream: Stream, chunk: Buffer): void; end(): void; truncated: boolean };
  splitUtf8(line: string, maxBytes: number): string[];
}
export interface ResultsModule {
  parseTestsLine(line: string): Json | null;
  parseTestReport(text: string): Json | null;
  parseUsage(text: string): Json | null;
  parseNumstat(text: string): { files: string[]; stats: Json };
  readSideFile(dir: string, name: string): Promise<Buffer | null>;
}
export interface SandboxModule {
  findOnPath(name: string, PATH: string | undefined): string | null;
  chooseSandbox(setting: string, bwrapPath: string | null): { ok: true; sandbox: Json; warning?: string } | { ok: false; reason: string };
  sandboxArgv(sandbox: Json, argv: string[], opts: { workdir: string; network: string; hide: string[] }): string[];
}
export interface JobModule {
  peekJob(token: string): { jobId: string; taskId: string | null; attempt: number | null } | null;
  parseJobClaims(claims: Json): { ok: true; job: Json } | { ok: false; reason: string };
  createJobVerifier(opts: { fetchJwks: () => Promise<Json>; issuer: string; poolId: string; now?: () => number }): {
    verify(token: string): Promise<{ ok: true; job: Json } | { ok: false; reason: string; retriable: boolean }>;
  };
}
export interface EventsModule {
  createEventBatcher(opts: { send: (events: Json[]) => Promise<void>; onError?: (err: unknown) => void; intervalMs?: number }): { push(e: Json): void; flush(): Promise<void> };
}
export interface OutcomeModule {
  MAX_REASON_CHARS: number;
  outcomeClaims(facts: Json): Json;
  outsidePathsReason(paths: string[]): string;
}
export interface RunJobModule {
  stepFailure(name: string, r: StepResult, limit: { byDeadline: boolean; stepTimeoutSeconds: number }): string | null;
}
export interface AuthModule {
  generateRunnerKey(): Promise<{ privateJwk: Json; publicJwk: Json }>;
  writeKeyFile(file: string, jwk: Json): Promise<void>;
  loadRunnerKey(file: string): Promise<CryptoKey>;
  createTokenSource(p: { runnerId: string; audience: string; key: CryptoKey; now?: () => number }): () => Promise<string>;
}
export interface ClientModule {
  createClient(opts: { baseUrl: string; token?: () => Promise<string>; fetch?: typeof fetch }): {
    lease(waitSeconds: number, signal?: AbortSignal): Promise<Json | null>;
    heartbeat(jobId: string, leaseId: string): Promise<Json>;
    enroll(body: Json): Promise<Json>;
  };
}

export const constraints = await load<ConstraintsModule>("constraints.mjs");
export const redact = await load<RedactModule>("redact.mjs");
export const config = await load<ConfigModule>("config.mjs");
export const steps = await load<StepsModule>("steps.mjs");
export const output = await load<OutputModule>("output.mjs");
export const results = await load<ResultsModule>("results.mjs");
export const sandbox = await load<SandboxModule>("sandbox.mjs");
export const job = await load<JobModule>("job.mjs");
export const events = await load<EventsModule>("events.mjs");
export const outcome = await load<OutcomeModule>("outcome.mjs");
export const runJob = await load<RunJobModule>("run-job.mjs");
export const auth = await load<AuthModule>("auth.mjs");
export const client = await load<ClientModule>("client.mjs");
