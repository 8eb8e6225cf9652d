import { z } from 'zod';

/**
 * What an escalation puts in a voice-call notification's payload: which escalation and step the
 * call belongs to. The voice-call channel reads it to ask for an acknowledgement; the alarms read it
 * to find the escalation.
 */
export const alertPayloadSchema = z.object({
  escalationId: z.string().uuid(),
  step: z.number().int().min(0),
});
export type AlertPayload = z.infer<typeof alertPayloadSchema>;
