import { z } from 'zod';

/**
 * A simulated caller's script: what the caller says or keys, and when. Each turn waits for the
 * agent to finish speaking first, unless it barges in a set time after the agent starts.
 */
const Turn = z
  .object({
    /** Text the caller speaks (synthesized by the offline TTS in a caller's voice). */
    say: z.string().min(1).optional(),
    /** A WAV file the caller plays (any rate; resampled to 8 kHz). */
    wav: z.string().min(1).optional(),
    /** DTMF keys, sent one per 200 ms. */
    dtmf: z
      .string()
      .regex(/^[0-9*#A-D]+$/, 'DTMF keys are 0-9 * # A-D')
      .optional(),
    /** Caller stays silent this long. */
    silenceMs: z.number().int().min(0).max(120_000).optional(),
    /** Speak this long after the agent starts speaking, over it, instead of waiting for it. */
    bargeInAfterMs: z.number().int().min(0).max(60_000).optional(),
    /** Non-speech noise over the agent: white noise or a tone, to prove it does not interrupt. */
    noise: z
      .object({
        kind: z.enum(['white', 'tone']),
        durationMs: z.number().int().min(20).max(10_000),
        level: z.number().min(0).max(1).default(0.1),
        freq: z.number().default(1000),
      })
      .optional(),
  })
  .refine((t) => [t.say, t.wav, t.dtmf, t.silenceMs, t.noise].filter((x) => x !== undefined).length === 1, {
    message: 'each turn has exactly one of say, wav, dtmf, silenceMs, noise',
  });

export const CallScriptSchema = z.object({
  to: z.string().default('+15005550006'),
  from: z.string().default('+15555550100'),
  turns: z.array(Turn).default([]),
  /** After the last turn, wait for the agent's answer, then hang up this long after it ends. */
  hangupAfterMs: z.number().int().min(0).default(1000),
  /** Hard cap on the whole call. */
  maxDurationMs: z.number().int().min(1000).default(120_000),
  /** How long the agent must be quiet to count as finished speaking. */
  agentQuietMs: z.number().int().min(100).default(1200),
});

export type CallScript = z.infer<typeof CallScriptSchema>;
export type CallScriptTurn = z.infer<typeof Turn>;

export function parseCallScript(json: unknown): CallScript {
  const r = CallScriptSchema.safeParse(json);
  if (!r.success) {
    throw new Error(
      `invalid call script: ${r.error.issues.map((i) => `${i.path.join('.') || 'script'}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}
