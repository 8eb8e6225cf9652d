import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AgentTools, Brain, BrainOutput } from '../../agent/index.js';
import { writeWav } from '../../audio/index.js';
import type { BusinessProfile } from '../../business/index.js';
import { planAllows, profileFromStored } from '../../business/index.js';
import type { Logger } from '../../shared/index.js';
import type { Metrics } from '../../http/metrics.js';
import type { BusinessId, CallSid, E164 } from '../../ids.js';
import {
  connectOpenAiRealtime,
  type ConnectOpenAiRealtimeOptions,
  type RealtimeTurnDetection,
} from '../../providers/realtime/index.js';
import type { SpeechToText } from '../../providers/stt/index.js';
import { TtsChain, type TextToSpeech } from '../../providers/tts/index.js';
import { SpeechDetector } from '../../providers/vad/index.js';
import type { VoiceActivityDetector } from '../../providers/vad/index.js';
import type { EventBus } from '../../store/bus/index.js';
import type { Business, CallsRepo } from '../../store/index.js';
import { businessSettingsSchema, PRIVATE_DIR_MODE, writePrivateFile } from '../../store/index.js';
import {
  callEndLine,
  CallEventStream,
  CallLog,
  CallSession,
  RealtimeSession,
  turnTakingFor,
  type CallEvent,
  type CallLogStore,
  type CallRecording,
  type LiveCalls,
  type SessionResume,
  type VoiceChannel,
} from '../../voice/index.js';
import { atCapacity, linesBusyLine, OVER_CAPACITY, type CallCapacity } from './call-capacity.js';
import type { StartedStream, StreamCall } from './media-stream.js';
import { dialTwiml, type AssistStreamTwiml } from './twiml.js';

/** Said to a caller still on the line when the shutdown grace runs out. */
export const SHUTDOWN_GOODBYE = "I'm sorry, I have to end the call now. Please call back. Goodbye.";
/** How long that goodbye may take to play before the call is closed anyway. */
const GOODBYE_MAX_MS = 5000;

/** What one call's brain is built from; the app decides which brain and which tools. */
export interface BrainRequest {
  business: Business;
  profile: BusinessProfile;
  callSid: CallSid;
  callerId: E164 | undefined;
  /** The line the call is on; the brain words things for it and its records carry it. */
  channel?: VoiceChannel;
  log: Logger;
  /** Aborted once the call is over: the brain's writes that must outlive a barge-in use it. */
  lifetime: AbortSignal;
}

export interface CallControllerDeps {
  calls: CallsRepo;
  businesses: { getById(id: Business['id']): Promise<Business | undefined> };
  brainFor(req: BrainRequest): Brain;
  /** Synthesizers in failover order (TTS_PROVIDERS that loaded); never empty. */
  tts: readonly TextToSpeech[];
  /** Recognizers in failover order; empty: the agent only speaks. */
  stt: readonly SpeechToText[];
  /** A cloud provider with no result or audio within this is replaced for the rest of the call. */
  providerStallMs: number;
  /** Makes one voice activity detector per call, at 8 kHz. */
  vad: { createStream(sampleRate: 8000): VoiceActivityDetector };
  /** Moves a live call to new TwiML (Twilio REST); absent without an account (embedded default). */
  updateCallTwiml?: (callSid: CallSid, twiml: string) => Promise<void>;
  /**
   * ASSIST_ON_TRANSFER: a call moved to a person starts the assist stream (source 'transfer')
   * before its <Dial>, so the person is coached from then on. Absent: transfers are not listened to.
   */
  assistOnTransfer?: {
    streamUrl: string;
    /** A fresh assist token for this call (AssistTokens.issue with source 'transfer'). */
    token(callSid: CallSid, businessId: BusinessId): Promise<string>;
    statusCallbackUrl?: string;
  };
  /** Every call's events are published here, for listeners anywhere (assist feed, dashboard). */
  bus: EventBus<CallEvent>;
  liveCalls: LiveCalls;
  metrics: Metrics;
  log: Logger;
  /** Recordings go to `recordingsDir`, stored relative to `dataDir`. */
  dataDir: string;
  recordingsDir: string;
  /**
   * Keeps a finished call's recording instead of writing it in the call's end (the app's job-written
   * files: resolves with no path, the job marks the call row). Absent: written here, as before.
   */
  saveRecording?: (callSid: CallSid, recording: CallRecording) => Promise<string | undefined>;
  playoutLeadMs: number;
  /** VOICE_MODE: a business's settings (`voice.mode`) may override it. */
  voiceMode: 'pipeline' | 'realtime';
  /** OpenAI's settings for Realtime calls; undefined (no key, or the key was refused): the pipeline. */
  realtime: ConnectOpenAiRealtimeOptions['settings'] | undefined;
  /** The call's tools (the same the brain acts through): a Realtime call's tools run on them. */
  toolsFor(req: BrainRequest): AgentTools;
  /**
   * MAX_CONCURRENT_CALLS, checked again at stream start (the stream may land on another node
   * than its webhook): a node at its limit says "lines busy" over the stream and hangs up.
   */
  capacity?: CallCapacity;
}

/** OpenAI's documented server_vad defaults (issue 9): threshold 0.5, prefix 300 ms, silence 500 ms. */
const DEFAULT_TURN_DETECTION: RealtimeTurnDetection = {
  type: 'server_vad',
  threshold: 0.5,
  prefixPaddingMs: 300,
  silenceDurationMs: 500,
};

/**
 * A phone call from the moment its media stream starts: builds the session (brain, listening,
 * turn-taking from the business's settings), gives the call its event stream with its
 * listeners (call log, metrics, the end-of-call log line, the bus), keeps the recording, does
 * transfers, and enters the call in the registry of live calls until its end is written.
 */
export function createCallController(deps: CallControllerDeps): {
  startCall(stream: StartedStream): Promise<StreamCall>;
} {
  const { calls } = deps;

  const startCall = async (stream: StartedStream): Promise<StreamCall> => {
    try {
      return await startSession(stream);
    } catch (err) {
      // The stream claimed the call: give it an end, or it would look live until a restart.
      await calls
        .recordStatus({
          callSid: stream.callSid,
          status: 'failed',
          source: 'stream',
          occurredAt: new Date(),
          endReason: 'start-failed',
        })
        .catch((e: unknown) => stream.log.error({ err: e }, 'could not record a failed start'));
      throw err;
    }
  };

  const startSession = async (stream: StartedStream): Promise<StreamCall> => {
    const business = await deps.businesses.getById(stream.businessId);
    if (!business) throw new Error('business of this call is gone');
    const callSid = stream.callSid;
    const log = stream.log;
    // Full: the call still gets a (short) session, so what it heard and why it ended are written,
    // but no listening, no recording, no Realtime: the brain only says the line and hangs up.
    const refused = atCapacity(deps.capacity);
    if (refused) {
      deps.metrics.refusedCalls.inc({ reason: OVER_CAPACITY, at: 'stream' });
      log.warn(
        { liveCalls: deps.capacity?.live(), maxConcurrentCalls: deps.capacity?.max },
        'call declined at stream start: this node is at MAX_CONCURRENT_CALLS',
      );
    }

    const events = new CallEventStream(callSid, stream.businessId, {
      onListenerError: (err, e) => log.error({ err, event: e.type }, 'a call event listener failed'),
    });
    const callLog = new CallLog({
      store: callLogStore(calls, refused ? OVER_CAPACITY : undefined),
      streamSid: stream.streamSid,
      log,
    });
    events.subscribe(callLog.listener);
    events.subscribe(deps.metrics.observeCall);
    // The node's logger: the line names its call itself (the stream's logger would name it twice).
    events.subscribe(callEndLine(deps.log));
    events.subscribe((e) => {
      deps.bus.publish(e).catch((err: unknown) => log.warn({ err }, 'publishing a call event failed'));
    });

    const turnTaking = turnTakingFor(business.settings.turnTaking);
    const { profile, problems } = profileFromStored(business);
    if (problems.length > 0) log.warn({ problems }, 'business profile has problems; using what is valid');
    const lifetime = new AbortController();
    // Each call walks the chain on its own: one caller's failed provider does not move the others.
    const tts =
      deps.tts.length > 1
        ? new TtsChain(deps.tts, {
            stallMs: deps.providerStallMs,
            log,
            // The chain logs the switch itself, with the error's status and code.
            onSwitch: (sw) => events.emit({ type: 'provider-switched', kind: 'tts', ...sw }),
          })
        : deps.tts[0]!;
    const transfer = async (to: E164 | undefined): Promise<boolean> => {
      const number = to ?? profile.transferNumber;
      if (!number) return false;
      if (!deps.updateCallTwiml) {
        // Embedded default: no Twilio account to move the call with; the stream ends here.
        log.warn('transfer requested but no Twilio REST credentials are configured');
        return false;
      }
      const assistStream = await assistStreamFor(callSid);
      await deps.updateCallTwiml(
        callSid,
        dialTwiml({ number, callerId: business.phoneNumbers[0], ...(assistStream ? { assistStream } : {}) }),
      );
      return true;
    };
    /** The assist stream for a transfer, or none: assist failing never holds up the transfer. */
    const assistStreamFor = async (sid: CallSid): Promise<AssistStreamTwiml | undefined> => {
      const assist = deps.assistOnTransfer;
      if (!assist) return undefined;
      try {
        return {
          url: assist.streamUrl,
          token: await assist.token(sid, stream.businessId),
          ...(assist.statusCallbackUrl ? { statusCallbackUrl: assist.statusCallbackUrl } : {}),
        };
      } catch (err) {
        log.warn({ err }, 'no assist token for the transfer: the call moves without assist');
        return undefined;
      }
    };
    // A stream that says not to record (a browser room with recording off) keeps no audio.
    const keep =
      stream.record === false || refused
        ? {}
        : {
            saveRecording: (r: CallRecording) =>
              deps.saveRecording ? deps.saveRecording(callSid, r) : saveRecording(deps, callSid, r),
          };
    const brainRequest: BrainRequest = {
      business,
      profile,
      callSid,
      callerId: stream.callerId,
      channel: stream.channel ?? 'phone',
      log,
      lifetime: lifetime.signal,
    };
    const pipeline = (resume?: SessionResume) =>
      new CallSession({
        transport: stream.transport,
        hangup: stream.hangup,
        transfer,
        tts,
        brain: refused ? linesBusyBrain(business.name) : deps.brainFor(brainRequest),
        business: profile,
        callerId: stream.callerId,
        channel: brainRequest.channel ?? 'phone',
        ...(deps.stt.length > 0 && !refused
          ? {
              listening: {
                stt: deps.stt,
                stallMs: deps.providerStallMs,
                // The recognizer's open model carries this business's words (registered under its id).
                vocabulary: stream.businessId,
                detector: new SpeechDetector(deps.vad.createStream(8000), {
                  minSpeechMs: turnTaking.minTurnSpeechMs,
                  minSilenceMs: turnTaking.endOfTurnSilenceMs,
                }),
              },
            }
          : {}),
        turnTaking,
        events,
        ...keep,
        log,
        playoutLeadMs: deps.playoutLeadMs,
        ...(resume ? { resume } : {}),
      });

    const settings = businessSettingsSchema.safeParse(business.settings);
    const voice = settings.success ? settings.data.voice : undefined;
    if (!settings.success) log.warn('business voice settings are not valid; using the defaults');
    // Realtime is a plan feature (PRO): on other plans the pipeline answers whatever is configured.
    const mode = planAllows(business.plan, 'realtime') ? (voice?.mode ?? deps.voiceMode) : 'pipeline';
    if (mode === 'realtime' && !deps.realtime)
      log.warn('realtime voice without usable OpenAI settings: the pipeline takes the call');
    const realtime = mode === 'realtime' && !refused ? deps.realtime : undefined;
    const session = realtime
      ? new RealtimeSession({
          transport: stream.transport,
          hangup: stream.hangup,
          transfer,
          business: profile,
          callerId: stream.callerId,
          channel: brainRequest.channel ?? 'phone',
          tools: deps.toolsFor(brainRequest),
          lifetime: lifetime.signal,
          events,
          log,
          connect: (signal) =>
            connectOpenAiRealtime({
              settings: realtime,
              signal,
              log,
              connectTimeoutMs: deps.providerStallMs,
            }),
          voice: realtime.realtimeVoice,
          turnDetection: voice?.turnDetection ?? DEFAULT_TURN_DETECTION,
          // The same recording, event stream and transport go on in a pipeline session.
          takeOver: ({ resume }) => pipeline(resume),
          ...keep,
          playoutLeadMs: deps.playoutLeadMs,
          stallMs: deps.providerStallMs,
        })
      : pipeline();

    const end = deps.liveCalls.add({
      callSid,
      businessId: stream.businessId,
      startedAt: Date.now(),
      end: async (reason) => {
        try {
          await session.end(reason);
          // The database may be closed right after this resolves: the log is written first.
          await callLog.flushed();
        } finally {
          lifetime.abort();
        }
      },
      endWithGoodbye: async () => {
        await session.sayGoodbye(SHUTDOWN_GOODBYE, GOODBYE_MAX_MS);
        await end('shutdown');
        // A normal close (1000): with nothing after <Connect>, Twilio hangs up, no error.
        stream.hangup();
      },
    });
    session.start();
    return {
      onAudio: (b, payload) => session.onAudio(b, payload),
      onDtmf: (d) => session.onDtmf(d),
      onMarkEcho: (n) => session.onMarkEcho(n),
      end,
    };
  };

  return { startCall };
}

/** Says the busy line and hangs up, whatever the caller does. */
function linesBusyBrain(businessName: string): Brain {
  return {
    name: OVER_CAPACITY,
    async *respond(turn): AsyncIterable<BrainOutput> {
      if (turn.kind !== 'call-started') return;
      yield { type: 'say', text: linesBusyLine(businessName) };
      yield { type: 'end-call', reason: 'completed' };
    },
  };
}

/** The calls repository as the call log's store; `endReason` stands for the session's own. */
function callLogStore(calls: CallsRepo, endReason?: string): CallLogStore {
  return {
    appendTurn: (sid, t) => calls.appendTurn(sid, t),
    appendEvent: (sid, type, payload, at) => calls.appendEvent(sid, type, payload, at),
    setRecording: (sid, p) => calls.setRecording(sid, p),
    setSummary: (sid, s) => calls.setSummary(sid, s),
    endCall: (sid, end) =>
      end.transferred
        ? calls.setEndReason(sid, 'transferred')
        : calls.recordStatus({
            callSid: sid,
            status: 'completed',
            source: 'stream',
            occurredAt: end.at,
            endReason: endReason ?? end.reason,
          }),
  };
}

/** Written without blocking the event loop, owner-only, and never over an existing recording. */
async function saveRecording(
  deps: Pick<CallControllerDeps, 'dataDir' | 'recordingsDir'>,
  callSid: CallSid,
  r: CallRecording,
): Promise<string> {
  await mkdir(deps.recordingsDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const file = path.join(deps.recordingsDir, `${callSid}.wav`);
  // 'wx': a recording is never overwritten, whatever reaches this path.
  await writePrivateFile(file, writeWav({ sampleRate: r.sampleRate, channels: r.channels }), { flag: 'wx' });
  return path.relative(deps.dataDir, file);
}
