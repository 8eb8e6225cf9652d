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
