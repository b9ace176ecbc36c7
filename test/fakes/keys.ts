// The provider keys the fake LLM accepts (tests register them as an org's keys).
export const FAKE_ANTHROPIC_KEY = "sk-ant-fake-0000000000000000";
export const FAKE_OPENAI_KEY = "sk-openai-fake-000000000000000";
