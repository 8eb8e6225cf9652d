/**
 * What each cloud vendor's adapters read from configuration (config.ts checks them once at
 * start; the registry hands each adapter its own vendor's part). Base URLs are given without a
 * trailing path; a WebSocket endpoint is the same URL with its scheme http->ws, https->wss.
 */

export interface OpenAiSettings {
  readonly apiKey: string;
  /** e.g. https://api.openai.com/v1; the Realtime socket is this URL + /realtime. */
  readonly baseUrl: string;
  readonly realtimeModel: string;
  readonly realtimeVoice: string;
}

export interface DeepgramSettings {
  readonly apiKey: string;
  /** e.g. https://api.deepgram.com */
  readonly baseUrl: string;
  readonly sttModel: string;
  readonly ttsModel: string;
}

export interface ElevenLabsSettings {
  readonly apiKey: string;
  /** e.g. https://api.elevenlabs.io */
  readonly baseUrl: string;
  readonly voiceId: string;
  readonly modelId: string;
}

/** http->ws, https->wss (the vendors' own rule for their socket endpoints), path appended. */
export function socketUrl(baseUrl: string, path: string): URL {
  const u = new URL(`${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  return u;
}
