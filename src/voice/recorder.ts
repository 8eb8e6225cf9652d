/**
 * Both sides of a call on one timeline, for the stereo recording: left the caller as received,
 * right the agent as the caller heard it. Inbound frames arrive continuously (one per 20 ms);
 * agent audio is placed where it plays, and cut back when a barge-in clears what was unheard.
 */
export class CallRecorder {
  private caller: Int16Array;
  private agent: Int16Array;
  private callerLen = 0;
  private agentLen = 0;

  /**
   * The buffers start small and double as the call goes on: a minute held up front cost 1.9 MB
   * per call before it said a word (the load bench's idle streams).
   */
  constructor(
    readonly sampleRate = 8000,
    initialSeconds = 4,
  ) {
    this.caller = new Int16Array(sampleRate * initialSeconds);
    this.agent = new Int16Array(sampleRate * initialSeconds);
  }

  /** Caller audio, appended in arrival order. */
  addCaller(samples: Int16Array): void {
    this.caller = ensure(this.caller, this.callerLen + samples.length);
    this.caller.set(samples, this.callerLen);
    this.callerLen += samples.length;
  }

  /** Agent audio that starts playing at `atMs` on the call's timeline (or right after the last). */
  addAgent(samples: Int16Array, atMs: number): void {
    const at = Math.max(this.agentLen, Math.round((atMs * this.sampleRate) / 1000));
    this.agent = ensure(this.agent, at + samples.length);
    this.agent.set(samples, at);
    this.agentLen = at + samples.length;
  }

  /** A clear: agent audio after `atMs` was never heard. */
  truncateAgent(atMs: number): void {
    const at = Math.round((atMs * this.sampleRate) / 1000);
    if (at < this.agentLen) {
      this.agent.fill(0, at, this.agentLen);
      this.agentLen = at;
    }
  }

  /** Equal-length channels, ready for a stereo WAV. */
  channels(): [Int16Array, Int16Array] {
    const n = Math.max(this.callerLen, this.agentLen);
    const left = new Int16Array(n);
    const right = new Int16Array(n);
    left.set(this.caller.subarray(0, this.callerLen));
    right.set(this.agent.subarray(0, this.agentLen));
    return [left, right];
  }
}

function ensure(buf: Int16Array, needed: number): Int16Array {
  if (needed <= buf.length) return buf;
  const grown = new Int16Array(Math.max(needed, buf.length * 2));
  grown.set(buf);
  return grown;
}
