import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, streamUrl } from '../src/config.js';

describe('loadConfig', () => {
  it('runs with no settings at all: port 3000, public URL from the port, ./data', () => {
    const c = loadConfig({}, '/srv/sb');
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.dataDir).toBe('/srv/sb/data');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.twilio.verifySignatures).toBe(true);
  });

  it('drops a trailing slash from PUBLIC_URL so signed URLs match', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://sb.example.com/' }).publicUrl).toBe('https://sb.example.com');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(3000);
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'ftp://x' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/x' }],
    ['TWILIO_ACCOUNT_SID', { TWILIO_ACCOUNT_SID: 'AB123' }],
    ['SWITCHBOARD_INSECURE_SKIP_TWILIO_SIGNATURE', { SWITCHBOARD_INSECURE_SKIP_TWILIO_SIGNATURE: 'maybe' }],
  ])('stops with a message naming %s when it is wrong', (name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('turns signature checks off only with the explicit development setting', () => {
    expect(loadConfig({ SWITCHBOARD_INSECURE_SKIP_TWILIO_SIGNATURE: 'true' }).twilio.verifySignatures).toBe(
      false,
    );
  });
});

describe('streamUrl', () => {
  it('is wss:// behind https and carries no query string', () => {
    expect(streamUrl('https://sb.example.com')).toBe('wss://sb.example.com/twilio/stream');
    expect(streamUrl('http://localhost:3000')).toBe('ws://localhost:3000/twilio/stream');
  });
});

describe('loadConfig: providers and notifications', () => {
  it('defaults to the offline brain, local embeddings and local delivery', () => {
    const c = loadConfig({});
    expect(c.llm).toBeUndefined();
    expect(c.embeddings).toBeUndefined();
    expect(c.notify.delivery).toBe('local');
  });
  it('needs LLM_MODEL with LLM_BASE_URL', () => {
    expect(() => loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })).toThrow(/LLM_MODEL/);
    expect(loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_MODEL: 'llama3' }).llm?.model).toBe(
      'llama3',
    );
  });
  it('refuses live delivery with nothing to deliver through', () => {
    expect(() => loadConfig({ NOTIFY_DELIVERY: 'live' })).toThrow(/NOTIFY_DELIVERY/);
  });
});

describe('loadConfig: cloud voice', () => {
  it('runs offline by default: pipeline mode, no vendor configured, 1.5 s stall limit', () => {
    const c = loadConfig({});
    expect(c.voiceMode).toBe('pipeline');
    expect(c.openai).toBeUndefined();
    expect(c.deepgram).toBeUndefined();
    expect(c.elevenlabs).toBeUndefined();
    expect(c.providerStallMs).toBe(1500);
  });

  it('reports every key a configured cloud provider is missing, at once', () => {
    const err = (() => {
      try {
        loadConfig({
          VOICE_MODE: 'realtime',
          STT_PROVIDERS: 'deepgram,pocketsphinx',
          TTS_PROVIDERS: 'elevenlabs,flite',
        });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual([
      'OPENAI_API_KEY: is required when VOICE_MODE is realtime',
      'DEEPGRAM_API_KEY: is required when STT_PROVIDERS lists deepgram',
      'ELEVENLABS_API_KEY: is required when TTS_PROVIDERS lists elevenlabs',
      'ELEVENLABS_VOICE_ID: is required when TTS_PROVIDERS lists elevenlabs',
    ]);
  });

  it('rejects a VOICE_MODE it does not know and a base URL that is not http(s)', () => {
    expect(() => loadConfig({ VOICE_MODE: 'duplex' })).toThrow(/VOICE_MODE/);
    expect(() => loadConfig({ DEEPGRAM_BASE_URL: 'ftp://x' })).toThrow(/DEEPGRAM_BASE_URL/);
  });

  it('gives each vendor its own part with the documented defaults', () => {
    const c = loadConfig({
      OPENAI_API_KEY: 'sk-test',
      DEEPGRAM_API_KEY: 'dg-test',
      ELEVENLABS_API_KEY: 'el-test',
      ELEVENLABS_VOICE_ID: 'EXAVITQu4vr4xnSDxMaL',
    });
    expect(c.openai).toEqual({
      apiKey: 'sk-test',
      baseUrl: 'https://api.openai.com/v1',
      realtimeModel: 'gpt-realtime',
      realtimeVoice: 'marin',
    });
    expect(c.deepgram).toEqual({
      apiKey: 'dg-test',
      baseUrl: 'https://api.deepgram.com',
      sttModel: 'nova-3',
      ttsModel: 'aura-2-thalia-en',
    });
    expect(c.elevenlabs).toMatchObject({
      baseUrl: 'https://api.elevenlabs.io',
      modelId: 'eleven_flash_v2_5',
    });
  });

  it('with OPENAI_API_KEY and no LLM_BASE_URL the brain uses OpenAI too; LLM_BASE_URL wins when set', () => {
    expect(
      loadConfig({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }).llm,
    ).toMatchObject({
      baseUrl: 'http://127.0.0.1:9/v1',
      apiKey: 'sk-test',
    });
    expect(
      loadConfig({
        OPENAI_API_KEY: 'sk-test',
        LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
        LLM_MODEL: 'llama3',
      }).llm,
    ).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3' });
  });
});

describe('loadConfig: accounts and email', () => {
  it('keeps sessions 12 hours and 10 sign-in attempts a minute unless told otherwise', () => {
    const c = loadConfig({});
    expect(c.auth).toEqual({
      jwtSecret: undefined,
      sessionTtlSeconds: 12 * 3600,
      loginAttemptsPerMinute: 10,
    });
    expect(loadConfig({ SESSION_TTL_HOURS: '0.5' }).auth.sessionTtlSeconds).toBe(1800);
  });

  it('refuses a JWT_SECRET too short to sign with', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
  });

  it("sends email through SendGrid's SMTP relay with SENDGRID_API_KEY, unless SMTP_URL is given", () => {
    const sendgrid = loadConfig({ SENDGRID_API_KEY: 'SG.abc/def+ghi' }).notify.smtpUrl;
    expect(sendgrid).toBe('smtps://apikey:SG.abc%2Fdef%2Bghi@smtp.sendgrid.net:465');
    const own = loadConfig({ SENDGRID_API_KEY: 'SG.abcdefghij', SMTP_URL: 'smtp://mail.example.com:587' });
    expect(own.notify.smtpUrl).toBe('smtp://mail.example.com:587');
    expect(loadConfig({ NOTIFY_DELIVERY: 'live', SENDGRID_API_KEY: 'SG.abcdefghij' }).notify.delivery).toBe(
      'live',
    );
  });

  it('takes FROM_EMAIL over NOTIFY_MAIL_FROM for the sender', () => {
    expect(loadConfig({ FROM_EMAIL: 'noreply@acme.example' }).notify.mailFrom).toBe('noreply@acme.example');
  });
});

describe('loadConfig: several nodes', () => {
  it('believes no X-Forwarded-For unless TRUST_PROXY says whose', () => {
    expect(loadConfig({}).production.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).production.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.2' }).production.trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.2',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });

  it('serves 200 calls per node, runs 4 jobs at once and limits each address to 1200 requests a minute', () => {
    const p = loadConfig({}).production;
    expect(p).toMatchObject({ maxConcurrentCalls: 200, jobConcurrency: 4, httpRequestsPerMinutePerIp: 1200 });
    expect(loadConfig({ JOB_CONCURRENCY: '0' }).production.jobConcurrency).toBe(0);
  });
});

describe('loadConfig: channels', () => {
  it('closes idle conversations after 30 minutes, places 10 calls and sends 60 messages a minute per business, no LiveKit, no Slack', () => {
    const c = loadConfig({}).channels;
    expect(c).toEqual({
      conversationIdleMs: 30 * 60_000,
      outboundCallsPerMinute: 10,
      outboundMessagesPerMinute: 60,
      slackSigningSecret: undefined,
      livekit: undefined,
      roomJoinsPerMinute: 20,
    });
  });

  it("takes the seed's TWILIO_WHATSAPP_NUMBER, with or without whatsapp:, as the WhatsApp sender", () => {
    expect(loadConfig({ TWILIO_WHATSAPP_NUMBER: 'whatsapp:+14155238886' }).twilioRest.whatsappFrom).toBe(
      'whatsapp:+14155238886',
    );
    expect(loadConfig({ TWILIO_WHATSAPP_NUMBER: '+14155238886' }).twilioRest.whatsappFrom).toBe(
      'whatsapp:+14155238886',
    );
    expect(
      loadConfig({ TWILIO_WHATSAPP_NUMBER: '+14155238886', TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886' })
        .twilioRest.whatsappFrom,
    ).toBe('whatsapp:+14155238886');
  });

  it('refuses two different WhatsApp senders', () => {
    expect(() =>
      loadConfig({ TWILIO_WHATSAPP_NUMBER: '+14155238886', TWILIO_WHATSAPP_FROM: 'whatsapp:+14155230000' }),
    ).toThrow(/TWILIO_WHATSAPP_NUMBER: names another sender/);
  });

  it('needs all three LiveKit settings or none', () => {
    expect(() => loadConfig({ LIVEKIT_URL: 'wss://lk.example.com' })).toThrow(/set all three or none/);
    const lk = loadConfig({
      LIVEKIT_URL: 'wss://lk.example.com',
      LIVEKIT_API_KEY: 'APIkey123',
      LIVEKIT_API_SECRET: 'a-secret-of-enough-length',
    }).channels.livekit;
    expect(lk).toEqual({
      url: 'wss://lk.example.com',
      apiKey: 'APIkey123',
      apiSecret: 'a-secret-of-enough-length',
    });
  });
});
