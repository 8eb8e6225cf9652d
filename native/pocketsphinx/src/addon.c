/*
 * Minimal N-API binding to Debian's PocketSphinx 5prealpha (libpocketsphinx3):
 * one decoder handle, utterances started, fed PCM16 and ended from JavaScript.
 * A decoder holds named searches (n-gram or grammar), one of which is active per
 * utterance, and can read back an N-best list at the end.
 *
 * A decoder is not thread-safe: use each handle from the thread that made it
 * (the TypeScript side keeps each decoder inside one worker thread).
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <node_api.h>
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/logmath.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define DECODER_MAGIC 0x50534443u /* "PSDC" */
#define MAX_ARGS 128
#define MAX_NBEST 16
/* Lattice paths walked at most for the N-best list. */
#define NBEST_PATHS 40

typedef struct {
  uint32_t magic;
  ps_decoder_t *ps;
  int in_utt;
} decoder_t;

/* The library logs through one process-wide callback. Keep the last error per
 * thread so a failed call can say why, and drop the chatty INFO lines. */
static _Thread_local char last_error[512];

static void log_cb(void *user_data, err_lvl_t lvl, const char *fmt, ...) {
  (void)user_data;
  if (lvl < ERR_ERROR) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  size_t n = strlen(last_error);
  while (n > 0 && (last_error[n - 1] == '\n' || last_error[n - 1] == ' ')) last_error[--n] = '\0';
}

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "pocketsphinx addon: N-API call failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_ps(napi_env env, const char *what) {
  char msg[700];
  if (last_error[0] != '\0')
    snprintf(msg, sizeof msg, "%s: %s", what, last_error);
  else
    snprintf(msg, sizeof msg, "%s", what);
  last_error[0] = '\0';
  napi_throw_error(env, "ERR_POCKETSPHINX", msg);
  return NULL;
}

static void finalize_decoder(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  decoder_t *d = data;
  if (d->ps != NULL) ps_free(d->ps);
  d->ps = NULL;
  d->magic = 0;
  free(d);
}

/* Returns the live decoder behind args[0], or NULL with a JS exception pending. */
static decoder_t *get_decoder(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) {
    napi_throw_type_error(env, NULL, "expected a decoder handle");
    return NULL;
  }
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL ||
      ((decoder_t *)data)->magic != DECODER_MAGIC) {
    napi_throw_type_error(env, NULL, "expected a decoder handle");
    return NULL;
  }
  decoder_t *d = data;
  if (d->ps == NULL) {
    napi_throw_error(env, "ERR_POCKETSPHINX_FREED", "decoder already freed");
    return NULL;
  }
  return d;
}

/* Reads a string argument into a malloc'd buffer (caller frees), or NULL with a JS exception. */
static char *get_string(napi_env env, napi_value v, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* Shared shape of (handle, name, path) calls: setLm, setJsgf. */
static napi_value set_search_file(napi_env env, napi_callback_info info, int jsgf) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const char *usage = jsgf ? "setJsgf(handle, name, path)" : "setLm(handle, name, path)";
  if (argc < 3) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  if (d->in_utt) {
    napi_throw_error(env, "ERR_POCKETSPHINX_STATE", "cannot load a search during an utterance");
    return NULL;
  }
  char *name = get_string(env, argv[1], usage);
  if (name == NULL) return NULL;
  char *path = get_string(env, argv[2], usage);
  if (path == NULL) {
    free(name);
    return NULL;
  }
  last_error[0] = '\0';
  int rv = jsgf ? ps_set_jsgf_file(d->ps, name, path) : ps_set_lm_file(d->ps, name, path);
  free(name);
  free(path);
  if (rv < 0) return throw_ps(env, jsgf ? "pocketsphinx: could not load grammar" : "pocketsphinx: could not load language model");
  return NULL;
}

/* setLm(handle, name, path): add (or replace) an n-gram search under name. Not activated. */
static napi_value set_lm(napi_env env, napi_callback_info info) { return set_search_file(env, info, 0); }

/* setJsgf(handle, name, path): add (or replace) a JSGF grammar search under name. Not activated. */
static napi_value set_jsgf(napi_env env, napi_callback_info info) { return set_search_file(env, info, 1); }

/* useSearch(handle, name): the search the next utterance runs. */
static napi_value use_search(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "useSearch(handle, name)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  if (d->in_utt) {
    napi_throw_error(env, "ERR_POCKETSPHINX_STATE", "cannot switch search during an utterance");
    return NULL;
  }
  char *name = get_string(env, argv[1], "useSearch(handle, name)");
  if (name == NULL) return NULL;
  last_error[0] = '\0';
  int rv = ps_set_search(d->ps, name);
  free(name);
  if (rv < 0) return throw_ps(env, "pocketsphinx: no such search");
  return NULL;
}

/* unsetSearch(handle, name): drop a search that is not the active one (frees its model). */
static napi_value unset_search(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "unsetSearch(handle, name)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  char *name = get_string(env, argv[1], "unsetSearch(handle, name)");
  if (name == NULL) return NULL;
  const char *active = ps_get_search(d->ps);
  if (active != NULL && strcmp(active, name) == 0) {
    free(name);
    napi_throw_error(env, "ERR_POCKETSPHINX_STATE", "cannot unset the active search");
    return NULL;
  }
  ps_unset_search(d->ps, name);
  free(name);
  return NULL;
}

/* search(handle): name of the active search. */
static napi_value search_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "search(handle)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  const char *name = ps_get_search(d->ps);
  napi_value out;
  CHECK(napi_create_string_utf8(env, name != NULL ? name : "", NAPI_AUTO_LENGTH, &out));
  return out;
}

/* loadDict(handle, path): replace the pronunciation dictionary (fillers kept) and rebuild every
 * search for it. Unlike addWords, the searches' language models are left as they are. */
static napi_value load_dict(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "loadDict(handle, path)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  if (d->in_utt) {
    napi_throw_error(env, "ERR_POCKETSPHINX_STATE", "cannot load a dictionary during an utterance");
    return NULL;
  }
  char *path = get_string(env, argv[1], "loadDict(handle, path)");
  if (path == NULL) return NULL;
  last_error[0] = '\0';
  int rv = ps_load_dict(d->ps, path, NULL, NULL);
  free(path);
  if (rv < 0) return throw_ps(env, "pocketsphinx: could not load dictionary");
  return NULL;
}

/* addWords(handle, entries: [word, phones][]): number added. Words already in the dictionary
 * are left alone; the searches are rebuilt once, with the last word added (costly per call).
 * Beware: this library version also adds each new word to every n-gram search's model, at a
 * uniform unigram weight; to give one search words without leaking them into the others, use
 * loadDict. */
static napi_value add_words(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc < 2 || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "addWords(handle, entries: [word, phones][])");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  if (d->in_utt) {
    napi_throw_error(env, "ERR_POCKETSPHINX_STATE", "cannot add words during an utterance");
    return NULL;
  }
  uint32_t n = 0;
  CHECK(napi_get_array_length(env, argv[1], &n));
  char **words = calloc(n > 0 ? n : 1, sizeof *words);
  char **phones = calloc(n > 0 ? n : 1, sizeof *phones);
  napi_value result = NULL;
  uint32_t k = 0; /* unknown words collected */
  if (words == NULL || phones == NULL) {
    napi_throw_error(env, NULL, "addWords: out of memory");
    goto out;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value pair, w, p;
    if (napi_get_element(env, argv[1], i, &pair) != napi_ok ||
        napi_get_element(env, pair, 0, &w) != napi_ok || napi_get_element(env, pair, 1, &p) != napi_ok) {
      napi_throw_type_error(env, NULL, "addWords: entries must be [word, phones]");
      goto out;
    }
    char *word = get_string(env, w, "addWords: word must be a string");
    if (word == NULL) goto out;
    char *known = ps_lookup_word(d->ps, word);
    if (known != NULL) {
      free(known);
      free(word);
      continue;
    }
    char *ph = get_string(env, p, "addWords: phones must be a string");
    if (ph == NULL) {
      free(word);
      goto out;
    }
    words[k] = word;
    phones[k] = ph;
    k++;
  }
  for (uint32_t i = 0; i < k; i++) {
    last_error[0] = '\0';
    if (ps_add_word(d->ps, words[i], phones[i], i + 1 == k ? TRUE : FALSE) < 0) {
      throw_ps(env, "pocketsphinx: could not add word");
      goto out;
    }
  }
  CHECK(napi_create_int32(env, (int32_t)k, &result));
out:
  for (uint32_t i = 0; i < k; i++) {
    free(words[i]);
    free(phones[i]);
  }
  free(words);
  free(phones);
  return result;
}

/* create(args: string[]): handle. args are PocketSphinx command-line pairs,
 * e.g. ["-hmm", dir, "-lm", file, "-dict", file]. */
static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "create(args: string[])");
    return NULL;
  }
  uint32_t n = 0;
  CHECK(napi_get_array_length(env, argv[0], &n));
  if (n > MAX_ARGS || n % 2 != 0) {
    napi_throw_range_error(env, NULL, "create: args must be name/value pairs");
    return NULL;
  }
  char *cargs[MAX_ARGS];
  uint32_t made = 0;
  napi_value result = NULL;
  for (; made < n; made++) {
    napi_value el;
    size_t len = 0;
    if (napi_get_element(env, argv[0], made, &el) != napi_ok ||
        napi_get_value_string_utf8(env, el, NULL, 0, &len) != napi_ok) {
      napi_throw_type_error(env, NULL, "create: every arg must be a string");
      goto out;
    }
    cargs[made] = malloc(len + 1);
    if (cargs[made] == NULL) {
      napi_throw_error(env, NULL, "create: out of memory");
      goto out;
    }
    napi_get_value_string_utf8(env, el, cargs[made], len + 1, &len);
  }
  last_error[0] = '\0';
  cmd_ln_t *config = cmd_ln_parse_r(NULL, ps_args(), (int32)n, cargs, TRUE);
  if (config == NULL) {
    throw_ps(env, "pocketsphinx: bad configuration");
    goto out;
  }
  ps_decoder_t *ps = ps_init(config);
  cmd_ln_free_r(config); /* ps_init keeps its own reference */
  if (ps == NULL) {
    throw_ps(env, "pocketsphinx: could not create decoder");
    goto out;
  }
  decoder_t *d = calloc(1, sizeof *d);
  if (d == NULL) {
    ps_free(ps);
    napi_throw_error(env, NULL, "create: out of memory");
    goto out;
  }
  d->magic = DECODER_MAGIC;
  d->ps = ps;
  if (napi_create_external(env, d, finalize_decoder, NULL, &result) != napi_ok) {
    ps_free(ps);
    free(d);
    result = NULL;
    napi_throw_error(env, NULL, "create: could not wrap decoder");
  }
out:
  for (uint32_t i = 0; i < made; i++) free(cargs[i]);
  return result;
}

/* start(handle, newStream?: boolean): begin an utterance. newStream also resets the
 * channel estimates (noise floor) kept across utterances, as for a new caller. */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "start(handle, newStream?)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  bool new_stream = false;
  if (argc >= 2) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[1], &t));
    if (t == napi_boolean) CHECK(napi_get_value_bool(env, argv[1], &new_stream));
  }
  if (d->in_utt) {
    ps_end_utt(d->ps); /* a dropped utterance: discard it */
    d->in_utt = 0;
  }
  if (new_stream && ps_start_stream(d->ps) < 0) return throw_ps(env, "pocketsphinx: start_stream failed");
  if (ps_start_utt(d->ps) < 0) return throw_ps(env, "pocketsphinx: start_utt failed");
  d->in_utt = 1;
  return NULL;
}

/* process(handle, samples: Int16Array, fullUtt?: boolean): frames searched so far.
 * fullUtt says the samples are the whole utterance (enables batch CMN). */
static napi_value process(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "process(handle, samples: Int16Array)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  bool is_ta = false;
  CHECK(napi_is_typedarray(env, argv[1], &is_ta));
  if (!is_ta) {
    napi_throw_type_error(env, NULL, "process: samples must be an Int16Array");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_int16_array) {
    napi_throw_type_error(env, NULL, "process: samples must be an Int16Array");
    return NULL;
  }
  if (!d->in_utt) {
    napi_throw_error(env, "ERR_POCKETSPHINX_STATE", "process: no utterance started");
    return NULL;
  }
  bool full_utt = false;
  if (argc >= 3) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[2], &t));
    if (t == napi_boolean) CHECK(napi_get_value_bool(env, argv[2], &full_utt));
  }
  if (length > 0 &&
      ps_process_raw(d->ps, (const int16 *)data, length, FALSE, full_utt ? TRUE : FALSE) < 0)
    return throw_ps(env, "pocketsphinx: process_raw failed");
  napi_value out;
  CHECK(napi_create_int32(env, ps_get_n_frames(d->ps), &out));
  return out;
}

/* hyp(handle): best hypothesis so far ("" when none). */
static napi_value hyp(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "hyp(handle)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  int32 score = 0;
  const char *h = ps_get_hyp(d->ps, &score);
  napi_value out;
  CHECK(napi_create_string_utf8(env, h != NULL ? h : "", NAPI_AUTO_LENGTH, &out));
  return out;
}

/* Up to n distinct word strings from the lattice's N-best list, best first, the best
 * hypothesis excluded. Many paths differ only in timing or fillers, so only a bounded number
 * of paths is walked (A* on a long utterance's lattice is not free). */
static napi_value nbest_list(napi_env env, ps_decoder_t *ps, const char *best, int32_t n) {
  napi_value list;
  if (napi_create_array(env, &list) != napi_ok) {
    napi_throw_error(env, NULL, "pocketsphinx addon: N-API call failed");
    return NULL;
  }
  char seen[MAX_NBEST][256];
  int32_t found = 0;
  int walked = 0;
  ps_nbest_t *it = ps_nbest(ps);
  for (; it != NULL && found < n && walked < NBEST_PATHS; it = ps_nbest_next(it), walked++) {
    int32 score = 0;
    const char *text = ps_nbest_hyp(it, &score);
    if (text == NULL || text[0] == '\0' || strcmp(text, best) == 0) continue;
    int dup = 0;
    for (int32_t j = 0; j < found && !dup; j++) dup = strncmp(seen[j], text, sizeof seen[j] - 1) == 0;
    if (dup) continue;
    snprintf(seen[found], sizeof seen[found], "%s", text);
    napi_value v;
    if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v) != napi_ok ||
        napi_set_element(env, list, (uint32_t)found, v) != napi_ok) {
      if (it != NULL) ps_nbest_free(it);
      napi_throw_error(env, NULL, "pocketsphinx addon: N-API call failed");
      return NULL;
    }
    found++;
  }
  if (it != NULL) ps_nbest_free(it);
  return list;
}

/* end(handle, withProb?: boolean, nBest?: number): { text, score, prob?, frames, nbest? }.
 * prob is the posterior of the best path (0..1), from the word lattice; nbest up to nBest
 * other distinct readings, best first. */
static napi_value end(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "end(handle, withProb?, nBest?)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  bool with_prob = false;
  if (argc >= 2) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[1], &t));
    if (t == napi_boolean) CHECK(napi_get_value_bool(env, argv[1], &with_prob));
  }
  int32_t n_best = 0;
  if (argc >= 3) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[2], &t));
    if (t == napi_number) CHECK(napi_get_value_int32(env, argv[2], &n_best));
    if (n_best > MAX_NBEST) n_best = MAX_NBEST;
  }
  if (!d->in_utt) {
    napi_throw_error(env, "ERR_POCKETSPHINX_STATE", "end: no utterance started");
    return NULL;
  }
  d->in_utt = 0;
  if (ps_end_utt(d->ps) < 0) return throw_ps(env, "pocketsphinx: end_utt failed");
  int32 score = 0;
  const char *h = ps_get_hyp(d->ps, &score);
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, h != NULL ? h : "", NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "text", v));
  CHECK(napi_create_int32(env, score, &v));
  CHECK(napi_set_named_property(env, out, "score", v));
  CHECK(napi_create_int32(env, ps_get_n_frames(d->ps), &v));
  CHECK(napi_set_named_property(env, out, "frames", v));
  if (with_prob && h != NULL && h[0] != '\0') {
    int32 lp = ps_get_prob(d->ps);
    CHECK(napi_create_double(env, logmath_exp(ps_get_logmath(d->ps), lp), &v));
    CHECK(napi_set_named_property(env, out, "prob", v));
  }
  if (n_best > 0 && h != NULL && h[0] != '\0') {
    napi_value list = nbest_list(env, d->ps, h, n_best);
    if (list == NULL) return NULL;
    CHECK(napi_set_named_property(env, out, "nbest", list));
  }
  return out;
}

/* getCmn(handle): the cepstral mean the next frames will be normalised with. */
static napi_value get_cmn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "getCmn(handle)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  feat_t *feat = ps_get_feat(d->ps);
  if (feat == NULL || feat->cmn_struct == NULL) return NULL;
  int32 n = feat->cmn_struct->veclen;
  void *buf = NULL;
  napi_value ab, out;
  CHECK(napi_create_arraybuffer(env, (size_t)n * sizeof(float), &buf, &ab));
  cmn_live_get(feat->cmn_struct, (mfcc_t *)buf);
  CHECK(napi_create_typedarray(env, napi_float32_array, (size_t)n, ab, 0, &out));
  return out;
}

/* setCmn(handle, mean: Float32Array): restart live CMN from this mean, so a
 * reused decoder does not carry the previous caller's channel into the next. */
static napi_value set_cmn(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "setCmn(handle, mean: Float32Array)");
    return NULL;
  }
  decoder_t *d = get_decoder(env, argv[0]);
  if (d == NULL) return NULL;
  feat_t *feat = ps_get_feat(d->ps);
  if (feat == NULL || feat->cmn_struct == NULL) return NULL;
  bool is_ta = false;
  CHECK(napi_is_typedarray(env, argv[1], &is_ta));
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void *data = NULL;
  if (is_ta) CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (!is_ta || type != napi_float32_array || length != (size_t)feat->cmn_struct->veclen) {
    napi_throw_type_error(env, NULL, "setCmn: mean must be a Float32Array of the cepstrum length");
    return NULL;
  }
  cmn_live_set(feat->cmn_struct, (const mfcc_t *)data);
  return NULL;
}

/* free(handle): release now rather than at garbage collection. Idempotent. */
static napi_value free_decoder(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return NULL;
  napi_valuetype t;
  void *data = NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL ||
      ((decoder_t *)data)->magic != DECODER_MAGIC) {
    napi_throw_type_error(env, NULL, "free(handle)");
    return NULL;
  }
  decoder_t *d = data;
  if (d->ps != NULL) {
    if (d->in_utt) ps_end_utt(d->ps);
    ps_free(d->ps);
    d->ps = NULL;
    d->in_utt = 0;
  }
  return NULL;
}

/* threadCpuMs(): CPU time used by the calling thread (ms), to cost decoding exactly even
 * when other work shares the machine. */
static napi_value thread_cpu_ms(napi_env env, napi_callback_info info) {
  (void)info;
  struct rusage ru;
  double ms = 0;
  if (getrusage(RUSAGE_THREAD, &ru) == 0) {
    ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  }
  napi_value out;
  CHECK(napi_create_double(env, ms, &out));
  return out;
}

NAPI_MODULE_INIT() {
  /* No log file (it would also receive the configuration dump on every
   * decoder); errors go to log_cb and come back as exception messages. */
  err_set_logfp(NULL);
  err_set_callback(log_cb, NULL);
  napi_property_descriptor props[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"process", NULL, process, NULL, NULL, NULL, napi_default, NULL},
      {"hyp", NULL, hyp, NULL, NULL, NULL, napi_default, NULL},
      {"end", NULL, end, NULL, NULL, NULL, napi_default, NULL},
      {"getCmn", NULL, get_cmn, NULL, NULL, NULL, napi_default, NULL},
      {"setCmn", NULL, set_cmn, NULL, NULL, NULL, napi_default, NULL},
      {"threadCpuMs", NULL, thread_cpu_ms, NULL, NULL, NULL, napi_default, NULL},
      {"free", NULL, free_decoder, NULL, NULL, NULL, napi_default, NULL},
      {"setLm", NULL, set_lm, NULL, NULL, NULL, napi_default, NULL},
      {"setJsgf", NULL, set_jsgf, NULL, NULL, NULL, napi_default, NULL},
      {"useSearch", NULL, use_search, NULL, NULL, NULL, napi_default, NULL},
      {"unsetSearch", NULL, unset_search, NULL, NULL, NULL, napi_default, NULL},
      {"search", NULL, search_name, NULL, NULL, NULL, napi_default, NULL},
      {"addWords", NULL, add_words, NULL, NULL, NULL, napi_default, NULL},
      {"loadDict", NULL, load_dict, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
