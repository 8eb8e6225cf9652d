import type { DeepgramSettings, ElevenLabsSettings, OpenAiSettings } from './cloud-settings.js';
import { errorFromResponse, joinUrl } from './llm/http.js';

/*
 * The start-up check of the cloud keys: one cheap authenticated read per vendor, so a key the
 * vendor refuses is reported when the server starts, not discovered on a caller's first word.
 * Only a refusal (401, 403, or 404 for a voice that does not exist) counts against a key: a
 * vendor that cannot be reached now may be back by the first call, and calls fail over anyway.
 */

export type KeyVerdict =
  | { readonly ok: true }
  /** The vendor refused the key (or the voice): leave the provider out. */
  | { readonly ok: false; readonly rejected: true; readonly reason: string }
  /** Not known: unreachable, timed out, or a server error. */
  | { readonly ok: false; readonly rejected: false; readonly reason: string };

const CHECK_TIMEOUT_MS = 5000;

/** GET /models: any valid key may list models. */
export function checkOpenAiKey(s: OpenAiSettings, signal?: AbortSignal): Promise<KeyVerdict> {
  return probe(
    'OPENAI_API_KEY',
    joinUrl(s.baseUrl, '/models'),
    { authorization: `Bearer ${s.apiKey}` },
    signal,
  );
}

/** GET /v1/projects: readable by every key, even one scoped to a single project. */
export function checkDeepgramKey(s: DeepgramSettings, signal?: AbortSignal): Promise<KeyVerdict> {
  return probe(
    'DEEPGRAM_API_KEY',
    joinUrl(s.baseUrl, '/v1/projects'),
    { authorization: `Token ${s.apiKey}` },
    signal,
  );
}

/** GET /v1/voices/{id}: checks the key and that ELEVENLABS_VOICE_ID exists, in one read. */
export function checkElevenLabsKey(s: ElevenLabsSettings, signal?: AbortSignal): Promise<KeyVerdict> {
  const url = joinUrl(s.baseUrl, `/v1/voices/${encodeURIComponent(s.voiceId)}`);
  return probe('ELEVENLABS_API_KEY or ELEVENLABS_VOICE_ID', url, { 'xi-api-key': s.apiKey }, signal);
}

async function probe(
  setting: string,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<KeyVerdict> {
  const timeout = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (err) {
    const why = timeout.aborted ? `no answer within ${CHECK_TIMEOUT_MS} ms` : 'unreachable';
    return {
      ok: false,
      rejected: false,
      reason: `${setting} could not be checked: ${why} (${describe(err)})`,
    };
  }
  if (res.ok) {
    await res.body?.cancel();
    return { ok: true };
  }
  const err = await errorFromResponse(res, `${setting} was refused`);
  // The vendor's own words, with the key cut out should a server ever echo it.
  const message = Object.values(headers).reduce(
    (m, secret) => m.split(secret.replace(/^(Bearer|Token) /, '')).join('[redacted]'),
    err.message,
  );
  const refused = res.status === 401 || res.status === 403 || res.status === 404;
  return refused
    ? { ok: false, rejected: true, reason: message }
    : { ok: false, rejected: false, reason: `${setting} could not be checked: ${message}` };
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string } })?.cause?.code;
  return cause ?? (err instanceof Error ? err.message : String(err));
}
