import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeIdPath, resolveNodeId } from '../src/node-id.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sb-node-id-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('resolveNodeId', () => {
  it('uses NODE_ID when configured and writes nothing', () => {
    const dir = tempDir();
    expect(resolveNodeId({ configured: 'web-1', dataDir: dir })).toBe('web-1');
    expect(() => statSync(nodeIdPath(dir))).toThrow();
  });

  it('makes one id, keeps it owner-only in DATA_DIR, and a restart gets the same one', () => {
    const dir = tempDir();
    const first = resolveNodeId({ dataDir: dir });
    expect(first).toMatch(/^node-[0-9a-f]{12}$/);
    expect(statSync(nodeIdPath(dir)).mode & 0o777).toBe(0o600);
    expect(resolveNodeId({ dataDir: dir })).toBe(first);
    expect(readFileSync(nodeIdPath(dir), 'utf8').trim()).toBe(first);
  });

  it('refuses a damaged file instead of becoming a new node', () => {
    const dir = tempDir();
    writeFileSync(nodeIdPath(dir), 'not an id!\n');
    expect(() => resolveNodeId({ dataDir: dir })).toThrow(/damaged/);
  });

  it('refuses a malformed NODE_ID', () => {
    expect(() => resolveNodeId({ configured: 'a b', dataDir: tempDir() })).toThrow(/NODE_ID/);
  });
});
