import type {
  Brain,
  BrainOutput,
  ConversationContext,
  TranscriptEntry,
  TurnInput,
} from '../../src/agent/brain.js';
import type { BusinessProfile } from '../../src/business/profile.js';

export function makeCtx(
  business: BusinessProfile,
  now: Date,
  extra: Partial<ConversationContext> = {},
): ConversationContext {
  return { business, channel: 'phone', transcript: [], state: {}, now, ...extra };
}

export async function collect(
  brain: Brain,
  turn: TurnInput,
  ctx: ConversationContext,
  signal = new AbortController().signal,
) {
  const outs: BrainOutput[] = [];
  for await (const o of brain.respond(turn, ctx, signal)) outs.push(o);
  return outs;
}

export function spoken(outs: readonly BrainOutput[]): string {
  return outs
    .filter((o): o is Extract<BrainOutput, { type: 'say' }> => o.type === 'say')
    .map((o) => o.text)
    .join(' ');
}

/**
 * Plays a conversation the way a channel would: each caller turn and each reply goes into the
 * transcript, and the state object is carried (through JSON, as a store would) between turns.
 */
export class Conversation {
  readonly transcript: TranscriptEntry[] = [];
  readonly outputs: BrainOutput[] = [];
  state: Record<string, unknown> = {};
  constructor(
    readonly brain: Brain,
    readonly ctxBase: Omit<ConversationContext, 'transcript' | 'state'>,
  ) {}

  async turn(input: TurnInput | string): Promise<{ outs: BrainOutput[]; said: string }> {
    const turn: TurnInput = typeof input === 'string' ? { kind: 'speech', text: input } : input;
    const ctx: ConversationContext = { ...this.ctxBase, transcript: [...this.transcript], state: this.state };
    const outs = await collect(this.brain, turn, ctx);
    this.state = JSON.parse(JSON.stringify(ctx.state)) as Record<string, unknown>;
    if (turn.kind === 'speech') this.transcript.push({ speaker: 'caller', text: turn.text });
    if (turn.kind === 'dtmf') this.transcript.push({ speaker: 'caller', text: `[pressed ${turn.digits}]` });
    const said = spoken(outs);
    if (said) this.transcript.push({ speaker: 'agent', text: said });
    this.outputs.push(...outs);
    return { outs, said };
  }
}
