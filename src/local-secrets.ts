import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir } from './store/index.js';

/**
 * Secrets for the embedded default, so it runs with no keys yet stays locked: a local Twilio
 * auth token (the simulator signs with it), an admin API key and a stream-token secret, made
 * once and kept in DATA_DIR/secrets.json (mode 0600). Configured values always win.
 */
const SecretsSchema = z.object({
  twilioAuthToken: z.string().min(16),
  apiKey: z.string().min(16),
  streamTokenSecret: z.string().min(32),
  /** Signs session tokens (added later: older files get one on the next start). */
  jwtSecret: z.string().min(32).optional(),
});
export type LocalSecrets = z.infer<typeof SecretsSchema> & { jwtSecret: string };

export function secretsPath(dataDir: string): string {
  return path.join(dataDir, 'secrets.json');
}

export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = secretsPath(dataDir);
  if (existsSync(file)) {
    const parsed = SecretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file} is damaged; delete it to make new local secrets`);
    if (parsed.data.jwtSecret) return { ...parsed.data, jwtSecret: parsed.data.jwtSecret };
    const upgraded = { ...parsed.data, jwtSecret: randomBytes(32).toString('base64url') };
    writeFileSync(file, JSON.stringify(upgraded, null, 2) + '\n', { mode: 0o600 });
    return upgraded;
  }
  ensurePrivateDir(dataDir);
  const secrets: LocalSecrets = {
    twilioAuthToken: randomBytes(16).toString('hex'),
    apiKey: `sb_${randomBytes(24).toString('base64url')}`,
    streamTokenSecret: randomBytes(32).toString('base64url'),
    jwtSecret: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return secrets;
}

/** For the command-line tools: the local secrets if a server has made them, else undefined. */
export function readLocalSecrets(dataDir: string): z.infer<typeof SecretsSchema> | undefined {
  const file = secretsPath(dataDir);
  if (!existsSync(file)) return undefined;
  const parsed = SecretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}
