/**
 * The browser call page (/call?room=NAME): the visitor gives a name and starts the call; the
 * page joins the room (POST /room/join), opens the media socket and talks to the agent over it
 * in the wire format of src/telephony/web/web-call-protocol.ts: 160-byte mu-law frames both
 * ways, JSON for marks, clear, captions and the end. The microphone is encoded and the agent's
 * audio played by the worklets in audio-worklet.ts.
 */
import './call.css';

interface JoinAnswer {
  agentPresent: boolean;
  expiresIn: number;
  media: { url: string; token: string };
}

type ServerMessage =
  | { type: 'ready'; callSid: string }
  | { type: 'mark'; name: string }
  | { type: 'clear' }
  | { type: 'transcript'; speaker: 'caller' | 'agent'; text: string }
  | { type: 'ended'; reason: string };

/** What the page says for each way the socket can close (see CLOSE in web-call-protocol.ts). */
const CLOSE_TEXT: Record<number, string> = {
  1000: 'Call ended.',
  1008: 'This call link is no longer valid. Start the call again.',
  1013: 'The call could not start. Please try again in a moment.',
  4003: 'No agent is answering in this room right now.',
  4004: 'This room does not exist or is closed.',
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('call-form');
const nameInput = $<HTMLInputElement>('caller-name');
const startButton = $<HTMLButtonElement>('start');
const hangupButton = $<HTMLButtonElement>('hangup');
const statusLine = $<HTMLParagraphElement>('status');
const captions = $<HTMLOListElement>('captions');
const workletUrl =
  document.querySelector<HTMLElement>('main.call')?.dataset['worklet'] ?? '/call/assets/audio-worklet.js';
const room = new URLSearchParams(location.search).get('room') ?? '';
$<HTMLSpanElement>('room-name').textContent = room || '(none)';

let current: Call | undefined;

const setStatus = (text: string) => {
  statusLine.textContent = text;
};

const setInCall = (inCall: boolean) => {
  startButton.disabled = inCall;
  nameInput.disabled = inCall;
  hangupButton.disabled = !inCall;
};

function addCaption(speaker: 'caller' | 'agent', text: string): void {
  const li = document.createElement('li');
  li.className = speaker;
  const who = document.createElement('strong');
  who.textContent = speaker === 'agent' ? 'Agent: ' : 'You: ';
  li.append(who, document.createTextNode(text));
  captions.append(li);
  li.scrollIntoView({ block: 'nearest' });
}

/** One call: microphone, audio graph and socket, all released together. */
class Call {
  private ended = false;
  private ready = false;

  private constructor(
    private readonly socket: WebSocket,
    private readonly context: AudioContext,
    private readonly stream: MediaStream,
    private readonly speaker: AudioWorkletNode,
  ) {}

  static async start(identity: string): Promise<Call | undefined> {
    setStatus('Asking for the microphone…');
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
    const context = new AudioContext();
    try {
      await context.audioWorklet.addModule(workletUrl);
      setStatus('Joining the room…');
      const res = await fetch('/room/join', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ room, identity }),
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        throw new Error(
          res.status === 404 ? CLOSE_TEXT[4004]! : (body.message ?? `Joining failed (${res.status}).`),
        );
      }
      const join = (await res.json()) as JoinAnswer;
      if (!join.agentPresent) throw new Error(CLOSE_TEXT[4003]!);

      const mic = new AudioWorkletNode(context, 'mic-encoder', { numberOfOutputs: 1 });
      const speaker = new AudioWorkletNode(context, 'speaker', {
        numberOfInputs: 0,
        outputChannelCount: [1],
      });
      const socket = new WebSocket(`${join.media.url}?token=${encodeURIComponent(join.media.token)}`);
      socket.binaryType = 'arraybuffer';
      const call = new Call(socket, context, stream, speaker);
      // The encoder must be pulled by the graph to run; its output is silence, muted anyway.
      const mute = context.createGain();
      mute.gain.value = 0;
      context.createMediaStreamSource(stream).connect(mic).connect(mute).connect(context.destination);
      speaker.connect(context.destination);
      mic.port.onmessage = (e: MessageEvent<ArrayBuffer>) => call.sendAudio(e.data);
      speaker.port.onmessage = (e: MessageEvent<{ type: 'mark'; name: string }>) =>
        call.sendText({ type: 'mark', name: e.data.name });
      socket.onopen = () => setStatus('Connecting to the agent…');
      socket.onmessage = (e: MessageEvent<ArrayBuffer | string>) => call.onMessage(e.data);
      socket.onclose = (e) => call.finish(CLOSE_TEXT[e.code] ?? `Call ended (${e.reason || e.code}).`);
      await context.resume();
      return call;
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      void context.close();
      throw err;
    }
  }

  sendAudio(frame: ArrayBuffer): void {
    if (this.ready && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  sendText(m: { type: 'mark'; name: string } | { type: 'hangup' } | { type: 'dtmf'; digit: string }): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(m));
  }

  onMessage(data: ArrayBuffer | string): void {
    if (typeof data !== 'string') {
      this.speaker.port.postMessage({ type: 'audio', frame: data }, [data]);
      return;
    }
    let m: ServerMessage;
    try {
      m = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    switch (m.type) {
      case 'ready':
        this.ready = true;
        setStatus('Connected. Speak when you are ready.');
        break;
      case 'mark':
        this.speaker.port.postMessage({ type: 'mark', name: m.name });
        break;
      case 'clear':
        this.speaker.port.postMessage({ type: 'clear' });
        break;
      case 'transcript':
        addCaption(m.speaker, m.text);
        break;
      case 'ended':
        setStatus(m.reason === 'no agent in this room' ? CLOSE_TEXT[4003]! : `Call ended: ${m.reason}.`);
        break;
    }
  }

  hangUp(): void {
    this.sendText({ type: 'hangup' });
    this.socket.close(1000, 'caller hung up');
    this.finish('Call ended.');
  }

  finish(text: string): void {
    if (this.ended) return;
    this.ended = true;
    setStatus(text);
    this.stream.getTracks().forEach((t) => t.stop());
    void this.context.close();
    setInCall(false);
    if (current === this) current = undefined;
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const identity = nameInput.value.trim();
  if (!room) {
    setStatus('This link names no room.');
    return;
  }
  if (!identity) {
    setStatus('Please enter your name.');
    nameInput.focus();
    return;
  }
  setInCall(true);
  Call.start(identity)
    .then((call) => {
      current = call;
      hangupButton.focus();
    })
    .catch((err: unknown) => {
      setInCall(false);
      const denied = err instanceof DOMException && err.name === 'NotAllowedError';
      setStatus(
        denied
          ? 'The call needs your microphone: allow it and try again.'
          : String((err as Error).message ?? err),
      );
    });
});

hangupButton.addEventListener('click', () => current?.hangUp());
