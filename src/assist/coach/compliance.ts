import { hasAnyPhrase, tokens } from '../../agent/index.js';
import type { Candidate } from './candidate.js';

/**
 * What the agent must say on every call, watched on the call's audio clock: the recording
 * disclosure in the first 30 s, and on an emergency the address within 20 s. Each reminder once.
 */

export const DISCLOSURE_BY_MS = 30_000;
export const ADDRESS_WITHIN_MS = 20_000;

const DISCLOSURE = ['record*', 'monitor*'];
const ADDRESS_ASKED = [
  'address',
  'where are you',
  'where is it|the property|the house',
  'where do you live',
  'what street',
  'which street',
  'location',
  'postcode|zip',
];
/** The customer gave an address unasked: nothing to remind. */
const ADDRESS_GIVEN = [
  'street',
  'avenue',
  'road',
  'boulevard',
  'lane',
  'drive',
  'apartment',
  'my address',
  'i live at',
];

export class ComplianceWatch {
  private disclosed = false;
  private disclosureReminded = false;
  private emergencyAtMs: number | undefined;
  private addressKnown = false;
  private addressReminded = false;

  constructor(
    private readonly opts: { disclosureByMs: number; addressWithinMs: number } = {
      disclosureByMs: DISCLOSURE_BY_MS,
      addressWithinMs: ADDRESS_WITHIN_MS,
    },
  ) {}

  agentSaid(text: string): void {
    const words = tokens(text);
    if (hasAnyPhrase(words, DISCLOSURE)) this.disclosed = true;
    if (hasAnyPhrase(words, ADDRESS_ASKED)) this.addressKnown = true;
  }

  customerSaid(text: string): void {
    if (hasAnyPhrase(tokens(text), ADDRESS_GIVEN)) this.addressKnown = true;
  }

  emergencyHeard(atMs: number): void {
    this.emergencyAtMs ??= atMs;
  }

  /** Reminders due at `atMs` (ms of stream audio). */
  due(atMs: number): Candidate[] {
    const out: Candidate[] = [];
    if (!this.disclosed && !this.disclosureReminded && atMs >= this.opts.disclosureByMs) {
      this.disclosureReminded = true;
      out.push({
        kind: 'compliance',
        content: 'Say the recording disclosure: "This call may be recorded for quality."',
        confidence: 1,
        priority: 'high',
        basis: 'final',
        evidence: {},
      });
    }
    if (
      this.emergencyAtMs !== undefined &&
      !this.addressKnown &&
      !this.addressReminded &&
      atMs >= this.emergencyAtMs + this.opts.addressWithinMs
    ) {
      this.addressReminded = true;
      out.push({
        kind: 'compliance',
        intent: 'emergency',
        content: 'Emergency: confirm the address and a callback number now.',
        confidence: 0.95,
        priority: 'high',
        basis: 'final',
        evidence: {},
      });
    }
    return out;
  }
}
