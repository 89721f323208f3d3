/* asr serve: the decoding workers. The network thread appends audio to a
 * session and queues it; a worker takes the audio, feeds it to the
 * session's stream in fixed pieces (as `asr live` does, so that endpoints
 * fall in the same places however the client cut its frames), and queues
 * the JSON results for the network thread to send. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

/* Audio handed to the stream per call, as in `asr live`. */
#define PIECE_MS 20
/* Audio bytes one job takes at most, so that busy streams take turns. */
#define JOB_BYTES 32768

/* What one job produced, merged into the session afterwards. */
typedef struct {
    serve_msg *head, *tail;
    serve_msg *partial;
    int failed, done;
    int code;          /* close code of an error */
    char message[600]; /* the error, for the log */
} job;

/* WebSocket close codes (RFC 6455): bad data, and the server's trouble. */
#define CLOSE_BAD_DATA 1007
#define CLOSE_SERVER_ERROR 1011

serve_msg *serve_msg_new(char *json) {
    if (!json) return NULL;
    size_t len = strlen(json);
    serve_msg *m = malloc(sizeof *m + SERVE_PRE + len);
    if (m) {
        m->next = NULL;
        m->len = len;
        memcpy(m->buf + SERVE_PRE, json, len);
    }
    free(json);
    return m;
}

static void msg_list_free(serve_msg *m) {
    while (m) {
        serve_msg *next = m->next;
        free(m);
        m = next;
    }
}

void serve_queue_msg(serve_session *s, serve_msg *m) {
    if (!m) return;
    if (s->out_tail)
        s->out_tail->next = m;
    else
        s->out_head = m;
    s->out_tail = m;
    s->out_bytes += m->len;
}

static void job_add(job *j, serve_msg *m) {
    if (!m) return;
    free(j->partial); /* a result supersedes the guesses before it */
    j->partial = NULL;
    if (j->tail)
        j->tail->next = m;
    else
        j->head = m;
    j->tail = m;
}

static void job_error(job *j, int code, const char *what, const char *why) {
    snprintf(j->message, sizeof j->message, "%s: %s", what, why);
    job_add(j, serve_msg_new(serve_json_error(j->message)));
    j->failed = 1;
    j->code = code;
}

/* A JSON message built with stdio, as `asr live --json` writes it. */
typedef struct {
    FILE *f;
    char *buf;
    size_t size;
} json_out;

static FILE *json_open(json_out *o) {
    o->buf = NULL;
    o->f = open_memstream(&o->buf, &o->size);
    return o->f;
}

static serve_msg *json_close(json_out *o) {
    if (fclose(o->f) != 0) {
        free(o->buf);
        return NULL;
    }
    return serve_msg_new(o->buf);
}

/* ---- Results ------------------------------------------------------------------ */

static double now_seconds(const serve_session *s) {
    return s->offset + (double)s->utt_samples / s->config.sample_rate;
}

static void send_partial(serve_session *s, job *j) {
    asr_partial p = asr_stream_partial(s->stream);
    size_t ls = strlen(p.stable);
    if (s->shown && strncmp(s->shown, p.stable, ls) == 0 && strcmp(s->shown + ls, p.unstable) == 0)
        return;
    if (!*p.stable && !*p.unstable && !s->shown) return; /* nothing heard yet */
    char *now = malloc(ls + strlen(p.unstable) + 1);
    if (!now) return;
    sprintf(now, "%s%s", p.stable, p.unstable);
    free(s->shown);
    s->shown = now;
    if (!s->config.partials) return;
    json_out o;
    FILE *f = json_open(&o);
    if (!f) return;
    fprintf(f, "{\"type\":\"partial\",\"utterance\":%d,\"time\":%.2f,\"stable\":", s->utterance,
            now_seconds(s));
    json_string(f, p.stable);
    fputs(",\"unstable\":", f);
    json_string(f, p.unstable);
    fputc('}', f);
    free(j->partial);
    j->partial = json_close(&o);
}

static void send_final(serve_session *s, job *j, const asr_result *r, const char *reason) {
    json_out o;
    FILE *f = json_open(&o);
    if (!f) return;
    fprintf(f, "{\"type\":\"endpoint\",\"utterance\":%d,\"time\":%.2f,\"reason\":\"%s\"}",
            s->utterance, now_seconds(s), reason);
    job_add(j, json_close(&o));
    if (!(f = json_open(&o))) return;
    double start = s->offset + r->words[0].start, end = s->offset + r->words[r->n_words - 1].end;
    fprintf(f, "{\"type\":\"final\",\"utterance\":%d,\"start\":%.2f,\"end\":%.2f,\"text\":",
            s->utterance, start, end);
    json_string(f, r->text);
    fputs(",\"words\":[", f);
    for (size_t i = 0; i < r->n_words; i++) {
        const asr_word *w = &r->words[i];
        fprintf(f, "%s{\"word\":", i ? "," : "");
        json_string(f, w->word);
        fprintf(f, ",\"start\":%.2f,\"end\":%.2f,\"confidence\":%.3f}", s->offset + w->start,
                s->offset + w->end, w->confidence);
    }
    fputs("]}", f);
    job_add(j, json_close(&o));
    s->finals++;
}

static void next_utterance(serve_session *s) {
    s->offset += (double)s->utt_samples / s->config.sample_rate;
    s->utt_samples = 0;
    s->utterance++;
    free(s->shown);
    s->shown = NULL;
    asr_stream_reset(s->stream);
}

static void end_utterance(serve_session *s, job *j, const char *reason) {
    if (asr_stream_finish(s->stream) != ASR_OK) {
        job_error(j, CLOSE_SERVER_ERROR, "recognition failed", asr_last_error());
        return;
    }
    const asr_result *r = asr_stream_result(s->stream);
    if (r->n_words > 0) send_final(s, j, r, reason);
    next_utterance(s);
}

static void feed_piece(serve_pool *p, serve_session *s, job *j, const float *x, size_t n) {
    if (asr_stream_accept_waveform(s->stream, s->config.sample_rate, x, n) != ASR_OK) {
        job_error(j, CLOSE_BAD_DATA, "bad audio", asr_last_error());
        return;
    }
    if (s->record) fwrite(x, sizeof *x, n, s->record);
    s->utt_samples += n;
    int max_ms = p->params.endpoint_max_utterance_ms;
    double utt_ms = (double)s->utt_samples * 1000.0 / s->config.sample_rate;
    if (asr_stream_is_endpoint(s->stream)) {
        end_utterance(s, j, max_ms > 0 && utt_ms >= max_ms ? "max_utterance" : "silence");
        return;
    }
    send_partial(s, j);
    /* A long stretch with no word at all ends quietly, as in `asr live`,
     * so that the model's state and the times stay bounded. */
    if (max_ms > 0 && utt_ms >= max_ms && !s->shown) next_utterance(s);
}

/* ---- A job ------------------------------------------------------------------------ */

static int open_stream(serve_pool *p, serve_session *s, job *j) {
    asr_stream_params params = p->params;
    const serve_config *c = &s->config;
    if (c->words) {
        params.words = (const char *const *)c->words;
        params.n_words = c->n_words;
    }
    size_t n_hot = p->params.n_hotwords + c->n_hotwords;
    asr_hotword *hot = calloc(n_hot + 1, sizeof *hot);
    if (!hot) {
        job_error(j, CLOSE_SERVER_ERROR, "config", "out of memory");
        return 0;
    }
    if (p->params.n_hotwords) memcpy(hot, p->params.hotwords, p->params.n_hotwords * sizeof *hot);
    if (c->n_hotwords) memcpy(hot + p->params.n_hotwords, c->hotwords, c->n_hotwords * sizeof *hot);
    params.hotwords = hot;
    params.n_hotwords = n_hot;
    s->stream = asr_stream_new(p->model, &params); /* copies the words */
    free(hot);
    s->piece_len = (size_t)c->sample_rate * PIECE_MS / 1000;
    s->piece = s->stream ? malloc(s->piece_len * sizeof *s->piece) : NULL;
    if (!s->piece) {
        job_error(j, s->stream ? CLOSE_SERVER_ERROR : CLOSE_BAD_DATA, "config",
                  s->stream ? "out of memory" : asr_last_error());
        return 0;
    }
    s->utterance = 1;
    if (p->record_dir) {
        char path[ASR_PATH_MAX];
        snprintf(path, sizeof path, "%s/stream-%d-%d.f32", p->record_dir, s->id, c->sample_rate);
        s->record = fopen(path, "wb");
    }
    job_add(j, serve_msg_new(serve_json_ready(c->sample_rate,
                                              c->format == SAMPLE_F32LE ? "f32le" : "s16le")));
    return 1;
}

static void sample_at(const serve_session *s, const unsigned char *in, size_t i, float *out) {
    if (s->config.format == SAMPLE_S16LE) {
        int v = in[2 * i] | in[2 * i + 1] << 8;
        if (v >= 32768) v -= 65536;
        *out = (float)v / 32768.0f; /* as 'asr transcribe -' scales */
    } else {
        memcpy(out, in + 4 * i, sizeof *out); /* little-endian hosts only (checked at start) */
    }
}

static void work(serve_pool *p, serve_session *s, const unsigned char *in, size_t n, int eof,
                 job *j) {
    if (!s->stream && !open_stream(p, s, j)) return;
    size_t width = s->config.format == SAMPLE_S16LE ? 2 : 4, count = n / width;
    for (size_t i = 0; i < count && !j->failed; i++) {
        sample_at(s, in, i, &s->piece[s->have++]);
        if (s->have == s->piece_len) {
            feed_piece(p, s, j, s->piece, s->have);
            s->have = 0;
        }
    }
    if (!eof || j->failed) return;
    if (s->have) feed_piece(p, s, j, s->piece, s->have);
    s->have = 0;
    if (!j->failed) end_utterance(s, j, "end_of_stream");
    if (j->failed) return;
    json_out o;
    FILE *f = json_open(&o);
    if (f) {
        fprintf(f, "{\"type\":\"stats\",\"audio_seconds\":%.2f,\"utterances\":%d}", s->offset,
                s->finals);
        job_add(j, json_close(&o));
    }
    j->done = 1;
}

/* With p->mu held: takes the next piece of a session's audio. */
static unsigned char *take_audio(serve_session *s, size_t *n) {
    unsigned char *in = s->in;
    *n = s->in_len;
    if (s->in_len <= JOB_BYTES) {
        s->in = NULL;
        s->in_len = s->in_cap = 0;
        return in;
    }
    /* Whole samples only: JOB_BYTES is a multiple of 2 and 4. */
    unsigned char *part = malloc(JOB_BYTES);
    if (!part) return NULL;
    memcpy(part, s->in, JOB_BYTES);
    memmove(s->in, s->in + JOB_BYTES, s->in_len - JOB_BYTES);
    s->in_len -= JOB_BYTES;
    *n = JOB_BYTES;
    return part;
}

static void merge(serve_session *s, job *j) {
    if (s->failed) { /* an error was sent meanwhile: nothing more goes out */
        msg_list_free(j->head);
        free(j->partial);
        return;
    }
    if (j->head) {
        free(s->partial);
        s->partial = NULL;
    }
    for (serve_msg *m = j->head, *next; m; m = next) {
        next = m->next;
        m->next = NULL;
        serve_queue_msg(s, m);
    }
    if (j->partial) {
        free(s->partial);
        s->partial = j->partial;
    }
    s->failed = j->failed;
    s->error_code = j->code;
    s->done = j->done;
}

static void *worker_main(void *arg) {
    serve_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        serve_session *s = p->head;
        if (!s) break; /* stopping, and nothing left to do */
        p->head = s->next_job;
        if (!p->head) p->tail = NULL;
        s->next_job = NULL;
        s->queued = 0;
        if (s->gone || s->failed || s->done) {
            if (s->gone) serve_session_free(s);
            continue;
        }
        s->busy = 1;
        size_t n;
        unsigned char *in = take_audio(s, &n);
        int eof = s->eof && s->in_len == 0;
        pthread_mutex_unlock(&p->mu);

        job j = {0};
        if (in || n == 0)
            work(p, s, in, n, eof, &j);
        else
            job_error(&j, CLOSE_SERVER_ERROR, "server", "out of memory");
        free(in);

        pthread_mutex_lock(&p->mu);
        s->busy = 0;
        if (j.failed && !s->failed && !s->gone) /* id and peer never change */
            fprintf(stderr, "asr serve: #%d %s: %s\n", s->id, s->peer, j.message);
        merge(s, &j);
        if (s->gone) {
            serve_session_free(s);
            continue;
        }
        if (!s->done && !s->failed && (s->in_len || (s->eof && !eof))) serve_pool_schedule(p, s);
        s->wake = 1;
        pthread_mutex_unlock(&p->mu);
        p->wake(p->wake_arg);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void serve_pool_schedule(serve_pool *p, serve_session *s) {
    if (s->queued || s->busy || s->gone) return;
    s->queued = 1;
    s->next_job = NULL;
    if (p->tail)
        p->tail->next_job = s;
    else
        p->head = s;
    p->tail = s;
    pthread_cond_signal(&p->cv);
}

int serve_pool_start(serve_pool *p, int n) {
    p->threads = calloc((size_t)n, sizeof *p->threads);
    if (!p->threads) return 0;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old); /* signals go to the network thread */
    for (p->n_threads = 0; p->n_threads < n; p->n_threads++)
        if (pthread_create(&p->threads[p->n_threads], NULL, worker_main, p) != 0) break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return p->n_threads == n;
}

void serve_pool_stop(serve_pool *p) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    p->threads = NULL;
    p->n_threads = 0;
}

void serve_session_free(serve_session *s) {
    if (!s) return;
    free(s->text);
    free(s->in);
    msg_list_free(s->out_head);
    free(s->partial);
    serve_config_free(&s->config);
    asr_stream_free(s->stream);
    free(s->piece);
    free(s->shown);
    if (s->record) fclose(s->record);
    free(s);
}
