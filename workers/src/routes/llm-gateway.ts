// The LLM gateway's two doors: Anthropic's Messages API and OpenAI's Chat Completions, at
// the paths their SDKs use under a base URL, so pointing ANTHROPIC_BASE_URL at
// <sysop>/v1/llm/anthropic (or OPENAI_BASE_URL at <sysop>/v1/llm/openai/v1) is all a team
// changes. Bodies are the providers' own, forwarded as they are; see gateway/proxy.ts.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { proxy } from "../gateway/proxy";
import { ANTHROPIC, OPENAI } from "../gateway/providers";
import { defineRoute } from "./common";

const providerBody = (name: string) => ({
  required: true,
  content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi({ description: `${name}'s own request body (passed through; model required)` }) } },
});
const passthrough = { 200: { description: "The provider's response (JSON, or an SSE stream when stream is true)" }, 402: { description: "Budget refused before any upstream call" } };

const anthropicRoute = defineRoute({
  method: "post",
  path: "/llm/anthropic/v1/messages",
  tags: ["gateway"],
  summary: "Anthropic Messages API through sysop (auth with your sysop key as x-api-key or Bearer)",
  access: "budgets:use",
  request: { body: providerBody("Anthropic") },
  responses: passthrough,
});

const openaiRoute = defineRoute({
  method: "post",
  path: "/llm/openai/v1/chat/completions",
  tags: ["gateway"],
  summary: "OpenAI Chat Completions through sysop (auth with your sysop key as Bearer)",
  access: "budgets:use",
  request: { body: providerBody("OpenAI") },
  responses: passthrough,
});

export const llmGatewayRoutes = newRouter()
  .openapi(anthropicRoute, (c) => proxy(c, ANTHROPIC) as never)
  .openapi(openaiRoute, (c) => proxy(c, OPENAI) as never);
