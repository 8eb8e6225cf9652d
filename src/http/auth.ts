import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError, statusText } from './errors.js';

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** preHandler for the admin API: `Authorization: Bearer <SWITCHBOARD_API_KEY>`. */
export function requireApiKey(apiKey: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !secretsEqual(match[1].trim(), apiKey)) {
      const [code, message] = statusText(401);
      await sendError(reply.header('www-authenticate', 'Bearer'), 401, code, message);
    }
  };
}
