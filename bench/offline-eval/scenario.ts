/**
 * One simulated caller of the offline evaluation: who they are, what they want, and what the
 * business should end up with. The caller simulator (caller-policy.ts) answers whatever the agent
 * asks from these facts, as a real caller would; nothing here scripts the agent's side.
 *
 * Two sets, written apart: `tune` (tuning/scenarios.ts) may be looked at while improving the
 * product; `heldout` (heldout/scenarios.ts) is only ever run and reported, never read while tuning.
 */
export type EvalBusiness = 'plumbing' | 'dental';

export type ScenarioKind =
  /** Something the owner must be woken for (flood, gas, frozen pipes, knocked-out tooth...). */
  | 'emergency'
  /** A non-urgent problem or a request for a call back / a message: a lead must be captured. */
  | 'lead'
  /** An appointment at a given day and hour. */
  | 'booking'
  /** A question the knowledge base (or the profile's FAQ/services/hours) answers. */
  | 'question';

export interface Scenario {
  /** Unique, e.g. 'tune-emergency-03' or 'heldout-question-07'. */
  readonly id: string;
  readonly split: 'tune' | 'heldout';
  readonly business: EvalBusiness;
  readonly kind: ScenarioKind;
  /** The caller's first words after the greeting, as they would say them. */
  readonly opening: string;
  /** Ground truth: should the owner be alerted as an emergency? (false for every non-emergency.) */
  readonly emergency: boolean;
  /** Who is calling; the simulator answers the agent's questions from these. */
  readonly caller: {
    /** First and last name as spoken, e.g. 'Maria Lopez'. */
    readonly name: string;
    /** Ten digits, e.g. '2125550143' (the simulator says them as digits). */
    readonly phone: string;
    /** Street address as spoken, e.g. '42 Oak Street'. */
    readonly address?: string;
    /** What they need, in a few words, said when asked ("what's the problem?"). */
    readonly need: string;
    /** Whether they want to use the number they are calling from (caller ID). Default false. */
    readonly usesCallerId?: boolean;
  };
  /** For 'booking': the time asked for, as days from today (business time zone) and local hour. */
  readonly when?: { readonly daysAhead: number; readonly hour: number; readonly spoken: string };
  /** For 'booking': the service's id in the business profile (e.g. 'drain-cleaning'). */
  readonly serviceId?: string;
  /**
   * For 'question': facts the right answer contains (any one of them, case-insensitive), e.g.
   * ['$79']; and facts that would be wrong for this question (an invented or unrelated answer).
   */
  readonly answer?: { readonly contains: readonly string[]; readonly mustNotContain?: readonly string[] };
  /** For 'lead': the fields the business must end up with (name, phone always; need when set). */
  readonly expectLead?: boolean;
}
