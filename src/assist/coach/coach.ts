import type { BusinessProfile } from '../../business/index.js';
import type { BusinessId } from '../../ids.js';
import type { KnowledgeHit } from '../../knowledge/index.js';
import type { Candidate } from './candidate.js';
import { ComplianceWatch } from './compliance.js';
import { intentCard } from './intent-cards.js';
import { findIntents, type IntentFinding } from './intents.js';
import { isQuestion, knowledgeAnswer } from './knowledge-card.js';
import { CallMemory } from './next-actions.js';
import { SentimentTracker, type SentimentReading } from './sentiment.js';

/**
 * The coach of one assisted call: turns what each side says into candidate suggestions for the
 * agent (intents, knowledge answers, mood, compliance reminders, next best actions). Pure logic
 * over words and the call's audio clock; the session feeds it and a SuggestionGate decides what is
 * shown. Interims are cheap (literal phrases only, no search) so a card can arrive while the
 * customer is still speaking; finals use the recognizer's other readings and the knowledge base.
 */

export interface CoachDeps {
  business: BusinessProfile;
  businessId: BusinessId;
  /** Knowledge search within its own time budget; may throw (timeout): then no knowledge card. */
  searchKnowledge(query: string, signal: AbortSignal): Promise<KnowledgeHit[]>;
  /** Wall clock, for "open until 6 p.m." on booking cards; default the system clock. */
  now?: () => Date;
}

/** What one side said: interim words (still speaking) or a finished utterance. */
export interface Heard {
  speaker: 'customer' | 'agent';
  text: string;
  final: boolean;
  alternatives?: readonly string[];
  atMs: number;
  /** where the voice ended, finals only */
  voiceEndMs?: number;
}

/** A sentiment card only when the mood turns negative or drops at least this much at once. */
const MARKED_DROP = 0.3;
/** How long a card is offered again after its words: longer and it would be about something past. */
const OFFER_AGAIN_MS = 8000;
/** The utterance is a question worth a search: enough words that it is not noise. */
const MIN_QUESTION_WORDS = 3;

/** High before medium before low; intents before other kinds: what the gate should see first. */
const ORDER: Record<Candidate['kind'], number> = {
  compliance: 0,
  intent: 1,
  knowledge: 2,
  'next-action': 3,
  sentiment: 4,
};
const PRIORITY: Record<Candidate['priority'], number> = { high: 0, medium: 1, low: 2 };

export class Coach {
  private readonly compliance = new ComplianceWatch();
  private readonly memory = new CallMemory();
  private readonly mood = new SentimentTracker();
  /** Customer finals heard so far. */
  private finals = 0;
  private negativeCarded = false;
  /** Cards to offer again on the next ticks (see keepForLater). */
  private later: Array<{ candidate: Candidate; untilMs: number }> = [];
  private readonly now: () => Date;

  constructor(private readonly deps: CoachDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Suggestions these words call for now (may be none). Agent words feed compliance and the
   * "already handled" memory (e.g. agent already quoted a price: no pricing card again).
   */
  async hear(h: Heard, signal: AbortSignal): Promise<Candidate[]> {
    if (signal.aborted || !h.text.trim()) return [];
    if (h.speaker === 'agent') {
      this.compliance.agentSaid(h.text);
      return h.final ? sorted(this.memory.agentSaid(h.text)) : [];
    }
    const out = h.final
      ? await this.hearFinal(h, signal)
      : this.intentCandidates(h, findIntents({ text: h.text }, this.deps.business.trade, true));
    this.keepForLater(out, h.atMs);
    return sorted(out);
  }

  /**
   * Time-based checks, called about once a second with ms since the stream started (e.g.
   * recording disclosure not said by 30 s → high-priority compliance reminder, once).
   */
  tick(atMs: number): Candidate[] {
    this.later = this.later.filter((p) => p.untilMs >= atMs && !this.stale(p.candidate));
    return [...this.compliance.due(atMs), ...sorted(this.later.map((p) => p.candidate))];
  }

  /**
   * The gate shows one card every few seconds: a card that lost to another one just shown would be
   * lost for good. So each card (but the high ones, never held back) is offered again on the next
   * ticks, for a few seconds; once shown, the gate refuses the repeats as duplicates.
   */
  private keepForLater(cs: readonly Candidate[], atMs: number): void {
    for (const c of cs) {
      if (c.priority === 'high') continue;
      const key = laterKey(c);
      this.later = this.later.filter((p) => laterKey(p.candidate) !== key);
      this.later.push({ candidate: c, untilMs: atMs + OFFER_AGAIN_MS });
    }
  }

  /** Dealt with since (the agent quoted the price): not worth showing any more. */
  private stale(c: Candidate): boolean {
    return c.kind === 'intent' && c.intent !== undefined && this.memory.isHandled(c.intent);
  }

  /** The customer's mood after the last final utterance, or undefined before any. */
  sentiment(): SentimentReading | undefined {
    return this.mood.current();
  }

  private async hearFinal(h: Heard, signal: AbortSignal): Promise<Candidate[]> {
    const utterance = this.finals++;
    // What the customer was still saying is settled now: only the final's own cards are offered again.
    this.later = this.later.filter((p) => p.candidate.basis === 'final');
    this.compliance.customerSaid(h.text);
    const out: Candidate[] = [];
    const findings = findIntents({ text: h.text, alternatives: h.alternatives }, this.deps.business.trade);
    out.push(...this.intentCandidates(h, findings));
    for (const f of findings) {
      const next = this.memory.customerRaised(f.intent, utterance, h.text);
      if (next) out.push(withVoiceEnd(next, h));
    }
    const mood = this.moodCandidate(h);
    // A complaint's card already says to acknowledge them: the mood card would say it twice.
    if (mood && !findings.some((f) => f.intent === 'complaint')) out.push(mood);
    if (isQuestion(h.text) && h.text.trim().split(/\s+/).length >= MIN_QUESTION_WORDS) {
      const search = this.knowledgeCandidate(h, findings, signal);
      if (out.length === 0) {
        const card = await search;
        if (card) out.push(card);
      } else {
        // The intent's card must not wait for the search: the answer is offered on the next tick.
        void search
          .then((card) => {
            if (card && !signal.aborted)
              this.later.push({ candidate: card, untilMs: h.atMs + OFFER_AGAIN_MS });
          })
          .catch(() => undefined);
      }
    }
    return out;
  }

  private intentCandidates(h: Heard, findings: readonly IntentFinding[]): Candidate[] {
    const basis = h.final ? 'final' : 'interim';
    const out: Candidate[] = [];
    for (const f of findings) {
      if (f.intent === 'emergency') this.compliance.emergencyHeard(h.atMs);
      if (this.memory.isHandled(f.intent)) continue;
      const card = intentCard(f, {
        business: this.deps.business,
        readings: [h.text, ...(h.alternatives ?? [])],
        now: this.now(),
      });
      out.push(
        withVoiceEnd(
          {
            kind: 'intent',
            intent: f.intent,
            content: card.content,
            confidence: f.confidence,
            priority: card.priority,
            basis,
            evidence: { words: h.text },
          },
          h,
        ),
      );
    }
    return out;
  }

  private moodCandidate(h: Heard): Candidate | undefined {
    const { reading, previous } = this.mood.add(h.text);
    const drop = previous === undefined ? 0 : previous - reading.score;
    const turnedNegative = reading.label === 'negative' && !this.negativeCarded;
    if (!turnedNegative && !(reading.trend === 'worsening' && drop >= MARKED_DROP)) return undefined;
    this.negativeCarded = true;
    return withVoiceEnd(
      {
        kind: 'sentiment',
        content:
          'Customer is getting frustrated — slow down, acknowledge how they feel, and say what happens next.',
        confidence: Math.round(Math.min(0.95, 0.6 + Math.abs(reading.score) * 0.4) * 100) / 100,
        priority: reading.score <= -0.6 ? 'high' : 'medium',
        basis: 'final',
        evidence: { words: h.text },
      },
      h,
    );
  }

  private async knowledgeCandidate(
    h: Heard,
    findings: readonly IntentFinding[],
    signal: AbortSignal,
  ): Promise<Candidate | undefined> {
    let hits: KnowledgeHit[];
    try {
      hits = await this.deps.searchKnowledge(h.text, signal);
    } catch {
      // Past its budget or failing: no knowledge card, the other cards still go out.
      return undefined;
    }
    if (signal.aborted) return undefined;
    const answer = knowledgeAnswer(
      h.text,
      hits,
      findings.some((f) => f.intent === 'pricing'),
    );
    if (!answer) return undefined;
    return withVoiceEnd(
      {
        kind: 'knowledge',
        content: answer.content,
        confidence: answer.confidence,
        priority: answer.confidence >= 0.7 ? 'medium' : 'low',
        basis: 'final',
        evidence: { words: h.text, passage: answer.passage },
      },
      h,
    );
  }
}

function laterKey(c: Candidate): string {
  return `${c.kind}:${c.intent ?? ''}:${c.kind === 'knowledge' ? c.content : ''}`;
}

function withVoiceEnd(c: Candidate, h: Heard): Candidate {
  return h.final && h.voiceEndMs !== undefined ? { ...c, voiceEndMs: h.voiceEndMs } : c;
}

function sorted(cs: Candidate[]): Candidate[] {
  return cs.sort((a, b) => PRIORITY[a.priority] - PRIORITY[b.priority] || ORDER[a.kind] - ORDER[b.kind]);
}
