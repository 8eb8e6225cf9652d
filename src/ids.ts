/**
 * Branded identifiers. Mixing a Twilio CallSid with a database id, or a StreamSid with a
 * CallSid, is a bug the compiler should catch; these brands make it do so.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type BusinessId = Brand<string, 'BusinessId'>;
export type CallId = Brand<string, 'CallId'>;
/** Twilio's call identifier (CA + 32 hex), or a simulator's equivalent. */
export type CallSid = Brand<string, 'CallSid'>;
/** Twilio's media stream identifier (MZ + 32 hex; old streams used UUIDs). */
export type StreamSid = Brand<string, 'StreamSid'>;
/** A phone number in E.164 form, e.g. +15005550006. */
export type E164 = Brand<string, 'E164'>;
/** A dashboard or API user (a database id). */
export type UserId = Brand<string, 'UserId'>;

export const asBusinessId = (s: string) => s as BusinessId;
export const asCallId = (s: string) => s as CallId;
export const asCallSid = (s: string) => s as CallSid;
export const asStreamSid = (s: string) => s as StreamSid;
export const asUserId = (s: string) => s as UserId;

const E164_RE = /^\+[1-9]\d{6,14}$/;
export function parseE164(s: string): E164 | undefined {
  const compact = s.replace(/[\s().-]/g, '');
  return E164_RE.test(compact) ? (compact as E164) : undefined;
}
