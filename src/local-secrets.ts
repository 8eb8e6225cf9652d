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
});
export type LocalSecrets = z.infer<typeof SecretsSchema>;

export function secretsPath(dataDir: string): string {
  return path.join(dataDir, 'secrets.json');
}

export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = secretsPath(dataDir);
  if (existsSync(file)) {
    const parsed = SecretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file} is damaged; delete it to make new local secrets`);
    return parsed.data;
  }
  ensurePrivateDir(dataDir);
  const secrets: LocalSecrets = {
    twilioAuthToken: randomBytes(16).toString('hex'),
    apiKey: `sb_${randomBytes(24).toString('base64url')}`,
    streamTokenSecret: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return secrets;
}

/** For the command-line tools: the local secrets if a server has made them, else undefined. */
export function readLocalSecrets(dataDir: string): LocalSecrets | undefined {
  const file = secretsPath(dataDir);
  if (!existsSync(file)) return undefined;
  const parsed = SecretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}
