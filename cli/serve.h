/* asr serve: the pieces shared by the network thread (serve.c), the
 * decoding workers (serve_worker.c) and the protocol (serve_protocol.c).
 * The protocol is described in docs/SERVER.md. */
#ifndef ASR_SERVE_H
#define ASR_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "asr.h"

/* ---- Protocol: what a client asks for ---------------------------------------- */

enum { SAMPLE_S16LE, SAMPLE_F32LE };

typedef struct {
    int sample_rate;
    int format;   /* SAMPLE_S16LE or SAMPLE_F32LE */
    int partials; /* send partial results (default on) */
    char **words; /* vocabulary; NULL: the server's */
    size_t n_words;
    asr_hotword *hotwords; /* added to the server's */
    size_t n_hotwords;
} serve_config;

typedef enum { MSG_CONFIG, MSG_EOF, MSG_BAD } serve_message_kind;

/* Classifies a text message and, for a config, fills *config. MSG_BAD puts
 * a one-line reason into error. */
serve_message_kind serve_parse_message(const char *text, size_t len, serve_config *config,
                                       char *error, size_t error_size);
void serve_config_free(serve_config *config);

/* Messages to the client, malloc'ed NUL-terminated JSON (NULL when out of
 * memory). */
char *serve_json_error(const char *message);
char *serve_json_ready(int sample_rate, const char *format);

/* ---- Sessions and the worker pool -------------------------------------------- */

/* Room kept before a message for the WebSocket header (LWS_PRE, checked in
 * serve.c). */
#define SERVE_PRE 16

typedef struct serve_msg {
    struct serve_msg *next;
    size_t len;
    char buf[]; /* SERVE_PRE bytes of room, then len bytes of JSON */
} serve_msg;

/* One WebSocket stream. The fields under "shared" are guarded by the pool's
 * mutex; the network thread owns the connection, a worker the decoder. */
typedef struct serve_session {
    /* Network thread only. */
    struct serve_session *prev_live, *next_live;
    void *wsi;      /* struct lws *, NULL once closed */
    int id;         /* for log lines */
    char peer[64];  /* address:port, for log lines */
    int configured; /* a config was accepted */
    int rx_paused;  /* reading stopped for back-pressure */
    int closing;    /* an error or the end was sent: close after the queue */
    int close_code;
    size_t msg_bytes;           /* size so far of the message being received */
    char *text;                 /* a text message being received */
    size_t text_len;            /* ... its length */
    int text_message;           /* the current message is text */
    long long last_rx, last_tx; /* lws_now_usecs() of the last message read, written */
    long long close_by;         /* closing: drop the connection after this */
    unsigned char carry[4];     /* bytes of a sample split between frames */
    size_t n_carry;

    /* Shared (pool mutex). */
    unsigned char *in; /* audio bytes waiting for a worker */
    size_t in_len, in_cap;
    int eof;        /* no more audio: finish the utterance */
    int queued;     /* in the job queue */
    int busy;       /* a worker has it */
    int done;       /* the worker sent the last final and the stats */
    int failed;     /* stop working: an error was sent */
    int error_code; /* a worker's error: the WebSocket close code */
    int gone;       /* the connection closed: the last holder frees it */
    int wake;       /* the network thread should look at it */
    serve_msg *out_head, *out_tail;
    size_t out_bytes;
    serve_msg *partial; /* the newest partial not yet sent (older ones are dropped) */
    struct serve_session *next_job;

    /* Worker only (one worker at a time). */
    serve_config config;
    asr_stream *stream;
    float *piece; /* PIECE_MS of samples being gathered */
    size_t piece_len, have;
    double offset;      /* seconds before the current utterance */
    size_t utt_samples; /* samples of the current utterance */
    int utterance;      /* number of the current utterance, from 1 */
    int finals;
    char *shown;  /* the last partial sent */
    FILE *record; /* test hook: the samples fed, as float32 */
} serve_session;

typedef struct {
    const asr_model *model;
    asr_stream_params params; /* the server's: LM, beam, endpointing, words */
    const char *model_name;
    const char *record_dir; /* test hook ($ASR_SERVE_TEST_RECORD): each stream's samples */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    serve_session *head, *tail; /* job queue */
    int stop;
    int n_threads;
    pthread_t *threads;
    void (*wake)(void *arg); /* tells the network thread to look (any thread) */
    void *wake_arg;
} serve_pool;

/* Starts n decoding threads (with SIGINT and SIGTERM blocked). 0 on failure. */
int serve_pool_start(serve_pool *pool, int n);
/* Stops and joins them; sessions still queued are left to the caller. */
void serve_pool_stop(serve_pool *pool);

/* With pool->mu held: queues a session that has work, unless it is
 * queued or busy already. */
void serve_pool_schedule(serve_pool *pool, serve_session *s);
/* Wraps malloc'ed JSON (freed) into a message; NULL when json is NULL or
 * memory is short. */
serve_msg *serve_msg_new(char *json);
/* With pool->mu held: appends a message to the session's queue. */
void serve_queue_msg(serve_session *s, serve_msg *m);
/* Frees a session and everything it holds. */
void serve_session_free(serve_session *s);

#endif
