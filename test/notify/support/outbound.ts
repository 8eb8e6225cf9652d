import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { NotificationError, type OutboundNotification } from '../../../src/notify/index.js';

/** An outbound notification as the dispatcher hands it to a channel (an emergency SMS unless told). */
export const note = (over: Partial<OutboundNotification> = {}): OutboundNotification => ({
  id: randomUUID(),
  businessId: randomUUID(),
  kind: 'sms',
  recipient: '+15005550006',
  subject: null,
  body: 'EMERGENCY (flooding) at Acme Plumbing',
  payload: {},
  cause: 'emergency',
  causeId: null,
  callSid: null,
  attempt: 1,
  createdAt: new Date(),
  ...over,
});

export const signal = (): AbortSignal => new AbortController().signal;

/** The NotificationError a send failed with (fails the test when it did not fail, or with another error). */
export const failureOf = async (p: Promise<unknown>): Promise<NotificationError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotificationError);
  return err as NotificationError;
};
