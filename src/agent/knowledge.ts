import type { BusinessProfile, Faq, Service } from '../business/index.js';
import { joinAnd } from '../business/index.js';
import { findPhrase, tokens } from './text.js';

/**
 * Answers the business profile itself holds (FAQ entries, services and prices), before the
 * knowledge base is searched. Matching is by shared content words, stems compared, so "do you give
 * free estimates" finds "Do you offer free estimates?".
 */

const STOP = new Set(
  (
    'a an the and or but if of to in on at for with by from about as is are was were be been being am do does did ' +
    'i me my we our you your they them their it its this that these those there here what which who whom whose when ' +
    'where why how can could would should will shall may might must have has had not no yes so just please ' +
    'hi hello um uh okay ok well like get got want need know tell any some anything something really also too very ' +
    'guys much many more most there then than ah er erm hmm oh mm uh-huh'
  ).split(' '),
);

export function stem(w: string): string {
  if (w.length <= 4) return w;
  return w.replace(/(ing|ed|es|s|ly)$/, '').replace(/(.)\1$/, '$1');
}

export function contentWords(text: string): string[] {
  return tokens(text)
    .filter((w) => !STOP.has(w) && w.length > 1)
    .map(stem);
}

export interface FaqMatch {
  faq: Faq;
  /** Share of the FAQ question's content words the caller used, 0..1. */
  score: number;
}

export function matchFaq(text: string, faq: readonly Faq[]): FaqMatch | undefined {
  const said = new Set(contentWords(text));
  let best: FaqMatch | undefined;
  for (const f of faq) {
    const q = [...new Set(contentWords(f.question))];
    if (q.length === 0) continue;
    const shared = q.filter((w) => said.has(w)).length;
    const score = shared / q.length;
    if (shared >= Math.min(2, q.length) && score >= 0.5 && (!best || score > best.score))
      best = { faq: f, score };
  }
  return best;
}

/** The service the caller named, by name or alias. */
export function matchService(text: string, services: readonly Service[]): Service | undefined {
  const words = tokens(text);
  let best: { s: Service; len: number } | undefined;
  for (const s of services) {
    for (const name of [s.name, ...s.aliases]) {
      const phrase = tokens(name)
        .map((w) => (w.length > 4 ? `${stem(w)}*` : w))
        .join(' ');
      if (!phrase) continue;
      if (findPhrase(words, phrase, 1) && (!best || phrase.length > best.len))
        best = { s, len: phrase.length };
    }
  }
  // A single distinctive word of the name also counts ("the inspection"), if only one service has it.
  if (!best) {
    const said = new Set(contentWords(text));
    const hits = services.filter((s) =>
      [s.name, ...s.aliases].some((n) => contentWords(n).some((w) => w.length > 4 && said.has(w))),
    );
    if (hits.length === 1) return hits[0];
  }
  return best?.s;
}

export function listServices(services: readonly Service[]): string {
  return joinAnd(services.map((s) => s.name.toLowerCase()));
}

export function priceAnswer(service: Service): string {
  if (!service.price)
    return `I don't have a set price for ${service.name.toLowerCase()}; it depends on the job, and the team can give you a quote.`;
  return `${service.name} is ${service.price}.`;
}

export interface ProfileAnswer {
  text: string;
  /** The service the answer was about, for a follow-up "do you want to book it?". */
  service?: Service;
}

const PRICE_WORD =
  /^(pric|cost|charg|rate|rat|fee|expensiv|cheap|typical|usual|roughly|about|ballpark|list|general)/;

/** An answer from the profile, or undefined to fall through to the knowledge base. */
export function answerFromProfile(
  text: string,
  intents: ReadonlySet<string>,
  business: BusinessProfile,
): ProfileAnswer | undefined {
  const faq = matchFaq(text, business.faq);
  if (faq && faq.score >= 0.75) return { text: faq.faq.answer };
  const service = matchService(text, business.services);
  if (intents.has('price')) {
    if (service) return { text: priceAnswer(service), service };
    const priced = business.services.filter((s) => s.price);
    // The price list answers "what are your rates?", not "how much to fix a faucet?": that one is
    // for the knowledge base, or an honest "I don't know".
    const about = contentWords(text).filter((w) => !PRICE_WORD.test(w));
    if (priced.length > 0 && !faq && about.length === 0)
      return {
        text: `${joinAnd(priced.map((s) => `${s.name.toLowerCase()} is ${s.price}`))}. For anything else, the team can give you a quote.`.replace(
          /^./,
          (c) => c.toUpperCase(),
        ),
      };
  }
  if (faq) return { text: faq.faq.answer };
  if (intents.has('services') && business.services.length > 0) {
    if (service) {
      const desc = service.description ? ` ${service.description}` : '';
      return {
        text: `Yes, we do ${service.name.toLowerCase()}.${desc}${service.price ? ` It's ${service.price}.` : ''}`,
        service,
      };
    }
    // "What services do you offer?" gets the list; "do you fix garage doors?" goes to the knowledge base.
    if (findPhrase(tokens(text), 'services|service') || findPhrase(tokens(text), 'what do you do', 1))
      return { text: `We offer ${listServices(business.services)}.` };
  }
  return undefined;
}
