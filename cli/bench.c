/* asr bench: what streaming recognition costs and how late its words come.
 *
 * Three passes over the same files: an offline pass (the whole file in one
 * call) gives the model's own word times; a timed streaming pass feeds
 * --chunk-ms chunks as fast as possible and replays the measured times on a
 * simulated real-time clock to get latencies; a throughput pass runs the
 * same work on 1..N threads. */
#include <cblas.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "bench_stats.h"
#include "cli.h"
#include "progress.h"
#include "text_file.h"

static const char usage[] =
    "Usage: asr bench [OPTIONS] FILE...\n"
    "       asr bench [OPTIONS] --manifest MANIFEST\n"
    "\n"
    "Measures the cost and latency of streaming recognition. The audio is fed in\n"
    "chunks of --chunk-ms as fast as possible, with a partial result read after\n"
    "every chunk, and each call is timed. Reports:\n"
    "  model load      wall time of loading the model file\n"
    "  RTF             CPU seconds per second of audio, one thread\n"
    "  chunk time      wall time of one chunk (accept audio + read partial):\n"
    "                  p50/p90/p99/max over all chunks\n"
    "  chunk CPU time  the same in CPU time of the thread: unlike the wall time,\n"
    "                  not stretched when other programs take the CPU away\n"
    "  first partial   when the first word shows in the partials, after the first\n"
    "                  word starts in the audio (per file)\n"
    "  final latency   from the last sample fed to the final result (per file)\n"
    "  word emission   when each word first shows in the partials, after it ends\n"
    "                  in the audio (per word)\n"
    "  peak RSS        the process's peak resident memory after the streaming pass\n"
    "  throughput      audio seconds per wall second with 1..N threads, each its\n"
    "                  own stream over the shared model\n"
    "Latencies replay the measured chunk times as if audio arrived in real time:\n"
    "a chunk is ready when its last sample is, and waits for the previous chunk.\n"
    "Word times come from the model's own alignment: an offline pass of the\n"
    "whole file. Bidirectional models only give results at the end, so their\n"
    "latencies are whole-utterance.\n"
    "\n"
    "Options:\n"
    "  --model FILE      acoustic model (default: $ASR_MODEL, else\n"
    "                    pretrained/en-lstm-phones.gguf, else en-lstm.gguf)\n"
    "  --manifest FILE   take the audio of a manifest (ID<TAB>AUDIO<TAB>TEXT lines,\n"
    "                    as for 'asr eval')\n"
    "  --limit N         only the first N files\n"
    "  --chunk-ms MS     audio per call (default 100)\n"
    "  --beam N          CTC prefix beam width; 1 = greedy (default 8, " ASR_LM_BEAM_TEXT
    " with an LM,\n"
    "                    " ASR_LM_BEAM_WHOLE_TEXT " for a bidirectional model)\n"
    "  -j N              throughput with 1..N threads (default: the number of CPUs);\n"
    "                    0 skips the throughput pass\n"
    "  --json            one JSON object instead of the table\n"
    "  -q, --quiet       no progress line (shown only when stderr is a terminal)\n"
    "  -h, --help        this text\n"
    "Decoding as for 'asr transcribe' (the same defaults):\n" LM_OPTIONS_HELP "\n"
    "A file that cannot be read gets a one-line error and is left out; the exit\n"
    "status is then 1.\n"
    "\n"
    "Examples:\n"
    "  asr bench samples/*.wav\n"
    "  asr bench --json --chunk-ms 20 --model pretrained/en-bilstm.gguf samples/*.wav\n";

static double now(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double peak_rss_mib(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

/* ---- Options and inputs ------------------------------------------------- */

typedef struct {
    const asr_model *model;
    const char *model_path;
    asr_stream_params params;
    const char *pron_path; /* --pronunciations, reported with the decoding set-up */
    int chunk_ms, max_threads, json, progress;
    char **files;
    int n_files;
} bench_options;

typedef struct {
    bench_series chunk_ms, chunk_cpu_ms, first_partial_ms, final_ms, emission_ms;
    double audio_seconds, cpu_seconds, load_ms, lm_load_ms, rss_before_mib, rss_mib;
    int files_done, files_failed, same_as_offline;
} bench_results;

typedef struct {
    int threads;
    double wall, cpu, audio;
} throughput_row;

/* Appends the audio paths of a manifest (relative to its folder) to *files. */
static int read_manifest(const char *manifest, char ***files, int *n) {
    text_file t;
    if (!text_file_open(&t, manifest, "asr bench")) return 0;
    char *copy = strdup(manifest), *line;
    const char *dir = copy ? dirname(copy) : ".";
    int ok = 1, got;
    while (ok && (got = text_file_next(&t, &line)) > 0) {
        if (!*line) continue;
        char *audio = strchr(line, '\t'), *text = audio ? strchr(audio + 1, '\t') : NULL;
        if (!text) {
            fprintf(stderr, "asr bench: %s:%lu: expected ID<TAB>AUDIO<TAB>TRANSCRIPT\n", manifest,
                    t.line);
            ok = 0;
            break;
        }
        *text = '\0';
        audio++;
        char *path = malloc(strlen(dir) + strlen(audio) + 2);
        char **grown = realloc(*files, (size_t)(*n + 1) * sizeof **files);
        if (grown) *files = grown;
        if (!path || !grown) {
            free(path);
            fprintf(stderr, "asr bench: out of memory\n");
            ok = 0;
            break;
        }
        if (audio[0] == '/')
            strcpy(path, audio);
        else
            sprintf(path, "%s/%s", dir, audio);
        (*files)[(*n)++] = path;
    }
    if (got < 0) ok = 0; /* the reason is printed */
    if (ok && *n == 0) {
        fprintf(stderr, "asr bench: %s: no utterances\n", manifest);
        ok = 0;
    }
    free(copy);
    text_file_close(&t);
    return ok;
}

static void progress(const bench_options *o, const char *phase, int done, int total) {
    if (!o->progress) return;
    /* The time left, from this phase's pace so far. */
    static const char *last_phase;
    static double phase_t0;
    if (phase != last_phase && (!last_phase || strcmp(phase, last_phase)))
        phase_t0 = progress_now();
    last_phase = phase;
    enum { WIDTH = 30 };
    int filled = total ? done * WIDTH / total : WIDTH;
    char bar[WIDTH + 1], eta[32];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r\033[K%-18s [%s] %d/%d %3d%%", phase, bar, done, total,
            total ? 100 * done / total : 100);
    double spent = progress_now() - phase_t0;
    if (done > 0 && done < total)
        fprintf(stderr, "  ETA %s", progress_clock(spent / done * (total - done), eta));
    fflush(stderr);
}

static void progress_clear(const bench_options *o) {
    if (o->progress) fprintf(stderr, "\r\033[K");
}

static void complain(const char *path, const char *msg) {
    /* Audio errors already name the file; stream errors do not. */
    if (strncmp(msg, path, strlen(path)) == 0)
        fprintf(stderr, "asr: %s\n", msg);
    else
        fprintf(stderr, "asr: %s: %s\n", path, msg);
}

/* ---- The offline pass: the model's own word times ------------------------ */

typedef struct {
    char *text;   /* the final text */
    char **words; /* into words_buf */
    char *words_buf;
    float *start, *end;
    size_t n;
} alignment;

static void alignment_free(alignment *a) {
    free(a->text), free(a->words), free(a->words_buf), free(a->start), free(a->end);
    *a = (alignment){0};
}

static asr_status align_offline(asr_stream *s, const asr_audio *audio, alignment *out) {
    asr_stream_reset(s);
    asr_status st = asr_stream_accept_waveform(s, audio->sample_rate, audio->samples, audio->n);
    if (st == ASR_OK) st = asr_stream_finish(s);
    if (st != ASR_OK) return st;
    const asr_result *r = asr_stream_result(s);
    size_t n = r->n_words ? r->n_words : 1;
    out->text = strdup(r->text);
    out->words_buf = strdup(r->text);
    out->words = malloc(n * sizeof *out->words);
    out->start = malloc(n * sizeof *out->start);
    out->end = malloc(n * sizeof *out->end);
    if (!out->text || !out->words_buf || !out->words || !out->start || !out->end) {
        alignment_free(out);
        fprintf(stderr, "asr bench: out of memory\n");
        return ASR_ERR_NOMEM;
    }
    out->n = bench_split_words(out->words_buf, out->words, r->n_words);
    for (size_t i = 0; i < out->n; i++)
        out->start[i] = r->words[i].start, out->end[i] = r->words[i].end;
    return ASR_OK;
}

/* ---- The timed streaming pass -------------------------------------------- */

typedef struct {
    const alignment *ref;
    unsigned char *matched; /* ref words seen in a partial so far */
    unsigned char *now;     /* ref words in the current partial */
    double *emitted;        /* simulated time each was first seen */
    char *last;             /* the previous partial */
    char *scratch;
    char **hyp;
    size_t cap; /* of last, scratch and hyp */
} word_tracker;

static int tracker_reserve(word_tracker *w, size_t len) {
    if (len <= w->cap) return 1;
    char *s = realloc(w->scratch, len);
    if (!s) return 0;
    w->scratch = s;
    char *l = realloc(w->last, len);
    if (!l) return 0;
    if (w->cap == 0) l[0] = '\0';
    w->last = l;
    char **h = realloc(w->hyp, len * sizeof *h);
    if (!h) return 0;
    w->hyp = h;
    w->cap = len;
    return 1;
}

/* Records the ref words newly visible in a partial at simulated time t.
 * Returns 1 when the partial has any text. */
static int track_partial(word_tracker *w, asr_partial p, double t) {
    size_t len = strlen(p.stable) + strlen(p.unstable) + 1;
    if (!tracker_reserve(w, len)) return len > 1; /* out of memory: times only */
    snprintf(w->scratch, len, "%s%s", p.stable, p.unstable);
    if (strcmp(w->scratch, w->last) == 0) return w->scratch[0] != '\0';
    strcpy(w->last, w->scratch);
    size_t n = bench_split_words(w->scratch, w->hyp, len);
    memset(w->now, 0, w->ref->n);
    if (bench_match_words(w->hyp, n, w->ref->words, w->ref->n, w->now))
        for (size_t j = 0; j < w->ref->n; j++)
            if (w->now[j] && !w->matched[j]) w->matched[j] = 1, w->emitted[j] = t;
    return n > 0;
}

static size_t chunk_samples(const asr_audio *a, int chunk_ms) {
    size_t k = (size_t)((long long)a->sample_rate * chunk_ms / 1000);
    return k ? k : 1;
}

static asr_status measure_file(const bench_options *o, asr_stream *s, const asr_audio *a,
                               const alignment *ref, bench_results *r) {
    size_t step = chunk_samples(a, o->chunk_ms), nr = ref->n ? ref->n : 1;
    word_tracker w = {.ref = ref,
                      .matched = calloc(nr, 1),
                      .now = calloc(nr, 1),
                      .emitted = calloc(nr, sizeof(double))};
    if (!w.matched || !w.now || !w.emitted) {
        free(w.matched), free(w.now), free(w.emitted);
        fprintf(stderr, "asr bench: out of memory\n");
        return ASR_ERR_NOMEM;
    }
    asr_stream_reset(s);
    double clock = 0.0, cpu = 0.0, first_partial = -1.0;
    asr_status st = ASR_OK;
    for (size_t at = 0; at < a->n && st == ASR_OK; at += step) {
        size_t n = a->n - at < step ? a->n - at : step;
        double c0 = now(CLOCK_THREAD_CPUTIME_ID), t0 = now(CLOCK_MONOTONIC);
        st = asr_stream_accept_waveform(s, a->sample_rate, a->samples + at, n);
        asr_partial p = asr_stream_partial(s);
        double t1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_THREAD_CPUTIME_ID);
        cpu += c1 - c0;
        /* Real time: the chunk is there when its last sample is, and waits
         * until the previous one is done. */
        double arrives = (double)(at + n) / a->sample_rate;
        clock = (clock > arrives ? clock : arrives) + (t1 - t0);
        bench_series_add(&r->chunk_ms, 1000.0 * (t1 - t0));
        bench_series_add(&r->chunk_cpu_ms, 1000.0 * (c1 - c0));
        if (track_partial(&w, p, clock) && first_partial < 0) first_partial = clock;
    }
    const asr_result *res = NULL;
    if (st == ASR_OK) {
        double c0 = now(CLOCK_THREAD_CPUTIME_ID), t0 = now(CLOCK_MONOTONIC);
        st = asr_stream_finish(s);
        res = asr_stream_result(s);
        double t1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_THREAD_CPUTIME_ID);
        cpu += c1 - c0;
        double end = (double)a->n / a->sample_rate;
        clock = (clock > end ? clock : end) + (t1 - t0);
        if (st == ASR_OK) bench_series_add(&r->final_ms, 1000.0 * (clock - end));
    }
    if (st == ASR_OK) {
        if (first_partial < 0 && res->n_words) first_partial = clock;
        if (ref->n && first_partial >= 0)
            bench_series_add(&r->first_partial_ms, 1000.0 * (first_partial - ref->start[0]));
        for (size_t j = 0; j < ref->n; j++)
            bench_series_add(&r->emission_ms,
                             1000.0 * ((w.matched[j] ? w.emitted[j] : clock) - ref->end[j]));
        r->same_as_offline += strcmp(res->text, ref->text) == 0;
        r->cpu_seconds += cpu;
        r->audio_seconds += (double)a->n / a->sample_rate;
    }
    free(w.matched), free(w.now), free(w.emitted), free(w.last), free(w.scratch), free(w.hyp);
    return st;
}

/* Offline alignment then the timed streaming pass, one file at a time so
 * that peak memory is that of one stream and one file. Leaves the readable
 * files' indices in ok[]. */
static void latency_pass(const bench_options *o, bench_results *r, int *ok) {
    asr_stream *s = asr_stream_new(o->model, &o->params);
    if (!s) {
        fprintf(stderr, "asr: %s\n", asr_last_error());
        r->files_failed = o->n_files;
        return;
    }
    for (int i = 0; i < o->n_files; i++) {
        progress(o, "streaming", i, o->n_files);
        asr_audio audio = {0};
        alignment ref = {0};
        asr_status st = asr_audio_read_file(o->files[i], &audio);
        if (st == ASR_OK) st = align_offline(s, &audio, &ref);
        if (st == ASR_OK) st = measure_file(o, s, &audio, &ref, r);
        if (st == ASR_OK) {
            ok[r->files_done++] = i;
        } else {
            progress_clear(o);
            if (st != ASR_ERR_NOMEM) complain(o->files[i], asr_last_error());
            r->files_failed++;
        }
        alignment_free(&ref);
        asr_audio_free(&audio);
    }
    progress_clear(o);
    asr_stream_free(s);
}

/* ---- Throughput: the same work on several threads ------------------------ */

typedef struct {
    const bench_options *o;
    const asr_audio *audio;
    int n;
    atomic_int next;
    atomic_int failed;
    atomic_int files_done, workers_done; /* for the progress bar */
    pthread_mutex_t lock;
    double cpu; /* CPU seconds of all workers, under lock */
} pool;

static void *pool_worker(void *arg) {
    pool *p = arg;
    double c0 = now(CLOCK_THREAD_CPUTIME_ID);
    asr_stream *s = asr_stream_new(p->o->model, &p->o->params);
    for (int i; s && (i = atomic_fetch_add(&p->next, 1)) < p->n;) {
        const asr_audio *a = &p->audio[i];
        size_t step = chunk_samples(a, p->o->chunk_ms);
        asr_status st = ASR_OK;
        asr_stream_reset(s);
        for (size_t at = 0; at < a->n && st == ASR_OK; at += step) {
            size_t k = a->n - at < step ? a->n - at : step;
            st = asr_stream_accept_waveform(s, a->sample_rate, a->samples + at, k);
            asr_stream_partial(s);
        }
        if (st == ASR_OK) st = asr_stream_finish(s);
        asr_stream_result(s);
        if (st != ASR_OK) atomic_store(&p->failed, 1);
        atomic_fetch_add(&p->files_done, 1);
    }
    if (!s) atomic_store(&p->failed, 1);
    asr_stream_free(s);
    double c = now(CLOCK_THREAD_CPUTIME_ID) - c0;
    pthread_mutex_lock(&p->lock);
    p->cpu += c;
    pthread_mutex_unlock(&p->lock);
    atomic_fetch_add(&p->workers_done, 1);
    return NULL;
}

/* Fills rows[0..threads) and returns how many were measured. */
static int throughput_pass(const bench_options *o, const int *ok, int n_ok, throughput_row *rows) {
    int max_threads = o->max_threads < n_ok ? o->max_threads : n_ok;
    if (max_threads <= 0) return 0;
    asr_audio *audio = calloc((size_t)n_ok, sizeof *audio);
    pthread_t *tids = calloc((size_t)max_threads, sizeof *tids);
    double seconds = 0.0;
    int loaded = 0, measured = 0;
    if (audio && tids)
        for (; loaded < n_ok; loaded++) {
            progress(o, "reading", loaded, n_ok);
            if (asr_audio_read_file(o->files[ok[loaded]], &audio[loaded]) != ASR_OK) break;
            seconds += (double)audio[loaded].n / audio[loaded].sample_rate;
        }
    if (loaded < n_ok) {
        progress_clear(o);
        fprintf(stderr, "asr bench: throughput skipped: %s\n",
                audio && tids ? asr_last_error() : "out of memory");
    } else {
        for (int t = 1; t <= max_threads; t++) {
            char phase[32];
            snprintf(phase, sizeof phase, "throughput -j %d", t);
            pool p = {.o = o, .audio = audio, .n = n_ok};
            atomic_init(&p.next, 0);
            atomic_init(&p.failed, 0);
            atomic_init(&p.files_done, 0);
            atomic_init(&p.workers_done, 0);
            pthread_mutex_init(&p.lock, NULL);
            double t0 = now(CLOCK_MONOTONIC);
            int started = 0;
            for (; started < t; started++)
                if (pthread_create(&tids[started], NULL, pool_worker, &p) != 0) break;
            /* Polls 10 times a second: costs nothing next to the workers. */
            while (o->progress && atomic_load(&p.workers_done) < started) {
                progress(o, phase, atomic_load(&p.files_done), n_ok);
                nanosleep(&(struct timespec){0, 100000000}, NULL);
            }
            for (int k = 0; k < started; k++)
                pthread_join(tids[k], NULL);
            double wall = now(CLOCK_MONOTONIC) - t0;
            pthread_mutex_destroy(&p.lock);
            if (started < t || atomic_load(&p.failed)) {
                progress_clear(o);
                fprintf(stderr, "asr bench: throughput with %d threads failed\n", t);
                break;
            }
            rows[measured++] = (throughput_row){t, wall, p.cpu, seconds};
        }
        progress_clear(o);
    }
    for (int i = 0; i < loaded; i++)
        asr_audio_free(&audio[i]);
    free(audio), free(tids);
    return measured;
}

/* ---- Reports --------------------------------------------------------------- */

static const char bidir_note[] = "bidirectional model: no partial results before finish, so the "
                                 "latencies are whole-utterance";

static void json_summary(const char *key, bench_series *s) {
    bench_summary m = bench_summarise(s);
    printf(",\"%s\":{\"count\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,"
           "\"mean\":%.3f}",
           key, m.count, m.p50, m.p90, m.p99, m.max, m.mean);
}

static void report_json(const bench_options *o, bench_results *r, const throughput_row *rows,
                        int n_rows) {
    asr_model_info info = asr_model_get_info(o->model);
    printf("{\"model\":");
    json_string(stdout, o->model_path);
    printf(",\"name\":");
    json_string(stdout, info.name ? info.name : "");
    printf(",\"cell\":");
    json_string(stdout, info.cell ? info.cell : "");
    printf(",\"bidirectional\":%s,\"layers\":%d,\"hidden\":%d,\"params\":%zu,"
           "\"chunk_ms\":%d,\"beam\":%d,\"lm\":%s,\"lm_alpha\":%.3f,\"lm_beta\":%.3f,"
           "\"blank_penalty\":%.3f,\"beam_prune\":%.3f,"
           "\"files\":%d,\"failed_files\":%d,\"audio_seconds\":%.3f,\"load_ms\":%.3f,"
           "\"lm_load_ms\":%.3f,\"cpu_seconds\":%.4f,\"rtf\":%.5f",
           info.bidirectional ? "true" : "false", info.num_layers, info.hidden_size,
           info.num_params, o->chunk_ms, o->params.beam_size, o->params.lm ? "true" : "false",
           o->params.lm_alpha, o->params.lm_beta, o->params.blank_penalty, o->params.beam_prune,
           r->files_done, r->files_failed, r->audio_seconds, r->load_ms, r->lm_load_ms,
           r->cpu_seconds, r->audio_seconds > 0 ? r->cpu_seconds / r->audio_seconds : 0.0);
    printf(",\"blas_kernels\":");
    json_string(stdout, openblas_get_corename());
    /* The rest of the decoding set-up, so that every option shows. */
    printf(",\"word_list\":%zu,\"hotwords\":%zu,\"pronunciations\":", o->params.n_words,
           o->params.n_hotwords);
    if (o->pron_path)
        json_string(stdout, o->pron_path);
    else
        fputs("null", stdout);
    json_summary("chunk_time_ms", &r->chunk_ms);
    json_summary("chunk_cpu_ms", &r->chunk_cpu_ms);
    json_summary("first_partial_latency_ms", &r->first_partial_ms);
    json_summary("final_latency_ms", &r->final_ms);
    json_summary("word_emission_latency_ms", &r->emission_ms);
    printf(",\"peak_rss_mib\":%.2f,\"rss_before_load_mib\":%.2f,\"same_as_offline\":%d,"
           "\"throughput\":[",
           r->rss_mib, r->rss_before_mib, r->same_as_offline);
    for (int i = 0; i < n_rows; i++)
        printf("%s{\"threads\":%d,\"wall_seconds\":%.4f,\"x_realtime\":%.2f,\"rtf\":%.5f}",
               i ? "," : "", rows[i].threads, rows[i].wall, rows[i].audio / rows[i].wall,
               rows[i].cpu / rows[i].audio);
    printf("],\"note\":");
    json_string(stdout, info.bidirectional ? bidir_note : "");
    printf("}\n");
}

static void table_row(const char *label, bench_series *s) {
    bench_summary m = bench_summarise(s);
    printf("%-22s %9.3f %9.3f %9.3f %9.3f %9.3f %7zu\n", label, m.p50, m.p90, m.p99, m.max, m.mean,
           m.count);
}

static void report_table(const bench_options *o, bench_results *r, const throughput_row *rows,
                         int n_rows) {
    asr_model_info info = asr_model_get_info(o->model);
    printf("model          %s: %s (%s, %d x %d, %s, %.2f M parameters)\n", o->model_path,
           info.name ? info.name : "?", info.cell ? info.cell : "?", info.num_layers,
           info.hidden_size, info.bidirectional ? "bidirectional" : "unidirectional",
           (double)info.num_params / 1e6);
    printf("audio          %d files, %.1f s, fed in %d ms chunks as fast as possible\n",
           r->files_done, r->audio_seconds, o->chunk_ms);
    if (o->params.lm)
        printf("decoder        beam %d with a word LM (alpha %.2f, beta %.2f), blank penalty "
               "%.2f, prune %.1f\n",
               o->params.beam_size, o->params.lm_alpha, o->params.lm_beta, o->params.blank_penalty,
               o->params.beam_prune);
    else if (o->params.beam_size > 1)
        printf("decoder        beam %d, no LM, blank penalty %.2f, prune %.1f\n",
               o->params.beam_size, o->params.blank_penalty, o->params.beam_prune);
    else
        printf("decoder        greedy, no LM, blank penalty %.2f\n", o->params.blank_penalty);
    if (info.bidirectional) printf("note           %s\n", bidir_note);
    printf("BLAS           OpenBLAS kernels for %s\n", openblas_get_corename());
    if (o->params.lm)
        printf("model load     %.2f ms  (LM %.2f ms)\n", r->load_ms, r->lm_load_ms);
    else
        printf("model load     %.2f ms\n", r->load_ms);
    printf("RTF            %.5f  (one thread: %.3f CPU s for %.1f s of audio)\n",
           r->audio_seconds > 0 ? r->cpu_seconds / r->audio_seconds : 0.0, r->cpu_seconds,
           r->audio_seconds);
    printf("\n%-22s %9s %9s %9s %9s %9s %7s\n", "milliseconds", "p50", "p90", "p99", "max", "mean",
           "count");
    table_row("chunk time", &r->chunk_ms);
    table_row("chunk CPU time", &r->chunk_cpu_ms);
    table_row("first partial latency", &r->first_partial_ms);
    table_row("final latency", &r->final_ms);
    table_row("word emission latency", &r->emission_ms);
    printf("\npeak RSS       %.1f MiB  (%.1f MiB before the model was loaded)\n", r->rss_mib,
           r->rss_before_mib);
    printf("offline check  final result equals an offline pass in %d of %d files\n",
           r->same_as_offline, r->files_done);
    if (n_rows) {
        printf("\n%-8s %10s %12s %9s %9s\n", "threads", "wall s", "x real time", "speedup", "RTF");
        for (int i = 0; i < n_rows; i++)
            printf("%-8d %10.3f %12.1f %9.2f %9.5f\n", rows[i].threads, rows[i].wall,
                   rows[i].audio / rows[i].wall, rows[0].wall / rows[i].wall,
                   rows[i].cpu / rows[i].audio);
    }
}

/* ---- The command ------------------------------------------------------------ */

int cmd_bench(int argc, char **argv) {
    static const char *const model_names[] = STREAMING_MODEL_NAMES;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    bench_options o = {.params = asr_stream_default_params(),
                       .chunk_ms = 100,
                       .max_threads = cpus > 0 ? (int)cpus : 1,
                       .progress = isatty(STDERR_FILENO)};
    bench_results r = {0};
    const char *v, *manifest = NULL;
    int limit = 0, rc = EXIT_USAGE, n_args = 0, n_listed = 0, *ok = NULL;
    char **args = calloc((size_t)argc, sizeof *args);
    throughput_row *rows = NULL;
    asr_model *model = NULL;
    lm_options lmo = {0};
    if (!args) return EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        int m;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            rc = EXIT_OK;
            goto done;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            o.progress = 0;
        } else if (!strcmp(argv[i], "--json")) {
            o.json = 1;
        } else if ((m = opt_value(argc, argv, &i, "model", 0, &v)) != 0) {
            if (m < 0) goto done;
            o.model_path = v;
        } else if ((m = opt_value(argc, argv, &i, "manifest", 0, &v)) != 0) {
            if (m < 0) goto done;
            manifest = v;
        } else if ((m = opt_value(argc, argv, &i, "limit", 0, &v)) != 0) {
            if (m < 0 || !opt_int("--limit", v, 1, 1000000, &limit)) goto done;
        } else if ((m = opt_value(argc, argv, &i, "chunk-ms", 0, &v)) != 0) {
            if (m < 0 || !opt_int("--chunk-ms", v, 1, 60000, &o.chunk_ms)) goto done;
        } else if ((m = opt_value(argc, argv, &i, "beam", 0, &v)) != 0) {
            if (m < 0 || !opt_int("--beam", v, 1, 1024, &o.params.beam_size)) goto done;
        } else if ((m = opt_value(argc, argv, &i, "jobs", 'j', &v)) != 0) {
            if (m < 0 || !opt_int("-j", v, 0, 256, &o.max_threads)) goto done;
        } else if ((m = lm_option(argc, argv, &i, &lmo)) != 0) {
            if (m < 0) goto done;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "asr bench: unknown option '%s' (see --help)\n", argv[i]);
            goto done;
        } else {
            args[n_args++] = argv[i];
        }
    }
    if (manifest && n_args) {
        fprintf(stderr, "asr bench: give files or --manifest, not both\n");
        goto done;
    }
    if (manifest) {
        int read = read_manifest(manifest, &o.files, &o.n_files);
        n_listed = o.n_files;
        if (!read) goto done;
    } else if (n_args) {
        o.files = args, o.n_files = n_args, args = NULL;
    } else {
        fprintf(stderr, "asr bench: no input files (see --help)\n");
        goto done;
    }
    if (limit && limit < o.n_files) o.n_files = limit;

    if (!o.model_path) o.model_path = default_model_path(model_names);
    r.rss_before_mib = peak_rss_mib();
    double t0 = now(CLOCK_MONOTONIC);
    model = load_model_or_complain(o.model_path);
    r.load_ms = 1000.0 * (now(CLOCK_MONOTONIC) - t0);
    if (!model) goto done;
    o.model = model;
    t0 = now(CLOCK_MONOTONIC);
    if (!lm_options_apply(&lmo, model, &o.params)) goto done;
    o.pron_path = lmo.pron_path;
    r.lm_load_ms = 1000.0 * (now(CLOCK_MONOTONIC) - t0);

    ok = calloc((size_t)o.n_files, sizeof *ok);
    rows = calloc((size_t)(o.max_threads ? o.max_threads : 1), sizeof *rows);
    if (!ok || !rows) {
        fprintf(stderr, "asr bench: out of memory\n");
        goto done;
    }
    latency_pass(&o, &r, ok);
    r.rss_mib = peak_rss_mib();
    if (r.files_done == 0) {
        fprintf(stderr, "asr bench: no file could be measured\n");
        rc = EXIT_SOME_FAILED;
        goto done;
    }
    int n_rows = throughput_pass(&o, ok, r.files_done, rows);
    if (o.json)
        report_json(&o, &r, rows, n_rows);
    else
        report_table(&o, &r, rows, n_rows);
    rc = r.files_failed ? EXIT_SOME_FAILED : EXIT_OK;
done:
    asr_model_free(model);
    lm_options_free(&lmo);
    if (manifest)
        for (int i = 0; i < n_listed; i++)
            free(o.files[i]);
    free(o.files); /* NULL, the manifest's list or the former args */
    free(args), free(ok), free(rows);
    bench_series_free(&r.chunk_ms), bench_series_free(&r.chunk_cpu_ms);
    bench_series_free(&r.first_partial_ms);
    bench_series_free(&r.final_ms), bench_series_free(&r.emission_ms);
    return rc;
}
