#include "batch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "cli.h"

typedef struct {
    const batch_options *opt;
    char **paths;
    int n;
    batch_item *items;
    int *done;
    atomic_int next;
    pthread_mutex_t lock;
    pthread_cond_t finished_one;
} batch;

static asr_status read_input(const char *path, int pcm_rate, asr_audio *audio) {
    if (strcmp(path, "-") == 0) return asr_audio_read_pcm16(stdin, pcm_rate, "stdin", audio);
    return asr_audio_read_file(path, audio);
}

/* Feeds the audio in half-second pieces, as a live source would. */
static asr_status run_stream(asr_stream *s, const asr_audio *a) {
    size_t piece = (size_t)a->sample_rate / 2;
    for (size_t at = 0; at < a->n; at += piece) {
        size_t n = a->n - at < piece ? a->n - at : piece;
        asr_status st = asr_stream_accept_waveform(s, a->sample_rate, a->samples + at, n);
        if (st != ASR_OK) return st;
    }
    return asr_stream_finish(s);
}

static char *format_error(const char *path, const char *msg) {
    /* Audio errors already name the file; stream errors do not. */
    int named = strncmp(msg, path, strlen(path)) == 0 || strncmp(msg, "stdin", 5) == 0;
    char *out = malloc(strlen(msg) + strlen(path) + 3);
    if (out) sprintf(out, "%s%s%s", named ? "" : path, named ? "" : ": ", msg);
    return out;
}

static void transcribe_one(batch *b, asr_stream *s, int i) {
    batch_item *item = &b->items[i];
    asr_audio audio = {0};
    asr_stream_reset(s);
    asr_status st = read_input(item->path, b->opt->pcm_rate, &audio);
    if (st == ASR_OK) st = run_stream(s, &audio);
    asr_audio_free(&audio);
    if (st != ASR_OK) {
        item->error = format_error(item->path, asr_last_error());
        return;
    }
    const asr_result *r = asr_stream_result(s);
    item->text = strdup(r->text);
    item->audio_seconds = r->audio_seconds;
    if (b->opt->json) {
        size_t size = 0;
        FILE *out = open_memstream(&item->json, &size);
        if (out) {
            json_result(out, item->path, r);
            fclose(out);
        }
    }
}

static void *worker(void *arg) {
    batch *b = arg;
    asr_stream *s = asr_stream_new(b->opt->model, &b->opt->params);
    for (int i; (i = atomic_fetch_add(&b->next, 1)) < b->n;) {
        if (s)
            transcribe_one(b, s, i);
        else
            b->items[i].error = format_error(b->items[i].path, asr_last_error());
        pthread_mutex_lock(&b->lock);
        b->done[i] = 1;
        pthread_cond_broadcast(&b->finished_one);
        pthread_mutex_unlock(&b->lock);
    }
    asr_stream_free(s);
    return NULL;
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
    for (int i = 0; i < n_paths; i++)
        b.items[i].path = paths[i];
    atomic_init(&b.next, 0);
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.finished_one, NULL);
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tids[started], NULL, worker, &b) != 0) break;
    if (started == 0) worker(&b); /* no thread to be had: do the work here */

    for (int i = 0; i < n_paths; i++) {
        pthread_mutex_lock(&b.lock);
        while (!b.done[i])
            pthread_cond_wait(&b.finished_one, &b.lock);
        pthread_mutex_unlock(&b.lock);
        batch_item *item = &b.items[i];
        if (!item->text && !item->error) item->error = format_error(item->path, "out of memory");
        opt->on_done(item, i, opt->ctx);
        free(item->text), free(item->json), free(item->error);
    }
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_cond_destroy(&b.finished_one);
    pthread_mutex_destroy(&b.lock);
    free(tids), free(b.items), free(b.done);
}
