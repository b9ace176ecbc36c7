// Starts the fake Slack, the fake LLM provider and the callback sink for the integration tests on the port vitest.config.ts chose, and
// stops it when the run ends.
import { startFakeSlack } from "./fake-slack";
import { startFakeLlm } from "./fake-llm";
import { startFakeSink } from "./fake-sink";

import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY } from "./keys";

export default async function setup() {
  const servers = [
    await startFakeSlack(Number(process.env.SYSOP_FAKE_SLACK_PORT)),
    await startFakeLlm(Number(process.env.SYSOP_FAKE_LLM_PORT), { anthropicKey: FAKE_ANTHROPIC_KEY, openaiKey: FAKE_OPENAI_KEY }),
    await startFakeSink(Number(process.env.SYSOP_FAKE_SINK_PORT)),
  ];
  return () => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
}
