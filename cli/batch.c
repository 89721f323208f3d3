#include "batch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "progress.h"
#include "segmenter.h"

/* Mono frames read per call. */
enum { READ_FRAMES = 16384 };

typedef struct {
    const batch_options *opt;
    char **paths;
    int n;
    batch_item *items;
    int *done;
    atomic_int next;
    atomic_llong audio_ms; /* read so far, all files: for the progress line */
    pthread_mutex_t lock;
    pthread_cond_t finished_one;
} batch;

/* One thread's machinery, kept from file to file. */
typedef struct {
    asr_stream *stream;
    segmenter *seg;
    int rate; /* the model's */
    float *block;
    transcript *t; /* of the file being read */
} worker_state;

static asr_status open_input(const batch_options *o, const char *path, asr_audio_reader **r) {
    if (strcmp(path, "-") == 0)
        return asr_audio_reader_open_pcm(stdin, "stdin", o->pcm_format, o->pcm_rate,
                                         o->pcm_channels, r);
    return asr_audio_reader_open_file(path, r);
}

/* Decodes one utterance; its words keep the times of the recording. */
static asr_status decode_segment(const float *x, size_t n, size_t start, void *ctx) {
    worker_state *w = ctx;
    asr_stream_reset(w->stream);
    asr_status st = asr_stream_accept_waveform(w->stream, w->rate, x, n);
    if (st == ASR_OK) st = asr_stream_finish(w->stream);
    if (st != ASR_OK) return st;
    if (!transcript_add(w->t, asr_stream_result(w->stream), (double)start / w->rate))
        return ASR_ERR_NOMEM;
    return ASR_OK;
}

static asr_status feed(worker_state *w, const float *x, size_t n) {
    return segmenter_accept(w->seg, x, n, decode_segment, w);
}

static asr_status transcribe_file(batch *b, worker_state *w, asr_audio_reader *r,
                                  batch_item *item) {
    int rate = asr_audio_reader_rate(r);
    asr_resampler *rs = rate == w->rate ? NULL : asr_resampler_new(rate, w->rate);
    if (rate != w->rate && !rs) return ASR_ERR_NOMEM;
    asr_status st = ASR_OK;
    size_t frames = 0, n;
    const float *out;
    size_t n_out;
    while (st == ASR_OK) {
        st = asr_audio_reader_read(r, w->block, READ_FRAMES, &n);
        if (st != ASR_OK || n == 0) break;
        frames += n;
        atomic_fetch_add(&b->audio_ms, (long long)((double)n * 1000.0 / rate));
        if (!rs) {
            st = feed(w, w->block, n);
        } else {
            st = asr_resampler_process(rs, w->block, n, 0, &out, &n_out);
            if (st == ASR_OK) st = feed(w, out, n_out);
        }
    }
    if (st == ASR_OK && rs) {
        st = asr_resampler_process(rs, NULL, 0, 1, &out, &n_out);
        if (st == ASR_OK) st = feed(w, out, n_out);
    }
    if (st == ASR_OK) st = segmenter_finish(w->seg, decode_segment, w);
    asr_resampler_free(rs);
    item->t.duration = (double)frames / rate;
    item->audio_seconds = item->t.duration;
    transcript_clamp(&item->t, item->t.duration);
    return st;
}

static char *format_error(const char *path, const char *msg) {
    /* Audio errors already name the file; stream errors do not. */
    int named = strncmp(msg, path, strlen(path)) == 0 || strncmp(msg, "stdin", 5) == 0;
    char *out = malloc(strlen(msg) + strlen(path) + 3);
    if (out) sprintf(out, "%s%s%s", named ? "" : path, named ? "" : ": ", msg);
    return out;
}

static void transcribe_one(batch *b, worker_state *w, int i) {
    batch_item *item = &b->items[i];
    asr_audio_reader *r = NULL;
    w->t = &item->t;
    asr_status st = open_input(b->opt, item->path, &r);
    if (st == ASR_OK) st = transcribe_file(b, w, r, item);
    asr_audio_reader_close(r);
    if (st == ASR_OK) item->text = transcript_text(&item->t, TRANSCRIPT_ALL);
    if (st != ASR_OK || !item->text) {
        item->error = format_error(item->path, st == ASR_OK ? "out of memory" : asr_last_error());
        segmenter_finish(w->seg, NULL, NULL); /* drops what is left */
        transcript_free(&item->t);
    }
}

static void worker_free(worker_state *w) {
    asr_stream_free(w->stream);
    segmenter_free(w->seg);
    free(w->block);
}

static int worker_init(const batch_options *o, worker_state *w) {
    const asr_stream_params *p = &o->params;
    *w = (worker_state){.rate = asr_model_get_info(o->model).sample_rate};
    w->block = malloc(READ_FRAMES * sizeof *w->block);
    w->stream = asr_stream_new(o->model, p);
    if (w->stream)
        w->seg = segmenter_new(o->detector, o->params.dict, w->rate, p->endpoint_silence_ms,
                               p->endpoint_max_utterance_ms);
    if (w->block && w->stream && w->seg) return 1;
    worker_free(w);
    return 0;
}

static void *worker(void *arg) {
    batch *b = arg;
    worker_state w;
    int ready = worker_init(b->opt, &w);
    const char *why = ready ? NULL : *asr_last_error() ? asr_last_error() : "out of memory";
    for (int i; (i = atomic_fetch_add(&b->next, 1)) < b->n;) {
        if (ready)
            transcribe_one(b, &w, i);
        else
            b->items[i].error = format_error(b->items[i].path, why);
        pthread_mutex_lock(&b->lock);
        b->done[i] = 1;
        pthread_cond_broadcast(&b->finished_one);
        pthread_mutex_unlock(&b->lock);
    }
    if (ready) worker_free(&w);
    return NULL;
}

/* Seconds of audio the inputs' headers announce, for the progress line. */
static double total_seconds(char **paths, int n) {
    double total = 0;
    for (int i = 0; i < n; i++) {
        asr_audio_reader *r;
        if (strcmp(paths[i], "-") == 0) return 0; /* unknown */
        if (asr_audio_reader_open_file(paths[i], &r) != ASR_OK) continue;
        total += asr_audio_reader_seconds(r);
        asr_audio_reader_close(r);
    }
    return total;
}

/* Waits for item i, redrawing the progress line four times a second. */
static void wait_for(batch *b, int i, progress_line *p) {
    pthread_mutex_lock(&b->lock);
    while (!b->done[i]) {
        if (!p->on) {
            pthread_cond_wait(&b->finished_one, &b->lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&b->finished_one, &b->lock, &until);
        pthread_mutex_unlock(&b->lock);
        progress_line_draw(p, (double)atomic_load(&b->audio_ms) / 1000.0, i);
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
}

void batch_run(const batch_options *opt, char **paths, int n_paths) {
    batch b = {.opt = opt, .paths = paths, .n = n_paths};
    b.items = calloc((size_t)n_paths, sizeof *b.items);
    b.done = calloc((size_t)n_paths, sizeof *b.done);
    int threads = opt->threads < n_paths ? opt->threads : n_paths;
    pthread_t *tids = calloc((size_t)(threads > 0 ? threads : 1), sizeof *tids);
    if (!b.items || !b.done || !tids) {
        fprintf(stderr, "asr: out of memory\n");
        free(b.items), free(b.done), free(tids);
        return;
    }
    progress_line p;
    progress_line_start(&p, opt->progress, 0, n_paths);
    if (p.on) p.total_seconds = total_seconds(paths, n_paths);
    for (int i = 0; i < n_paths; i++)
        b.items[i].path = paths[i];
    atomic_init(&b.next, 0);
    atomic_init(&b.audio_ms, 0);
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.finished_one, NULL);
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tids[started], NULL, worker, &b) != 0) break;
    if (started == 0) worker(&b); /* no thread to be had: do the work here */

    for (int i = 0; i < n_paths; i++) {
        wait_for(&b, i, &p);
        batch_item *item = &b.items[i];
        if (!item->text && !item->error) item->error = format_error(item->path, "out of memory");
        int redraw = p.drawn;
        progress_line_clear(&p);
        opt->on_done(item, i, opt->ctx);
        if (redraw && i + 1 < n_paths)
            progress_line_draw(&p, (double)atomic_load(&b.audio_ms) / 1000.0, i + 1);
        transcript_free(&item->t);
        free(item->text), free(item->error);
    }
    progress_line_clear(&p);
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_cond_destroy(&b.finished_one);
    pthread_mutex_destroy(&b.lock);
    free(tids), free(b.items), free(b.done);
}

int batch_find_detector(batch_options *o, const char *path, asr_model **loaded) {
    *loaded = NULL;
    if (!path && !asr_model_get_info(o->model).bidirectional) {
        o->detector = o->model; /* a streaming model finds its own pauses */
        return 1;
    }
    char buf[ASR_PATH_MAX];
    const char *found = path ? path : default_data_path("ASR_SEGMENT_MODEL", "en-lstm.gguf", buf);
    if (found) *loaded = asr_model_load(found);
    if (*loaded && asr_model_get_info(*loaded).bidirectional) {
        fprintf(stderr,
                "asr: %s: a bidirectional model cannot find pauses as audio comes; "
                "--segment-model needs a streaming one\n",
                found);
        asr_model_free(*loaded);
        *loaded = NULL;
        return 0;
    }
    if (!*loaded && path) {
        fprintf(stderr, "asr: %s\n", asr_last_error());
        return 0;
    }
    if (!*loaded)
        fprintf(stderr,
                "asr: warning: %s; long recordings are cut every %.0f s instead of at pauses "
                "(--segment-model FILE or $ASR_SEGMENT_MODEL names a streaming model)\n",
                found ? asr_last_error() : "no streaming model en-lstm.gguf found",
                o->params.endpoint_max_utterance_ms / 1000.0);
    o->detector = *loaded;
    return 1;
}
