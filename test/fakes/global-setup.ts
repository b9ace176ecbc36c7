// Starts the fake Slack for the integration tests on the port vitest.config.ts chose, and
// stops it when the run ends.
import { startFakeSlack } from "./fake-slack";

export default async function setup() {
  const server = await startFakeSlack(Number(process.env.SYSOP_FAKE_SLACK_PORT));
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
