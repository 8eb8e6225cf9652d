import { describe, expect, it } from 'vitest';
import { asBusinessId, asCallSid } from '../../src/ids.js';
import { LiveCalls, type LiveCall } from '../../src/voice/live-calls.js';

function fakeCall(sid: string, log: string[]): LiveCall & { endNow?: (reason: string) => Promise<void> } {
  const call: LiveCall & { endNow?: (reason: string) => Promise<void> } = {
    callSid: asCallSid(sid),
    businessId: asBusinessId('b1'),
    startedAt: Date.now(),
    end: async (reason) => {
      log.push(`${sid} end ${reason}`);
      await new Promise((r) => setTimeout(r, 20)); // the end's writes take a moment
      log.push(`${sid} written`);
    },
    endWithGoodbye: async () => {
      log.push(`${sid} goodbye`);
      await call.endNow!('shutdown');
    },
  };
  return call;
}

describe('LiveCalls', () => {
  it('counts a call from add until its end is written, and ends it once however often end is called', async () => {
    const calls = new LiveCalls();
    const log: string[] = [];
    const c = fakeCall('CA1', log);
    const end = calls.add(c);
    expect(calls.size).toBe(1);
    expect(calls.get(asCallSid('CA1'))).toBe(c);
    const first = end('stop');
    const second = end('socket closed');
    expect(calls.size).toBe(1); // still writing its end
    await Promise.all([first, second]);
    expect(calls.size).toBe(0);
    expect(log).toEqual(['CA1 end stop', 'CA1 written']);
  });

  it('tells onEnded once, after the end is written, and a throwing hook does not fail the end', async () => {
    const log: string[] = [];
    const calls = new LiveCalls({
      onEnded: (c) => {
        log.push(`${c.callSid} ended hook`);
        throw new Error('hook failed');
      },
    });
    const end = calls.add(fakeCall('CA1', log));
    await Promise.all([end('stop'), end('stop')]);
    expect(log).toEqual(['CA1 end stop', 'CA1 written', 'CA1 ended hook']);
  });

  it('refuses a second live call with the same CallSid', () => {
    const calls = new LiveCalls();
    calls.add(fakeCall('CA1', []));
    expect(() => calls.add(fakeCall('CA1', []))).toThrow(/already live/);
  });

  it('drain lets calls that finish within the grace end on their own, then says goodbye to the rest', async () => {
    const calls = new LiveCalls();
    const log: string[] = [];
    const quick = fakeCall('CA1', log);
    const stays = fakeCall('CA2', log);
    const endQuick = calls.add(quick);
    stays.endNow = calls.add(stays);
    setTimeout(() => void endQuick('stop'), 30);
    const over: number[] = [];
    await calls.drain(300, (n) => over.push(n));
    expect(over).toEqual([1]);
    expect(log).toEqual(['CA1 end stop', 'CA1 written', 'CA2 goodbye', 'CA2 end shutdown', 'CA2 written']);
    expect(calls.size).toBe(0);
  });

  it('settled waits for ends still being written', async () => {
    const calls = new LiveCalls();
    const log: string[] = [];
    const end = calls.add(fakeCall('CA1', log));
    void end('stop');
    await calls.settled();
    expect(log).toEqual(['CA1 end stop', 'CA1 written']);
  });
});
