import { afterEach, describe, expect, it, vi } from 'vitest';
import { FramePacer, systemClock, type PacerClock } from '../../src/audio/pacer.js';

/** Fake time: timers fire in order when advanced; `lateBy` makes every timer fire that late. */
class FakeClock implements PacerClock {
  t = 0;
  lateBy = 0;
  #timers: Array<{ id: number; at: number; fn: () => void }> = [];
  #nextId = 1;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.t + Math.max(0, ms) + this.lateBy, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Move time forward to `until`, firing due timers in order and letting promises settle. */
  async advanceTo(until: number): Promise<void> {
    for (;;) {
      await settle();
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const first = this.#timers[0];
      if (!first || first.at > until) break;
      this.#timers.shift();
      this.t = Math.max(this.t, first.at);
      first.fn();
    }
    this.t = Math.max(this.t, until);
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Send `frames` frames as fast as the pacer allows; returns [frame, send time] pairs. */
function sender(pacer: FramePacer, clock: PacerClock, frames: number, signal?: AbortSignal) {
  const sent: Array<[number, number]> = [];
  const done = (async () => {
    for (let i = 0; i < frames; i++) {
      const k = await pacer.next(signal);
      sent.push([k, clock.now()]);
    }
  })();
  return { sent, done };
}

describe('FramePacer', () => {
  it('releases frame k at start + k * 20 ms when sending in real time', async () => {
    const clock = new FakeClock();
    clock.t = 1000;
    const pacer = new FramePacer({ clock });
    pacer.start();
    const { sent, done } = sender(pacer, clock, 50);
    await clock.advanceTo(3000);
    await done;
    expect(sent).toEqual(Array.from({ length: 50 }, (_, k) => [k, 1000 + 20 * k]));
    expect(pacer.jitter()).toEqual({ frames: 50, meanMs: 0, maxMs: 0, late: 0 });
  });

  it('does not drift when every timer fires late', async () => {
    const clock = new FakeClock();
    clock.lateBy = 7;
    const pacer = new FramePacer({ clock });
    pacer.start(0);
    const { sent, done } = sender(pacer, clock, 100);
    await clock.advanceTo(5000);
    await done;
    // Frame 0 leaves at once; every later one 7 ms after its due time, never 7 ms per frame.
    expect(sent[0]).toEqual([0, 0]);
    for (const [k, t] of sent.slice(1)) expect(t).toBe(20 * k + 7);
    const j = pacer.jitter();
    expect(j.maxMs).toBe(7);
    expect(j.meanMs).toBeCloseTo((99 * 7) / 100, 9);
    expect(j.late).toBe(0);
  });

  it('catches up after a stalled tick instead of shifting the rest of the stream', async () => {
    const clock = new FakeClock();
    const pacer = new FramePacer({ clock });
    pacer.start(0);
    const { sent, done } = sender(pacer, clock, 20);
    await clock.advanceTo(90); // frames 0..4 on time; frame 5's timer is set
    clock.lateBy = 95; // the timer set next (for frame 6, at 100) fires 95 ms late: a stall
    await clock.advanceTo(150);
    clock.lateBy = 0;
    await clock.advanceTo(1000);
    await done;
    const times = new Map(sent);
    expect(times.get(5)).toBe(100);
    // Frame 6 was due at 120 but its timer fired at 215: 6..10 leave together, then on time again.
    for (const k of [6, 7, 8, 9, 10]) expect(times.get(k)).toBe(215);
    for (const k of [11, 12, 19]) expect(times.get(k)).toBe(20 * k);
    const j = pacer.jitter();
    expect(j.maxMs).toBe(95);
    expect(j.late).toBe(4); // frames 6..9 were 20 ms or more late; frame 10 only 15
  });

  it('sends up to leadMs ahead of playback, never more', async () => {
    const clock = new FakeClock();
    const pacer = new FramePacer({ clock, leadMs: 200 });
    pacer.start(0);
    const { sent, done } = sender(pacer, clock, 40);
    await clock.advanceTo(0);
    // 200 ms of lead = frames 0..10 at once (frame 10 plays at 200 ms).
    expect(sent.map(([k]) => k)).toEqual(Array.from({ length: 11 }, (_, k) => k));
    expect(pacer.bufferedMs(0)).toBe(220);
    await clock.advanceTo(2000);
    await done;
    for (const [k, t] of sent.slice(11)) expect(t).toBe(20 * k - 200);
    expect(pacer.jitter().maxMs).toBe(0);
    expect(pacer.bufferedMs(clock.now())).toBe(0); // 40 frames = 800 ms, all played by 2000
  });

  it('re-anchors after the source ran dry instead of bursting to make up lost time', async () => {
    const clock = new FakeClock();
    const pacer = new FramePacer({ clock, leadMs: 60 });
    pacer.start(0);
    const first = sender(pacer, clock, 10);
    await clock.advanceTo(500);
    await first.done;
    expect(pacer.nextFrame).toBe(10); // frames 0..9 play until 200 ms; nothing to send since
    pacer.resync(); // at 500: playback ran dry 300 ms ago
    expect(pacer.dueAt(10)).toBe(500);
    const second = sender(pacer, clock, 10);
    await clock.advanceTo(500);
    // Only the lead's worth leaves at once (frames 10..13 play by 560), not 25 frames of backlog.
    expect(second.sent.map(([k]) => k)).toEqual([10, 11, 12, 13]);
    await clock.advanceTo(2000);
    await second.done;
    expect(new Map(second.sent).get(19)).toBe(500 + 9 * 20 - 60);
  });

  it('keeps the timeline on resync() while audio is still playing', async () => {
    const clock = new FakeClock();
    const pacer = new FramePacer({ clock, leadMs: 100 });
    pacer.start(0);
    const s = sender(pacer, clock, 6); // frames 0..5 leave at once, playing until 120
    await clock.advanceTo(50);
    await s.done;
    pacer.resync();
    expect(pacer.dueAt(6)).toBe(120);
    expect(pacer.bufferedMs()).toBe(70);
  });

  it('counts due frames for a shared ticker driving many streams', () => {
    const clock = new FakeClock();
    const pacer = new FramePacer({ clock, leadMs: 40 });
    expect(pacer.due(0)).toBe(0); // not started
    pacer.start(100);
    expect(pacer.due(99)).toBe(0);
    expect(pacer.due(100)).toBe(3); // frames 0, 1, 2 (frame 2 plays at 140)
    pacer.sent(3, 100);
    expect(pacer.due(119)).toBe(0);
    expect(pacer.due(120)).toBe(1);
    expect(pacer.due(185)).toBe(4); // frames 3..6: frame 6 released at 100 + 120 - 40 = 180
    pacer.sent(4, 185);
    expect(pacer.nextFrame).toBe(7);
    const j = pacer.jitter();
    expect(j.frames).toBe(7);
    expect(j.maxMs).toBe(65); // frame 3 released at 120, sent at 185
  });

  it('stops waiting and clears its timer when aborted', async () => {
    const clock = new FakeClock();
    const pacer = new FramePacer({ clock });
    pacer.start(0);
    await pacer.next();
    const ac = new AbortController();
    const waiting = pacer.next(ac.signal);
    expect(clock.pendingTimers).toBe(1);
    ac.abort(new Error('caller hung up'));
    await expect(waiting).rejects.toThrow('caller hung up');
    expect(clock.pendingTimers).toBe(0);
    expect(pacer.nextFrame).toBe(1); // the aborted frame was not counted as sent
    await expect(pacer.next(ac.signal)).rejects.toThrow('caller hung up');
  });

  it('allows one wait at a time', async () => {
    const clock = new FakeClock();
    const pacer = new FramePacer({ clock });
    pacer.start(0);
    await pacer.next();
    const first = pacer.next();
    await expect(pacer.next()).rejects.toThrow(/already waiting/);
    await clock.advanceTo(20);
    await expect(first).resolves.toBe(1);
  });

  it('starts itself on the first next() and restarts cleanly with start()', async () => {
    const clock = new FakeClock();
    clock.t = 42;
    const pacer = new FramePacer({ clock, frameMs: 10 });
    await expect(pacer.next()).resolves.toBe(0);
    expect(pacer.dueAt(3)).toBe(72);
    pacer.start(500);
    expect(pacer.nextFrame).toBe(0);
    expect(pacer.jitter().frames).toBe(0);
  });

  it('refuses a non-positive frame length or a negative lead', () => {
    const clock = new FakeClock();
    expect(() => new FramePacer({ clock, frameMs: 0 })).toThrow(RangeError);
    expect(() => new FramePacer({ clock, leadMs: -1 })).toThrow(RangeError);
  });
});

describe('FramePacer on the system clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('paces with vitest fake timers through systemClock', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const pacer = new FramePacer({ clock: systemClock });
    pacer.start();
    const t0 = performance.now();
    const got: number[] = [];
    const run = (async () => {
      for (let i = 0; i < 5; i++) {
        await pacer.next();
        got.push(performance.now() - t0);
      }
    })();
    await vi.advanceTimersByTimeAsync(100);
    await run;
    expect(got).toEqual([0, 20, 40, 60, 80]);
  });

  it('never releases a frame early on real timers', async () => {
    const pacer = new FramePacer({ clock: systemClock });
    const t0 = performance.now();
    pacer.start(t0);
    const sentAt: number[] = [];
    for (let i = 0; i < 10; i++) {
      await pacer.next();
      sentAt.push(performance.now() - t0);
    }
    // Lateness depends on the machine; earliness would be a bug (1 ms timer rounding allowed).
    sentAt.forEach((t, k) => expect(t).toBeGreaterThanOrEqual(20 * k - 1));
    expect(pacer.jitter().frames).toBe(10);
  });
});
