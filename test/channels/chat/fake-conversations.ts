import { randomBytes } from 'node:crypto';
import type { TranscriptEntry, TurnInput } from '../../../src/agent/index.js';
import {
  ConversationEndedError,
  type ConversationId,
  type ConversationRef,
  type Conversations,
  type OpenConversationInput,
  type TurnResult,
} from '../../../src/conversations/index.js';
import type { CallSid } from '../../../src/ids.js';

/**
 * Conversations in memory with a scripted brain: greets, echoes each message in two replies
 * ("You said: X", "Anything else?"), and ends on "bye". Turns of one conversation run one at a
 * time, as the contract promises. `slow` delays each turn so ordering is exercised.
 */
export class FakeConversations implements Conversations {
  readonly refs = new Map<ConversationId, ConversationRef>();
  readonly transcripts = new Map<ConversationId, TranscriptEntry[]>();
  readonly inputs: Array<{ id: ConversationId; input: TurnInput }> = [];
  private readonly queues = new Map<ConversationId, Promise<unknown>>();

  constructor(private readonly opts: { slowMs?: (text: string) => number } = {}) {}

  async open(input: OpenConversationInput): Promise<ConversationRef> {
    const existing = [...this.refs.values()].find(
      (r) =>
        r.businessId === input.businessId &&
        r.channel === input.channel &&
        r.partyKey === input.partyKey &&
        !r.endedAt,
    );
    if (existing) return { ...existing, created: false };
    const id = `conv_${randomBytes(8).toString('hex')}` as ConversationId;
    const ref: ConversationRef = {
      id,
      businessId: input.businessId,
      channel: input.channel,
      partyKey: input.partyKey,
      callSid: `CH${randomBytes(16).toString('hex')}` as CallSid,
      created: true,
      startedAt: new Date(),
      lastInboundAt: undefined,
      endedAt: undefined,
    };
    this.refs.set(id, ref);
    this.transcripts.set(id, []);
    return ref;
  }

  async get(id: ConversationId): Promise<ConversationRef | undefined> {
    return this.refs.get(id);
  }

  async history(id: ConversationId): Promise<TranscriptEntry[]> {
    return [...(this.transcripts.get(id) ?? [])];
  }

  take(id: ConversationId, input: TurnInput, _opts: { signal: AbortSignal }): Promise<TurnResult> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(() => this.turn(id, input));
    this.queues.set(
      id,
      next.catch(() => undefined),
    );
    return next;
  }

  private async turn(id: ConversationId, input: TurnInput): Promise<TurnResult> {
    const ref = this.refs.get(id);
    if (!ref) throw new Error('no such conversation');
    if (ref.endedAt) throw new ConversationEndedError(id);
    this.inputs.push({ id, input });
    const t = this.transcripts.get(id)!;
    let replies: string[];
    let ended: TurnResult['ended'];
    if (input.kind === 'call-started') {
      replies = ['Hello, Acme Plumbing here.'];
    } else if (input.kind === 'speech') {
      const wait = this.opts.slowMs?.(input.text) ?? 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      t.push({ speaker: 'caller', text: input.text });
      if (/\bbye\b/i.test(input.text)) {
        replies = ['Goodbye!'];
        ended = 'caller-goodbye';
      } else {
        replies = [`You said: ${input.text}`, 'Anything else?'];
      }
    } else {
      replies = [];
    }
    for (const r of replies) t.push({ speaker: 'agent', text: r });
    if (ended) this.refs.set(id, { ...ref, endedAt: new Date() });
    return {
      replies,
      outputs: replies.map((text) => ({ type: 'say' as const, text })),
      ...(ended ? { ended } : {}),
    };
  }

  async end(id: ConversationId, _reason: string): Promise<void> {
    const ref = this.refs.get(id);
    if (ref && !ref.endedAt) this.refs.set(id, { ...ref, endedAt: new Date() });
  }

  async lastInboundAt(): Promise<Date | undefined> {
    return undefined;
  }
}
