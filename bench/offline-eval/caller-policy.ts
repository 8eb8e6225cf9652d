/**
 * The simulated caller: reacts to the agent's reply TEXT (what a person hears; the agent's own
 * speech is never recognised) from the scenario's facts. Opens with its reason for calling,
 * answers what it is asked, checks read-backs against the truth, answers a directed emergency
 * question truthfully, picks from offered choices, keys its number when the agent asks for the
 * keypad, and says goodbye to "anything else?". At most MAX_CALLER_TURNS turns.
 */
import type { Scenario } from './scenario.js';

export const MAX_CALLER_TURNS = 14;

export type CallerAct =
  | { readonly kind: 'say'; readonly text: string }
  | { readonly kind: 'keys'; readonly digits: string }
  | { readonly kind: 'hangup' };

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const SERVICE_WORDS: Record<string, string> = {
  'drain-cleaning': 'drain cleaning',
  'water-heater': 'water heater service',
  'leak-repair': 'leak repair',
  cleaning: 'a cleaning',
  filling: 'a filling',
  whitening: 'teeth whitening',
};

/** "2125550143" as a caller says it: "two one two, five five five, zero one four three". */
export function spokenPhone(digits: string): string {
  const d = digits.split('').map((c) => DIGIT_WORDS[Number(c)]!);
  return [d.slice(0, 3), d.slice(3, 6), d.slice(6)].map((g) => g.join(' ')).join(', ');
}

export const normName = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z ]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

const digitsOf = (s: string): string => s.replace(/\D/g, '');

/** Hours (0-23) the agent's words name: "10 a.m.", "2:30 p.m.", "noon". */
export function hoursIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/\b(\d{1,2})(?::(\d\d))?\s*(a\.?m\.?|p\.?m\.?)/gi)) {
    const h = Number(m[1]) % 12;
    out.push(/^p/i.test(m[3]!) ? h + 12 : h);
  }
  if (/\bnoon\b/i.test(text)) out.push(12);
  return out;
}

export interface CallerOptions {
  /** Weekday (0 = Sunday) of the evaluation's "today" in the business's time zone. */
  readonly todayWeekday: number;
}

/** One simulated caller for one call. */
export class CallerPolicy {
  private turns = 0;
  private last = '';
  private opened = false;
  private saidGoodbye = false;
  private numberAsked = 0;
  private nameAsked = 0;
  private fallbacks = 0;
  /** The yes/no the caller last meant, to say again when asked "yes or no?". */
  private lastYesNo: 'yes' | 'no' = 'yes';
  /** Times each answer was given: a person asked again says it another way. */
  private readonly said = new Map<string, number>();
  /** The caller's last words were a yes or a no (asked again, they say it another way). */
  private lastWasYesNo = false;

  constructor(
    private readonly s: Scenario,
    private readonly opts: CallerOptions,
  ) {}

  get callerTurns(): number {
    return this.turns;
  }

  /** What the caller does after hearing `agent` (the agent's whole turn); `ended`: the agent hung up. */
  next(agent: string, ended = false): CallerAct {
    if (ended || this.saidGoodbye || this.turns >= MAX_CALLER_TURNS) return { kind: 'hangup' };
    const wasYesNo = this.lastWasYesNo;
    this.lastWasYesNo = false;
    const act = this.decide(agent, wasYesNo);
    this.turns++;
    if (act.kind === 'say') this.last = act.text;
    return act;
  }

  private say(text: string): CallerAct {
    return { kind: 'say', text };
  }

  /** The first wording, then the others in turn each time the same answer is asked for again. */
  private vary(key: string, wordings: readonly string[]): CallerAct {
    const n = this.said.get(key) ?? 0;
    this.said.set(key, n + 1);
    return this.say(wordings[n % wordings.length]!);
  }

  private yes(text = "yes that's right"): CallerAct {
    this.lastYesNo = 'yes';
    this.lastWasYesNo = true;
    return this.vary(`yes:${text}`, [text, 'yes', 'yes it is', 'correct']);
  }

  private no(text: string): CallerAct {
    this.lastYesNo = 'no';
    this.lastWasYesNo = true;
    return this.vary(`no:${text}`, [text, 'no', 'no, that is wrong', 'nope']);
  }

  private goodbye(): CallerAct {
    this.saidGoodbye = true;
    return this.say('no thanks, goodbye');
  }

  private decide(agentText: string, lastWasYesNo: boolean): CallerAct {
    const a = agentText.toLowerCase();
    const c = this.s.caller;
    if (!this.opened) {
      this.opened = true;
      return this.say(this.s.opening);
    }
    if (/anything else/.test(a)) return this.goodbye();

    // Read-backs: checked against the truth.
    const name = /name as ([^.?!]+)[.?!]/i.exec(agentText);
    if (name && /right|correct/.test(a)) {
      return normName(name[1]!) === normName(c.name)
        ? this.yes()
        : this.no(`no, that's not right. my name is ${c.name}`);
    }
    const number = /i have ([+\d][\d\s().-]{6,})[.?!]?/i.exec(agentText);
    if (number && /right|correct/.test(a)) {
      return digitsOf(number[1]!).slice(-10) === c.phone
        ? this.yes()
        : this.no(`no, that's not right. it's ${spokenPhone(c.phone)}`);
    }
    if (/calling from/.test(a)) {
      return c.usesCallerId
        ? this.yes('yes, that one is fine')
        : this.no('no, please use a different number');
    }
    if (/spell/.test(a))
      return this.say(
        c.name
          .toUpperCase()
          .replace(/[^A-Z ]/g, '')
          .split('')
          .join(' '),
      );
    if (/key (it |the number |your number )?in|keypad|touch ?tone/.test(a) && /number/.test(a)) {
      this.numberAsked++;
      // Offered as a choice the first time ("say it, or key it in"): the caller says it. Asked again, keys it.
      if (this.numberAsked >= 2 || /please key/.test(a)) return { kind: 'keys', digits: `${c.phone}#` };
      return this.say(`my number is ${spokenPhone(c.phone)}`);
    }
    if (
      /your name|who am i speaking|who('s| is) calling|name,? please|get your name|take your name and/.test(
        a,
      ) &&
      !/take your name and number so/.test(a)
    ) {
      this.nameAsked++;
      return this.vary('name', [`my name is ${c.name}`, c.name, `it's ${c.name}`]);
    }
    if (/(best|callback|call back|phone|contact) number|number to reach|reach you|your number/.test(a)) {
      this.numberAsked++;
      if (this.numberAsked >= 3) return { kind: 'keys', digits: `${c.phone}#` };
      return this.vary('number', [`my number is ${spokenPhone(c.phone)}`, spokenPhone(c.phone)]);
    }
    if (/address/.test(a) && /\?/.test(a)) {
      return this.say(c.address ? `it's ${c.address}` : "I'd rather not say");
    }
    if (/how urgent|how soon|today, this week/.test(a)) {
      return this.say(this.s.emergency ? 'today please, it is urgent' : 'this week is fine');
    }
    // A directed question about danger: answered truthfully.
    if (
      /(leaking|flooding|bleeding|swelling|gas|water).{0,40}(right now|at the moment|still)\?|\b(is|are|do)\b[^.?!]{0,80}right now\?|is (this|it) an emergency|anyone (hurt|in danger)|is everyone safe/.test(
        a,
      )
    ) {
      if (/is everyone safe/.test(a)) return this.yes('yes, everyone is safe');
      return this.s.emergency
        ? this.yes('yes, it is happening right now')
        : this.no("no, it's not an emergency");
    }
    if (/which service|we offer/.test(a) && this.s.serviceId) {
      const service = SERVICE_WORDS[this.s.serviceId] ?? this.s.caller.need;
      return this.vary('service', [service, `${service} please`, `I need ${service}`]);
    }
    // Offered times, or a time to confirm.
    const offered = hoursIn(agentText);
    if (offered.length > 0 && /\?/.test(a) && this.s.when) {
      const want = this.s.when.hour;
      const wantDay = WEEKDAYS[(this.opts.todayWeekday + this.s.when.daysAhead) % 7]!;
      const dayOk = this.dayMatches(a, wantDay);
      if (offered.length > 1 || /\bor\b|which (time|would)/.test(a)) {
        if (offered.includes(want) && dayOk) return this.say(`${this.spokenHour(want)} please`);
        return this.no(`no, I need ${this.s.when.spoken}`);
      }
      return offered[0] === want && dayOk
        ? this.yes('yes please')
        : this.no(`no, I wanted ${this.s.when.spoken}`);
    }
    if (/what day|which day|what time|day and time|when would/.test(a)) {
      return this.say(this.s.when ? this.s.when.spoken : 'as soon as possible');
    }
    if (/(would you like|do you want|shall i|should i).{0,30}(book|appointment|schedule)/.test(a)) {
      return this.s.kind === 'booking' ? this.yes('yes please') : this.no('no thank you');
    }
    if (/asking about (our )?(opening )?hours/.test(a)) {
      return /hours|open/.test(this.s.opening) ? this.yes('yes') : this.no(`no. ${this.s.opening}`);
    }
    if (/take your name and number|get back to you|someone (to )?call you/.test(a) && /\?/.test(a)) {
      if (this.s.kind === 'question')
        return this.answered(agentText) ? this.goodbye() : this.yes('yes please');
      return this.yes('yes please');
    }
    if (/yes or no/.test(a)) return this.lastYesNo === 'yes' ? this.yes('yes') : this.no('no');
    if (
      /didn't (quite )?catch|say (that|it) again|could you repeat|sorry, what|not sure i understood|didn't understand/.test(
        a,
      )
    ) {
      if (lastWasYesNo) return this.lastYesNo === 'yes' ? this.yes('yes') : this.no('no');
      return this.say(this.last || this.s.opening);
    }
    if (
      /(what|how) can i help|what do you need|what('s| is) the (problem|issue)|what seems|briefly|what happened|tell me (more|what)/.test(
        a,
      )
    ) {
      return this.say(this.s.kind === 'question' ? this.s.opening : `it's about ${c.need}`);
    }
    if (/is that right|correct\?|did i get that/.test(a)) return this.yes();
    if (this.s.kind === 'question' && this.answered(agentText)) return this.goodbye();
    // Anything else: say what they called about once more, then give up politely.
    this.fallbacks++;
    if (this.fallbacks <= 1)
      return this.say(this.s.kind === 'question' ? this.s.opening : `I'm calling about ${c.need}`);
    return this.goodbye();
  }

  private answered(agentText: string): boolean {
    const t = agentText.toLowerCase();
    return (this.s.answer?.contains ?? []).some((f) => t.includes(f.toLowerCase()));
  }

  private dayMatches(a: string, wantDay: string): boolean {
    const named = WEEKDAYS.filter((d) => a.includes(d));
    if (a.includes('tomorrow')) return this.s.when?.daysAhead === 1;
    if (a.includes('today')) return this.s.when?.daysAhead === 0;
    return named.length === 0 || named.includes(wantDay);
  }

  private spokenHour(h: number): string {
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return `${DIGIT_WORDS[h12] ?? (h12 === 10 ? 'ten' : h12 === 11 ? 'eleven' : 'twelve')} ${h < 12 ? 'a m' : 'p m'}`;
  }
}
