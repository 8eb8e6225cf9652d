import { describe, expect, it } from 'vitest';
import { Playout } from '../../src/voice/playout.js';
import { FakeClock } from '../support/fake-clock.js';
import { RecordingTransport } from '../support/fake-transport.js';

const ms = (n: number) => new Uint8Array(n * 8).fill(0x55); // n ms of mu-law audio

function setup(leadMs = 100) {
  const clock = new FakeClock();
  const transport = new RecordingTransport(() => clock.now());
  const playout = new Playout(transport, { leadMs, clock });
  return { clock, transport, playout };
}

describe('Playout', () => {
  it('sends whole 160-byte frames and keeps a partial frame until it is complete', () => {
    const { transport, playout } = setup(1000);
    playout.write(new Uint8Array(250));
    expect(transport.frames()).toBe(1);
    playout.write(new Uint8Array(70));
    expect(transport.frames()).toBe(2);
    for (const s of transport.sent) if (s.kind === 'media') expect(s.bytes.length).toBe(160);
  });

  it('sends ahead of real time only up to the lead, then one frame per 20 ms', () => {
    const { clock, transport, playout } = setup(100);
    playout.write(ms(1000));
    expect(transport.frames()).toBe(5); // 100 ms lead at once
    clock.advance(200);
    expect(transport.frames()).toBe(15);
    clock.advance(800);
    expect(transport.frames()).toBe(50);
  });

  it('pads the last partial frame with silence and puts the mark after the audio', () => {
    const { clock, transport, playout } = setup(1000);
    playout.write(new Uint8Array(200).fill(1));
    const m = playout.mark('u1');
    clock.advance(0);
    const kinds = transport.sent.map((s) => s.kind);
    expect(kinds).toEqual(['media', 'media', 'mark']);
    const last = transport.sent[1];
    expect(last?.kind === 'media' && Array.from(last.bytes.subarray(40)).every((b) => b === 0xff)).toBe(true);
    expect(m.position).toBe(40);
  });

  it('settles a mark as played when Twilio echoes it', async () => {
    const { clock, playout } = setup(1000);
    playout.write(ms(100));
    const m = playout.mark('u1');
    clock.advance(100);
    playout.onMarkEcho(m.name);
    await expect(m.outcome).resolves.toBe('played');
  });

  it('takes heard time from the last echoed mark plus time since, capped by what was sent', () => {
    const { clock, playout } = setup(1000);
    playout.write(ms(200));
    const a = playout.mark('a');
    playout.write(ms(200));
    playout.mark('b');
    clock.advance(250); // Twilio is slow: the first mark echoes late
    playout.onMarkEcho(a.name);
    expect(playout.heardPosition()).toBe(200);
    clock.advance(100);
    expect(playout.heardPosition()).toBe(300);
    clock.advance(1000);
    expect(playout.heardPosition()).toBe(400);
  });

  it('clear echoes pending marks: those echoes are not proof of playback', async () => {
    const { clock, transport, playout } = setup(1000);
    playout.write(ms(500));
    const m = playout.mark('u1');
    clock.advance(120);
    const heard = playout.clear();
    expect(heard).toBe(120);
    expect(transport.sent.at(-1)?.kind).toBe('clear');
    await expect(m.outcome).resolves.toBe('cleared');
    // Twilio now echoes the flushed mark; the heard position must not jump to 500.
    playout.onMarkEcho(m.name);
    expect(playout.heardPosition()).toBe(120);
  });

  it('interrupt before first frame keeps nothing', () => {
    const { playout, transport } = setup(0 + 20);
    const heard = playout.clear();
    expect(heard).toBe(0);
    expect(transport.sent).toEqual([]);
  });

  it('drops unsent audio on clear and sends nothing more of it', () => {
    const { clock, transport, playout } = setup(100);
    playout.write(ms(2000));
    clock.advance(100);
    const before = transport.frames();
    playout.clear();
    clock.advance(1000);
    expect(transport.frames()).toBe(before);
  });

  it('after idle, playback restarts from when new audio is queued', () => {
    const { clock, playout } = setup(1000);
    playout.write(ms(100));
    playout.mark('a');
    clock.advance(5000);
    expect(playout.isPlaying()).toBe(false);
    playout.write(ms(100));
    expect(playout.heardPosition()).toBe(100);
    clock.advance(40);
    expect(playout.heardPosition()).toBe(140);
  });

  describe('pause and resume (a false interruption)', () => {
    /** `n` frames; frame i is loud with byte value i, or silent where `quiet(i)`. */
    const frames = (n: number, quiet: (i: number) => boolean = () => false) => {
      const out = new Uint8Array(n * 160);
      for (let i = 0; i < n; i++) out.fill(quiet(i) ? 0xff : i, i * 160, (i + 1) * 160);
      return out;
    };
    const mediaAfter = (transport: RecordingTransport, from: number) =>
      transport.sent.slice(from).flatMap((s) => (s.kind === 'media' ? [s.bytes[0]!] : []));

    it('stops the audio at the caller now, sends nothing while paused, and resumes with the frame being heard', () => {
      const { clock, transport, playout } = setup(100);
      playout.write(frames(20));
      clock.advance(50); // the caller is hearing frame 2 (40-60 ms)
      const at = transport.sent.length;
      expect(playout.pause()).toBe(40);
      expect(transport.sent.at(-1)?.kind).toBe('clear');
      expect(playout.paused).toBe(true);
      expect(playout.isPlaying()).toBe(false);
      clock.advance(500);
      expect(playout.heardPosition()).toBe(40);
      expect(mediaAfter(transport, at)).toEqual([]);
      playout.resume();
      clock.advance(400);
      expect(mediaAfter(transport, at)).toEqual([
        2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
      ]);
    });

    it('resumes at the gap between words just before the heard position, never before the utterance start', () => {
      const { clock, transport, playout } = setup(1000);
      playout.write(frames(12, (i) => i === 5));
      clock.advance(150); // hearing frame 7; frame 5 is a gap 50 ms before it
      const at = transport.sent.length;
      expect(playout.pause()).toBe(100);
      playout.resume();
      clock.advance(200);
      expect(mediaAfter(transport, at)).toEqual([0xff, 6, 7, 8, 9, 10, 11]);

      const b = setup(1000);
      b.playout.write(frames(12, (i) => i === 5));
      b.clock.advance(150);
      expect(b.playout.pause(120)).toBe(140); // the utterance began at 120 ms: no gap after it
    });

    it('marks after the resume point play after the resume; echoes of the cleared ones prove nothing', async () => {
      const { clock, transport, playout } = setup(1000);
      playout.write(frames(3));
      const early = playout.mark('a'); // at 60 ms
      playout.write(frames(10));
      const late = playout.mark('b'); // at 260 ms
      clock.advance(150);
      playout.pause();
      await expect(early.outcome).resolves.toBe('played');
      playout.onMarkEcho(late.name); // Twilio's echo on the clear
      expect(playout.heardPosition()).toBe(140);
      playout.resume();
      const resent = transport.marks().at(-1)!;
      expect(resent).not.toBe(late.name);
      clock.advance(120);
      playout.onMarkEcho(resent);
      await expect(late.outcome).resolves.toBe('played');
    });

    it('keeps audio written while paused for the resume, and pendingAudio() is what the resume plays', () => {
      const { clock, transport, playout } = setup(100);
      playout.write(frames(5));
      clock.advance(30);
      playout.pause();
      playout.write(frames(2));
      expect(playout.pendingAudio().length).toBe((5 - 1 + 2) * 160);
      const at = transport.sent.length;
      playout.resume();
      clock.advance(200);
      expect(mediaAfter(transport, at)).toEqual([1, 2, 3, 4, 0, 1]);
    });

    it('a clear while paused drops the kept audio, sends no second clear, and returns where the caller had heard', () => {
      const { clock, transport, playout } = setup(100);
      playout.write(frames(20));
      clock.advance(50);
      playout.pause();
      const clears = transport.sent.filter((s) => s.kind === 'clear').length;
      clock.advance(300);
      expect(playout.clear()).toBe(50);
      expect(playout.paused).toBe(false);
      expect(transport.sent.filter((s) => s.kind === 'clear').length).toBe(clears);
      expect(playout.pendingAudio().length).toBe(0);
      const at = transport.sent.length;
      clock.advance(500);
      expect(mediaAfter(transport, at)).toEqual([]);
    });
  });
});
