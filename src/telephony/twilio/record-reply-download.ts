import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { deadline } from '../../shared/index.js';
import { PRIVATE_DIR_MODE, writePrivateFile } from '../../store/index.js';

/**
 * Fetching a <Record>'s recording (PROTOCOLS.md 3.4): WAV by default, HTTP Basic auth with the
 * account SID and auth token. The URL comes from the request, so it must be on the Twilio API's
 * own origin (an SSRF guard: nothing else is ever fetched with the account's credentials).
 */

export interface RecordingSource {
  /** The Twilio API origin (TWILIO_API_BASE_URL, https://api.twilio.com by default). */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Whole download, default 10 s. */
  timeoutMs?: number;
  /** Refused past this, default 2 MB (30 s of 8 kHz 16-bit mono is 480 kB; stereo or 16 kHz fits). */
  maxBytes?: number;
}

export class RecordingDownloadError extends Error {
  override readonly name = 'RecordingDownloadError';
}

/** True when `url` is on the Twilio API's origin (scheme, host and port), with no credentials in it. */
export function isTwilioRecordingUrl(url: string, baseUrl: string): boolean {
  let u: URL;
  let base: URL;
  try {
    u = new URL(url);
    base = new URL(baseUrl);
  } catch {
    return false;
  }
  return u.origin === base.origin && u.username === '' && u.password === '';
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Downloads the recording into an owner-only temp file under `tmpDir`, hands its bytes to `use`,
 * and removes the file whatever happens (also when the download or `use` throws).
 */
export async function withDownloadedRecording<T>(
  url: string,
  source: RecordingSource,
  tmpDir: string,
  use: (bytes: Uint8Array) => Promise<T>,
): Promise<T> {
  if (!isTwilioRecordingUrl(url, source.baseUrl))
    throw new RecordingDownloadError('the recording URL is not on the Twilio API host');
  await mkdir(tmpDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const file = path.join(tmpDir, `recording-${randomBytes(8).toString('hex')}.wav`);
  try {
    await writePrivateFile(file, await download(url, source));
    return await use(new Uint8Array(await readFile(file)));
  } finally {
    await rm(file, { force: true });
  }
}

async function download(url: string, source: RecordingSource): Promise<Uint8Array> {
  const maxBytes = source.maxBytes ?? DEFAULT_MAX_BYTES;
  const limit = deadline(source.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    const auth = Buffer.from(`${source.accountSid}:${source.authToken}`).toString('base64');
    // Redirects are followed (the Twilio host may send the file from storage); fetch drops the
    // Authorization header when a redirect leaves the origin.
    const res = await fetch(url, {
      headers: { authorization: `Basic ${auth}`, accept: 'audio/wav, audio/x-wav, */*' },
      signal: limit.signal,
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new RecordingDownloadError(`the recording download answered ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new RecordingDownloadError(`the recording is ${declared} bytes, over the ${maxBytes} limit`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          await res.body.cancel().catch(() => undefined);
          throw new RecordingDownloadError(`the recording is over the ${maxBytes} byte limit`);
        }
        chunks.push(chunk);
      }
    }
    return Buffer.concat(chunks);
  } catch (err) {
    if (err instanceof RecordingDownloadError) throw err;
    throw new RecordingDownloadError(
      limit.timedOut() ? 'the recording download timed out' : 'the recording download failed',
      { cause: err },
    );
  } finally {
    limit.clear();
  }
}
