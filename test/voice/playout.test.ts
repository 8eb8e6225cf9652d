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
});
