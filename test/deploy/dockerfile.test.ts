import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The Dockerfile: a multi-stage build on Node 20's slim Debian image whose final stage runs as a
 * non-root user with the offline speech runtime, a /data volume, port 3000, a health check on
 * /health through node's fetch, and `switchboard serve` under an init that forwards SIGTERM. No
 * secret is set in the image, and .dockerignore keeps this machine's data and .env out of the build.
 */
const ROOT = new URL('../..', import.meta.url);
const read = (name: string) => readFileSync(fileURLToPath(new URL(name, ROOT)), 'utf8');

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

const all = instructions(read('Dockerfile'));
const stages = all.reduce<Array<Array<{ op: string; args: string }>>>((acc, i) => {
  if (i.op === 'FROM') acc.push([]);
  acc.at(-1)?.push(i);
  return acc;
}, []);
const final = stages.at(-1)!;
const last = (op: string) => final.filter((i) => i.op === op).at(-1)?.args;

const SECRETS = [
  'JWT_SECRET',
  'STREAM_TOKEN_SECRET',
  'SWITCHBOARD_API_KEY',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_ACCOUNT_SID',
  'ASSIST_API_KEY',
  'OPENAI_API_KEY',
  'DEEPGRAM_API_KEY',
  'ELEVENLABS_API_KEY',
  'LLM_API_KEY',
  'EMBEDDINGS_API_KEY',
  'SENDGRID_API_KEY',
  'SMTP_URL',
  'SLACK_SIGNING_SECRET',
  'LIVEKIT_API_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
  'POSTGRES_PASSWORD',
];

describe('Dockerfile', () => {
  it('builds in a stage of its own on node:20-bookworm-slim and runs on the same base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(all.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))?.args).toBe(
      'NODE_IMAGE=node:20-bookworm-slim',
    );
    expect(stages[0]![0]!.args).toBe('${NODE_IMAGE} AS build');
    expect(final[0]!.args).toBe('${NODE_IMAGE}');
    const build = stages[0]!.map((i) => `${i.op} ${i.args}`).join('\n');
    expect(build).toContain('npm ci');
    expect(build).toContain('npm run build');
    expect(build).toContain('BUILD_NATIVE_REQUIRED=1');
    expect(build).toContain('npm prune --omit=dev');
    // .npmrc (onnxruntime-node-install=skip) goes in with the lock file.
    expect(build).toMatch(/COPY package\.json package-lock\.json \.npmrc/);
  });

  it('runs the offline default: the PocketSphinx library, its English model and the built addon, and no compiler', () => {
    const run = final
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).toContain('libpocketsphinx3');
    expect(run).toContain('pocketsphinx-en-us');
    expect(run).not.toMatch(/\bg\+\+|\bmake\b|-dev\b/);
    const copies = final.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain(
      '--from=build /app/native/pocketsphinx/build/Release/pocketsphinx.node ./native/pocketsphinx/build/Release/pocketsphinx.node',
    );
    for (const dir of ['node_modules', 'dist', 'bin', 'drizzle'])
      expect(copies.some((c) => c.startsWith(`--from=build /app/${dir} `))).toBe(true);
  });

  it('runs as a non-root user that owns the /data volume', () => {
    const user = last('USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const name = user!.split(':')[0]!;
    expect(final.some((i) => i.op === 'RUN' && i.args.includes(`useradd`) && i.args.includes(name))).toBe(
      true,
    );
    expect(final.some((i) => i.op === 'RUN' && i.args.includes(`chown -R ${name}:${name} /data`))).toBe(true);
    expect(last('VOLUME')).toBe('["/data"]');
    expect(final.find((i) => i.op === 'ENV')?.args).toMatch(/DATA_DIR=\/data/);
    expect(last('EXPOSE')).toBe('3000');
  });

  it("checks /health with node's own fetch, healthy only on 200", () => {
    const check = last('HEALTHCHECK')!;
    expect(check).toMatch(
      /^--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+ CMD \["node", "-e", /,
    );
    expect(check).toContain("fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health')");
    expect(check).toContain('r.status===200?0:1');
    expect(check).not.toContain('curl');
  });

  it('serves under tini, so SIGTERM reaches the graceful shutdown', () => {
    expect(last('ENTRYPOINT')).toBe('["/usr/bin/tini", "--"]');
    expect(last('CMD')).toBe('["node", "bin/switchboard.js", "serve"]');
  });

  it('sets no secret in the image', () => {
    for (const i of all.filter((x) => ['ENV', 'ARG', 'LABEL'].includes(x.op)))
      for (const s of SECRETS) expect(i.args, `${i.op} ${i.args}`).not.toContain(s);
    // Nor copies a .env into it.
    expect(all.filter((i) => i.op === 'COPY').some((i) => /\.env\b/.test(i.args))).toBe(false);
  });
});

describe('.dockerignore', () => {
  const lines = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it("keeps this machine's data, .env files, git history and build output out of the build", () => {
    for (const p of ['data', '.env', '.env.*', '.git', 'node_modules', 'dist', 'native/*/build'])
      expect(lines, p).toContain(p);
  });

  it('does not exclude what the build needs', () => {
    for (const needed of [
      'src',
      'web',
      'scripts',
      'native',
      'drizzle',
      'package.json',
      'package-lock.json',
      '.npmrc',
      'tsconfig.json',
      'tsconfig.build.json',
    ])
      expect(lines, needed).not.toContain(needed);
  });
});
