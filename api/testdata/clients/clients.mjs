// Runs the official openai SDK and the ollama client library against a
// Kiln server. KILN_URL is the server, KILN_MODEL its model's name, and
// KILN_EXPECT a JSON object with the greedy texts the model itself gives
// for the prompts below (so each check asserts on content). Prints one
// "ok" line per check and exits non-zero on the first failure.
import assert from "node:assert/strict";
import OpenAI, { NotFoundError } from "openai";
import { Ollama } from "ollama";

const base = process.env.KILN_URL;
const model = process.env.KILN_MODEL;
const expect = JSON.parse(process.env.KILN_EXPECT);
const openai = new OpenAI({ baseURL: base + "/v1", apiKey: "kiln-test-key", maxRetries: 0 });
const ollama = new Ollama({ host: base, headers: { Authorization: "Bearer kiln-test-key" } });
const prompt = "Prince Andrew";
const greedy = { temperature: 0, max_tokens: 10 };

const checks = [];
const check = (name, fn) => checks.push([name, fn]);

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

check("openai: models.list", async () => {
  const list = await openai.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [model]);
  const one = await openai.models.retrieve(model);
  assert.equal(one.id, model);
});

check("openai: chat.completions.create", async () => {
  const r = await openai.chat.completions.create({ model, messages: [{ role: "user", content: prompt }], ...greedy });
  assert.equal(r.choices[0].message.content, expect.text10);
  assert.equal(r.choices[0].finish_reason, "length");
  assert.equal(r.usage.completion_tokens, 10);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 10);
});

check("openai: chat.completions.create stream", async () => {
  const stream = await openai.chat.completions.create({
    model, messages: [{ role: "user", content: [{ type: "text", text: prompt }] }], ...greedy,
    stream: true, stream_options: { include_usage: true },
  });
  let text = "", finish = null, usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? "";
      finish = c.finish_reason ?? finish;
    }
  }
  assert.equal(text, expect.text10);
  assert.equal(finish, "length");
  assert.equal(usage.completion_tokens, 10);
});

check("openai: stop strings are not emitted", async () => {
  const r = await openai.chat.completions.create({ model, messages: [{ role: "user", content: prompt }], ...greedy, stop: [expect.stop] });
  assert.equal(r.choices[0].message.content, expect.text10.slice(0, expect.text10.indexOf(expect.stop)));
  assert.equal(r.choices[0].finish_reason, "stop");
});

check("openai: completions.create", async () => {
  const r = await openai.completions.create({ model, prompt, ...greedy });
  assert.equal(r.choices[0].text, expect.text10);
  assert.equal(r.object, "text_completion");
});

check("openai: embeddings.create (base64 by default)", async () => {
  const r = await openai.embeddings.create({ model, input: ["Natasha", "Pierre"] });
  assert.equal(r.data.length, 2);
  assert.equal(r.data[0].embedding.length, expect.dim);
  assert.ok(Math.abs(norm(r.data[0].embedding) - 1) < 1e-4);
  assert.ok(r.usage.prompt_tokens > 0);
});

check("openai: unknown model is a NotFoundError", async () => {
  await assert.rejects(
    openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
    (e) => e instanceof NotFoundError && e.status === 404 && /not found/.test(e.message));
});

check("ollama: version", async () => {
  const r = await ollama.version();
  assert.match(r.version, /^\d+\.\d+/);
});

check("ollama: list (tags)", async () => {
  const r = await ollama.list();
  assert.equal(r.models.length, 1);
  assert.equal(r.models[0].name, model);
  assert.equal(r.models[0].details.family, "llama");
});

check("ollama: show", async () => {
  const r = await ollama.show({ model });
  assert.equal(r.template, "{{ .Prompt }}");
  assert.equal(r.details.quantization_level, "Q8_0");
  assert.equal(r.model_info["llama.context_length"], expect.ctx);
  assert.ok(r.capabilities.includes("completion"));
});

check("ollama: ps", async () => {
  const r = await ollama.ps();
  assert.equal(r.models[0].name, model);
  assert.equal(r.models[0].context_length, expect.ctx);
});

check("ollama: chat", async () => {
  const r = await ollama.chat({ model, messages: [{ role: "user", content: prompt }], options: { temperature: 0, num_predict: 10 } });
  assert.equal(r.message.content, expect.text10);
  assert.equal(r.done_reason, "length");
  assert.equal(r.eval_count, 10);
  assert.ok(r.eval_duration > 0 && r.prompt_eval_duration > 0 && r.total_duration > 0);
});

check("ollama: chat stream", async () => {
  const stream = await ollama.chat({ model, messages: [{ role: "user", content: prompt }], options: { temperature: 0, num_predict: 10 }, stream: true });
  let text = "", last = null;
  for await (const part of stream) {
    text += part.message.content;
    last = part;
  }
  assert.equal(text, expect.text10);
  assert.equal(last.done, true);
  assert.equal(last.eval_count, 10);
});

check("ollama: generate", async () => {
  const r = await ollama.generate({ model, prompt, options: { temperature: 0, num_predict: 10 } });
  assert.equal(r.response, expect.text10);
  assert.equal(r.prompt_eval_count, expect.promptTokens);
});

check("ollama: embed", async () => {
  const r = await ollama.embed({ model, input: ["Natasha", "Pierre"] });
  assert.equal(r.embeddings.length, 2);
  assert.equal(r.embeddings[0].length, expect.dim);
  assert.ok(Math.abs(norm(r.embeddings[0]) - 1) < 1e-4);
});

check("ollama: unknown model", async () => {
  await assert.rejects(ollama.generate({ model: "llama3", prompt: "x" }), (e) => e.status_code === 404 && /not found/.test(e.error));
});

for (const [name, fn] of checks) {
  try {
    await fn();
    console.log("ok -", name);
  } catch (e) {
    console.log("FAIL -", name);
    console.log(e);
    process.exit(1);
  }
}
console.log(`all ${checks.length} checks passed`);
