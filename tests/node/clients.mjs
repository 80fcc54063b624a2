// The Vercel AI SDK's default OpenAI model (`openai("...")`: the Responses API) against an
// OpenAI-compatible base URL. Run by tests/python/test_node_clients.py:
//   GEARBOX_BASE_URL=http://127.0.0.1:8080/v1 GEARBOX_KEY=... node clients.mjs CASE MODEL
// CASE is generate, stream, stream-traced, tools, stream-tools or conversation. Prints one JSON line with what the SDK
// returned; the assertions are the pytest test's. Exits 1 with the error's message and status on failure.
// stream-traced sends the W3C `traceparent` in GEARBOX_TRACEPARENT with the request (the SDK's per-call `headers`), as
// an app traced with OpenTelemetry does, and asks the gateway for its own (`x-gearbox-trace`); run by
// tests/python/test_tracing.py.
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";

const [kase, modelId] = process.argv.slice(2);
const openai = createOpenAI({ baseURL: process.env.GEARBOX_BASE_URL, apiKey: process.env.GEARBOX_KEY });
const model = openai(modelId);
const calls = [];
const weather = tool({
  description: "The current weather for a city.",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    calls.push(city);
    return { city, temp_c: 21, sky: "clear" };
  },
});

async function run() {
  if (kase === "generate") {
    const r = await generateText({ model, maxRetries: 0, system: "Answer in one sentence.", prompt: "Name a river in Europe" });
    return { text: r.text, usage: r.usage, finishReason: r.finishReason, responseId: r.response.id };
  }
  if (kase === "stream") {
    const r = streamText({ model, maxRetries: 0, prompt: "Name three rivers in Europe", onError: ({ error }) => { throw error; } });
    const deltas = [];
    for await (const d of r.textStream) deltas.push(d);
    return { deltas, text: await r.text, usage: await r.usage, finishReason: await r.finishReason, responseId: (await r.response).id };
  }
  if (kase === "stream-traced") {
    const headers = { traceparent: process.env.GEARBOX_TRACEPARENT, "x-gearbox-trace": "1" };
    const r = streamText({ model, maxRetries: 0, prompt: "Name three rivers in Europe", headers, onError: ({ error }) => { throw error; } });
    const deltas = [];
    for await (const d of r.textStream) deltas.push(d);
    const response = await r.response;
    return {
      deltas,
      text: await r.text,
      usage: await r.usage,
      finishReason: await r.finishReason,
      responseId: response.id,
      traceparent: response.headers?.traceparent ?? null,
    };
  }
  if (kase === "tools") {
    const r = await generateText({
      model,
      maxRetries: 0,
      prompt: "What is the weather in Paris?",
      tools: { get_weather: weather },
      stopWhen: stepCountIs(3),
    });
    return {
      text: r.text,
      calls,
      steps: r.steps.map((s) => ({ toolCalls: s.toolCalls.map((c) => c.toolName), finishReason: s.finishReason })),
      usage: r.totalUsage,
    };
  }
  if (kase === "stream-tools") {
    const r = streamText({
      model,
      maxRetries: 0,
      prompt: "What is the weather in Paris?",
      tools: { get_weather: weather },
      stopWhen: stepCountIs(3),
      onError: ({ error }) => { throw error; },
    });
    const parts = [];
    for await (const p of r.fullStream) parts.push(p.type);
    const steps = await r.steps;
    return {
      text: await r.text,
      calls,
      parts: [...new Set(parts)],
      steps: steps.map((s) => ({ toolCalls: s.toolCalls.map((c) => c.toolName), finishReason: s.finishReason })),
    };
  }
  if (kase === "conversation") {
    // A second turn built from the first one's response messages, as chat apps do: the SDK
    // refers to the stored assistant items by id (`item_reference`) instead of resending them.
    const messages = [{ role: "user", content: "Name a river in Europe" }];
    const first = await generateText({ model, maxRetries: 0, messages });
    messages.push(...first.response.messages, { role: "user", content: "And one in Asia?" });
    const second = await generateText({ model, maxRetries: 0, messages });
    return { first: first.text, text: second.text, responseId: second.response.id, turns: messages.length };
  }
  throw new Error(`unknown case ${kase}`);
}

try {
  console.log(JSON.stringify(await run()));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.message ?? e), status: e?.statusCode ?? null }));
  process.exit(1);
}
