import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeBusiness } from '../auth/index.js';
import { principalOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, describedOnly, queryObject } from '../http/route-schemas.js';
import type { Db } from '../store/index.js';
import { calls } from '../store/schema/index.js';

/**
 * GET /api/calls/:callSid/recording: the call's stereo WAV (left the caller, right the agent as
 * the caller heard it), for the business that took the call. It answers byte ranges (206), as
 * an <audio> element asks when it seeks; ?download=1 makes it an attachment. Only files inside
 * DATA_DIR/recordings are ever read, whatever the stored path says.
 */

export interface RecordingsApiDeps {
  access: Access;
  db: Db;
  /** DATA_DIR: calls.recording_path is relative to it. */
  dataDir: string;
}

export type ByteRange = { start: number; end: number };

/**
 * The one range a `Range` header asks of a `size`-byte file (end inclusive); 'unsatisfiable'
 * when it lies past the end; undefined when the header is to be ignored and the whole file sent
 * (not bytes, malformed, or several ranges, which RFC 9110 lets a server answer in full).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? Infinity : Number(m[2]);
  if (end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

const inside = (dir: string, file: string) => file.startsWith(dir + path.sep);

const noRecording = () => new ApiError(404, 'not_found', 'This call has no recording.');

const wav = describedOnly({ type: 'string', format: 'binary' });

export function registerRecordingsApi(app: FastifyInstance, deps: RecordingsApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const root = path.resolve(deps.dataDir, 'recordings');

  /** The recording's real path, or undefined when it is missing or not under the recordings folder. */
  async function locate(recordingPath: string): Promise<string | undefined> {
    const file = path.resolve(deps.dataDir, recordingPath);
    if (!inside(root, file)) return undefined;
    try {
      // Resolved again through symbolic links: a link inside may not point outside.
      const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
      return inside(realRoot, realFile) ? realFile : undefined;
    } catch {
      return undefined;
    }
  }

  api.get(
    '/api/calls/:callSid/recording',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: "The call's stereo recording (WAV: left caller, right agent); byte ranges answered",
        tags: ['calls'],
        params: z.object({ callSid: z.string().min(1).max(64) }),
        querystring: queryObject({
          download: z.enum(['0', '1']).optional().describe('1: as an attachment named <callSid>.wav'),
        }),
        headers: z.looseObject({ range: z.string().max(200).optional().describe('bytes=<start>-<end>') }),
        response: {
          200: { description: 'The whole recording', content: { 'audio/wav': { schema: wav } } },
          206: { description: 'The range asked for', content: { 'audio/wav': { schema: wav } } },
        },
      }),
    },
    async (req, reply) => {
      const { callSid } = req.params;
      const [call] = await deps.db
        .select({ businessId: calls.businessId, recordingPath: calls.recordingPath })
        .from(calls)
        .where(eq(calls.callSid, callSid));
      // Another business's call answers exactly like a missing one.
      if (!call || !canSeeBusiness(principalOf(req), call.businessId))
        throw new ApiError(404, 'not_found', 'No call with this CallSid.');
      const file = call.recordingPath ? await locate(call.recordingPath) : undefined;
      if (!file) throw noRecording();
      const handle = await open(file, 'r').catch(() => undefined);
      if (!handle) throw noRecording();
      let handedOver = false;
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw noRecording();
        const size = stat.size;
        const range = parseRange(req.headers.range, size);
        reply.header('accept-ranges', 'bytes').header('cache-control', 'private, no-store');
        if (range === 'unsatisfiable') {
          reply.header('content-range', `bytes */${size}`);
          throw new ApiError(416, 'range_not_satisfiable', `The recording has ${size} bytes.`);
        }
        reply.type('audio/wav');
        if (req.query.download === '1') {
          const name = callSid.replace(/[^A-Za-z0-9_.-]/g, '_');
          reply.header('content-disposition', `attachment; filename="${name}.wav"`);
        }
        const { start, end } = range ?? { start: 0, end: size - 1 };
        if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
        reply.header('content-length', String(Math.max(0, end - start + 1)));
        handedOver = true;
        // The stream closes the handle when it ends or the client goes away.
        return reply.send(handle.createReadStream({ start, end: Math.max(start, end), autoClose: true }));
      } finally {
        if (!handedOver) await handle.close();
      }
    },
  );
}
