/**
 * A signal that aborts when its parent does or after `ms`, whichever is first; call `clear()` once
 * the work is done. Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: Node may garbage-
 * collect a timeout signal only that combination refers to, and then it never fires
 * (nodejs/node#57736), so a request to a server that never answers would hang. Here the timer holds
 * its controller, and nothing is lost to a collection.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True when the time ran out (not when the parent aborted). */
  timedOut(): boolean;
  /** Stops the timer and lets go of the parent. */
  clear(): void;
}

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException(`The operation timed out after ${ms} ms.`, 'TimeoutError'));
  }, ms);
  // A pending deadline never keeps the process alive on its own.
  timer.unref?.();
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
