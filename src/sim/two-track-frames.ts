/**
 * The frames of Twilio's two-track (listen-only) stream, as the assist simulator sends them:
 * `connected`, `start` with both tracks, `media` per track, `stop`. Two media shapes: Twilio's own,
 * and seed 000's (a forwarder's: top-level callSid/accountSid, an ISO-8601 timestamp).
 *
 * TODO(h1): the telephony side's TwilioFrameBuilder gains a two-track `media(mulaw, ts, track)` and a
 * seed000 option (src/telephony/twilio/stream-protocol.ts, the one home of Twilio's wire format);
 * when it lands this file becomes a thin use of it.
 */
export type Track = 'inbound' | 'outbound';
export type FrameShape = 'twilio' | 'seed000';

export class TwoTrackFrames {
  private seq = 0;
  private readonly chunks: Record<Track, number> = { inbound: 0, outbound: 0 };

  constructor(
    readonly accountSid: string,
    readonly callSid: string,
    readonly streamSid: string,
    readonly shape: FrameShape = 'twilio',
    /** Wall-clock epoch ms of the stream's start: seed 000's timestamps are ISO times from it. */
    readonly startedAt: number = Date.now(),
  ) {}

  connected(): string {
    return JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  start(customParameters: Record<string, string>, tracks: Track[] = ['inbound', 'outbound']): string {
    this.seq = 1;
    return JSON.stringify({
      event: 'start',
      sequenceNumber: String(this.seq),
      start: {
        accountSid: this.accountSid,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters,
      },
      streamSid: this.streamSid,
    });
  }

  media(mulaw: Uint8Array, timestampMs: number, track: Track): string {
    const payload = Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64');
    const chunk = String(++this.chunks[track]);
    const sequenceNumber = String(++this.seq);
    if (this.shape === 'seed000') {
      return JSON.stringify({
        event: 'media',
        sequenceNumber,
        media: {
          track,
          chunk,
          timestamp: new Date(this.startedAt + Math.round(timestampMs)).toISOString(),
          payload,
        },
        streamSid: this.streamSid,
        accountSid: this.accountSid,
        callSid: this.callSid,
      });
    }
    return JSON.stringify({
      event: 'media',
      sequenceNumber,
      media: { track, chunk, timestamp: String(Math.round(timestampMs)), payload },
      streamSid: this.streamSid,
    });
  }

  stop(): string {
    return JSON.stringify({
      event: 'stop',
      sequenceNumber: String(++this.seq),
      stop: { accountSid: this.accountSid, callSid: this.callSid },
      streamSid: this.streamSid,
    });
  }
}
