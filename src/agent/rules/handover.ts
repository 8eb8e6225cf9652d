import { openStatus, speakWhen } from '../../business/index.js';
import { parseE164 } from '../../ids.js';
import { formatPhone } from '../extract/phone.js';
import { isVoice, say, type Flow, type TurnEnv } from './env.js';
import { startLead } from './lead-flow.js';

/**
 * "Let me talk to a person": put the caller through while the business is open and has a
 * transfer number, with a short summary for whoever picks up; otherwise take a message.
 */

/** One or two sentences for the human taking over: who, what, and how to call back. */
export function handoverSummary(env: TurnEnv, lead?: string): string {
  const f = env.st.lead.fields;
  const parts: string[] = [];
  if (lead) parts.push(lead);
  parts.push(f.name ? `Caller: ${f.name}.` : 'Caller name not given.');
  const need = f.need ?? lastCallerWords(env);
  if (need) parts.push(`About: ${need}.`);
  const phone = f.phone ? parseE164(f.phone) : env.ctx.callerId;
  if (phone) parts.push(`Callback: ${formatPhone(phone)}.`);
  if (f.address) parts.push(`Address: ${f.address}.`);
  return parts.join(' ');
}

function lastCallerWords(env: TurnEnv): string | undefined {
  // The first substantial thing the caller said is usually why they called.
  const said = env.ctx.transcript.filter((t) => t.speaker === 'caller' && t.text.split(' ').length >= 4);
  return said[0]?.text;
}

export async function* handOver(env: TurnEnv): Flow {
  const b = env.ctx.business;
  const status = openStatus(b.hours, b.timezone, env.ctx.now);
  if (status.open && b.transferNumber && isVoice(env)) {
    const summary = handoverSummary(env);
    await env.tools
      .transfer({ to: b.transferNumber, summary, reason: 'caller-request' }, env.signal)
      .catch((err: unknown) => env.logger?.warn({ err }, 'announcing the transfer failed'));
    yield* say("Sure, I'll put you through to the team now. One moment, please.");
    yield { type: 'transfer', to: b.transferNumber, summary, reason: 'caller-request' };
    return;
  }
  const why = status.open
    ? "Everyone's busy at the moment, but I can take a message and make sure someone gets back to you."
    : `The team isn't available right now${status.nextOpen ? `; we open again ${speakWhen(status.nextOpen, env.ctx.now, b.timezone)}` : ''}. I can take a message and make sure someone gets back to you.`;
  yield* startLead(env, { purpose: 'message', intro: why });
}
