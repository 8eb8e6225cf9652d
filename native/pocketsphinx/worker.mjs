/*
 * Worker thread that owns PocketSphinx decoders and runs them off the main event loop.
 * A dumb message loop: every decision (which decoder, when to ask for a hypothesis) is made
 * by src/providers/stt/pocketsphinx.ts. Messages are handled strictly in arrival order, so
 * the caller may post create/start/process without waiting for replies.
 *
 * In:  { seq, op: 'create', id, args, cmn? }      -> value: null (cmn: starting mean)
 *      { seq, op: 'load', id, name, lm, dict?, drop? } -> value: null
 *          (dict, a dictionary file, replaces the decoder's first, so the model's words are all
 *          pronounceable; lm is added as search `name`; `drop`, an older search, is freed)
 *      { seq, op: 'start', id, resetChannel, search } -> value: null (search: its name)
 *      { seq, op: 'process', id, samples, hyp }   -> value: hypothesis string, or null
 *      { seq, op: 'end', id, prob, nbest }        -> value: { text, score, frames, prob?, nbest? }
 *      { seq, op: 'abort', id }                   -> value: null (utterance dropped)
 *      { seq, op: 'free', id }                    -> value: null
 * Out: { seq, ok: true, value, busyMs, cpuMs } | { seq, ok: false, message, code }
 *      (busyMs: wall time spent on the message; cpuMs: this thread's CPU time for it)
 */
import { createRequire } from 'node:module';
import process from 'node:process';
import { parentPort, workerData } from 'node:worker_threads';

const ps = createRequire(import.meta.url)(workerData.addonPath);
/** id -> { handle, cmn0, inUtt } */
const decoders = new Map();

function decoder(id) {
  const d = decoders.get(id);
  if (d === undefined) throw Object.assign(new Error(`no decoder ${id}`), { code: 'ERR_NO_DECODER' });
  return d;
}

function handle(m) {
  switch (m.op) {
    case 'create': {
      const handle = ps.create(m.args);
      // The cepstral mean to restart each stream from: given, or the model's own.
      const cmn0 = m.cmn ? Float32Array.from(m.cmn) : ps.getCmn(handle);
      if (m.cmn) ps.setCmn(handle, cmn0);
      decoders.set(m.id, { handle, cmn0, inUtt: false });
      return null;
    }
    case 'load': {
      const d = decoder(m.id);
      if (m.dict) ps.loadDict(d.handle, m.dict);
      ps.setLm(d.handle, m.name, m.lm);
      if (m.drop) {
        // The active search cannot be freed: move off it first.
        if (ps.search(d.handle) === m.drop) ps.useSearch(d.handle, m.name);
        ps.unsetSearch(d.handle, m.drop);
      }
      return null;
    }
    case 'start': {
      const d = decoder(m.id);
      if (m.search && ps.search(d.handle) !== m.search) ps.useSearch(d.handle, m.search);
      if (m.resetChannel) ps.setCmn(d.handle, d.cmn0);
      ps.start(d.handle, m.resetChannel === true);
      d.inUtt = true;
      return null;
    }
    case 'process': {
      const d = decoder(m.id);
      ps.process(d.handle, m.samples);
      return m.hyp ? ps.hyp(d.handle) : null;
    }
    case 'end': {
      const d = decoder(m.id);
      d.inUtt = false;
      return ps.end(d.handle, m.prob === true, m.nbest ?? 0);
    }
    case 'abort': {
      const d = decoder(m.id);
      if (d.inUtt) {
        d.inUtt = false;
        ps.end(d.handle, false);
      }
      return null;
    }
    case 'free': {
      const d = decoders.get(m.id);
      if (d !== undefined) {
        decoders.delete(m.id);
        ps.free(d.handle);
      }
      return null;
    }
    default:
      throw Object.assign(new Error(`unknown op ${m.op}`), { code: 'ERR_UNKNOWN_OP' });
  }
}

parentPort.on('message', (m) => {
  const t0 = process.hrtime.bigint();
  const cpu0 = ps.threadCpuMs();
  try {
    const value = handle(m);
    const busyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpuMs = ps.threadCpuMs() - cpu0;
    parentPort.postMessage({ seq: m.seq, ok: true, value, busyMs, cpuMs });
  } catch (err) {
    parentPort.postMessage({
      seq: m.seq,
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      code: err && typeof err === 'object' && 'code' in err ? String(err.code) : undefined,
    });
  }
});
