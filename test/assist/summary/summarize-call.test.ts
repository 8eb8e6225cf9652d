import { describe, expect, it } from 'vitest';
import { summarizeOffline } from '../../../src/assist/summary/offline-summary.js';
import { summarizeCall } from '../../../src/assist/summary/summarize-call.js';
import type { ChatDelta, ChatMessage, ChatModel } from '../../../src/providers/llm/index.js';
import { callDetail } from './call-detail.js';

/** A model that streams `answer` in small pieces; or hangs until aborted; or fails. */
function fakeModel(behaviour: { answer?: string; hang?: boolean; fail?: boolean }) {
  const seen: ChatMessage[][] = [];
  const model: ChatModel = {
    name: 'fake',
    async *stream(messages, _tools, signal): AsyncIterable<ChatDelta> {
      seen.push([...messages]);
      if (behaviour.fail) throw new Error('HTTP 500');
      if (behaviour.hang) {
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        return;
      }
      const answer = behaviour.answer ?? '';
      for (let i = 0; i < answer.length; i += 7) yield { type: 'text', text: answer.slice(i, i + 7) };
      yield { type: 'done', finishReason: 'stop', timing: { firstTokenMs: 1, totalMs: 2 } };
    },
  };
  return { model, seen };
}

const detail = callDetail({
  answeredBy: 'human',
  turns: [
    ['human_agent', 'Acme Plumbing, Dana speaking'],
    ['caller', 'this is the third time the boiler broke, I want a refund'],
  ],
  suggestions: [{ kind: 'intent', intent: 'complaint', content: 'Apologise and offer a callback.' }],
});
const signal = new AbortController().signal;

describe('summarizeCall', () => {
  it('with a model, stores what it answers as JSON, checked', async () => {
    const answer = {
      text: 'A customer called about a boiler that broke a third time and asked for a refund.',
      actionItems: ['Call the customer back about the refund'],
    };
    const { model, seen } = fakeModel({
      answer: `Here you go:\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\``,
    });
    const fallbacks: string[] = [];
    const s = await summarizeCall(detail, { chat: model, signal, onFallback: (r) => fallbacks.push(r) });
    expect(s).toEqual(answer);
    expect(fallbacks).toEqual([]);
    // The model saw the transcript with who said what, and the suggestions shown.
    const prompt = seen[0]!.map((m) => m.content).join('\n');
    expect(prompt).toContain('Caller: this is the third time the boiler broke');
    expect(prompt).toContain('Agent: Acme Plumbing, Dana speaking');
    expect(prompt).toContain('Apologise and offer a callback.');
  });

  it('garbage from the model falls back to the offline summary', async () => {
    const { model } = fakeModel({ answer: 'Sure! The caller was upset about a boiler.' });
    const fallbacks: string[] = [];
    const s = await summarizeCall(detail, { chat: model, signal, onFallback: (r) => fallbacks.push(r) });
    expect(s).toEqual(summarizeOffline(detail));
    expect(fallbacks).toEqual(['no JSON object in the answer']);
  });

  it('JSON of the wrong shape falls back to the offline summary', async () => {
    const { model } = fakeModel({ answer: JSON.stringify({ summary: 'x', actionItems: 'call back' }) });
    const s = await summarizeCall(detail, { chat: model, signal });
    expect(s).toEqual(summarizeOffline(detail));
  });

  it('a failing or silent model falls back to the offline summary', async () => {
    const failing = fakeModel({ fail: true });
    expect(await summarizeCall(detail, { chat: failing.model, signal })).toEqual(summarizeOffline(detail));
    const hanging = fakeModel({ hang: true });
    const fallbacks: string[] = [];
    const s = await summarizeCall(detail, {
      chat: hanging.model,
      signal,
      timeoutMs: 10,
      onFallback: (r) => fallbacks.push(r),
    });
    expect(s).toEqual(summarizeOffline(detail));
    expect(fallbacks).toEqual(['timed out']);
  });

  it('without a model, the offline summary', async () => {
    expect(await summarizeCall(detail, { signal })).toEqual(summarizeOffline(detail));
    expect(summarizeOffline(detail).actionItems).toEqual([
      'Follow up the complaint with the caller (+14155550100)',
    ]);
  });
});
