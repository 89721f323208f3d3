/* asr serve: streaming recognition over WebSocket (libwebsockets), and the
 * page that uses it from a browser. One network thread runs the event loop:
 * it parses the client's messages, queues audio for the decoding workers
 * (serve_worker.c) and sends what they produce. It never decodes. The
 * protocol is in docs/SERVER.md. */
#include <errno.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"

_Static_assert(LWS_PRE <= SERVE_PRE, "serve_msg keeps too little room for the WebSocket header");

static const char usage[] =
    "Usage: asr serve [OPTIONS]\n"
    "\n"
    "Streaming recognition for other programs and browsers, over WebSocket: a\n"
    "client sends a JSON config, audio frames and {\"eof\":1}; the server answers\n"
    "with partial and final results as JSON, the same fields as 'asr live --json'.\n"
    "http://HOST:PORT/ serves a page that transcribes the browser's microphone.\n"
    "'asr client' is a command-line client. Protocol: docs/SERVER.md.\n"
    "\n"
    "Network:\n"
    "  --host ADDR    address to listen on (default 127.0.0.1: this machine only;\n"
    "                 0.0.0.0 = every interface)\n"
    "  --port N       TCP port (default 2700; 0 = any free port, named on stderr)\n"
    "  --token T      clients must present T (?token=T in the URL, or the header\n"
    "                 'Authorization: Bearer T'); visible to 'ps': prefer --token-file\n"
    "  --token-file F the token is the first line of F\n"
    "\n"
    "Limits:\n"
    "  -j N           decoding threads (default: the number of cores)\n"
    "  --max-connections N  streams open at once; more are refused with an error\n"
    "                 (default 100)\n"
    "  --max-frame-bytes N  largest message a client may send, audio or JSON; also\n"
    "                 the audio a stream may have waiting for recognition before the\n"
    "                 server stops reading from it (default 262144)\n"
    "  --max-utterance-ms MS  end an utterance once it is this long (default 20000;\n"
    "                 0 = no limit)\n"
    "  --idle-timeout S  close a stream that sends nothing, or reads nothing, for S\n"
    "                 seconds (default 30)\n"
    "\n"
    "Recognition (shared by every stream):\n"
    "  --model FILE   streaming acoustic model (default: $ASR_MODEL, else\n"
    "                 pretrained/en-lstm-phones.gguf, else en-lstm.gguf); bidirectional\n"
    "                 models are refused\n"
    "  --beam N       CTC prefix beam width; 1 = greedy (default 8, " ASR_LM_BEAM_TEXT
    " with an LM)\n" LM_OPTIONS_HELP "  --endpoint-silence-ms MS\n"
    "                 end an utterance after this much silence following a word\n"
    "                 (default 800; 0 = no silence rule)\n"
    "  -h, --help     this text\n"
    "\n"
    "A stream's config may add its own word list and hotwords. SIGINT or SIGTERM\n"
    "stops taking audio, sends every open stream its last final, and exits 0.\n"
    "Binding another address than loopback without a token prints a warning.\n"
    "\n"
    "Examples:\n"
    "  asr serve                                 # then open http://127.0.0.1:2700/\n"
    "  asr client ws://127.0.0.1:2700/ samples/so762_000030116.wav\n"
    "  asr serve --host 0.0.0.0 --token-file ~/.asr-token -j 4\n";

/* Results waiting to be sent beyond which a stream's audio is no longer
 * read: a client that does not read cannot make the server buffer. */
#define OUT_LIMIT (256 * 1024)
/* The kernel's send buffer per stream: small, so that a client that stops
 * reading shows soon (and holds little memory). */
#define SEND_BUFFER (64 * 1024)
/* How long a stream being closed may take to say goodbye. */
#define CLOSE_GRACE_S 5
/* How long SIGINT waits for open streams to get their finals. */
#define SHUTDOWN_S 10

typedef struct {
    const char *host, *token, *token_file, *model_path;
    int port, threads, max_connections, idle_timeout_s;
    size_t max_frame_bytes;
    asr_stream_params params;
} serve_options;

typedef struct {
    serve_pool pool;
    const serve_options *o;
    struct lws_context *ctx;
    char token[256];
    serve_session *live; /* open streams */
    int n_live, next_id, shutting_down;
    unsigned char *page; /* LWS_PRE bytes, then the page */
} server;

/* lws's per-connection storage. */
typedef struct {
    serve_session *s;
    int token_ok;
} conn;

extern const unsigned char serve_page[];
extern const size_t serve_page_len;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    interrupted = 1;
    signal(sig, SIG_DFL); /* a second one ends at once */
}

static void wake_network(void *arg) {
    lws_cancel_service(((server *)arg)->ctx);
}

static void lws_log(int level, const char *line) {
    (void)level;
    fprintf(stderr, "asr serve: libwebsockets: %s", line);
}

/* ---- Sending ---------------------------------------------------------------------- */

/* The timer that watches a stream for idleness, ticking every TICK_US. */
#define TICK_US (250 * 1000)

static void arm_timer(serve_session *s) {
    lws_set_timer_usecs(s->wsi, TICK_US);
}

/* Sends an error, stops reading and closes once it is out (or after
 * CLOSE_GRACE_S when the client does not read). Logged once. */
static void fail_stream(server *sv, serve_session *s, int code, const char *message) {
    if (s->closing) return;
    fprintf(stderr, "asr serve: #%d %s: %s\n", s->id, s->peer, message);
    pthread_mutex_lock(&sv->pool.mu);
    if (!s->failed) {
        s->failed = 1;
        free(s->partial);
        s->partial = NULL;
        serve_queue_msg(s, serve_msg_new(serve_json_error(message)));
    }
    pthread_mutex_unlock(&sv->pool.mu);
    s->closing = 1;
    s->close_code = code;
    s->close_by = lws_now_usecs() + (lws_usec_t)CLOSE_GRACE_S * LWS_US_PER_SEC;
    lws_rx_flow_control(s->wsi, 0);
    lws_callback_on_writable(s->wsi);
}

static int write_next(server *sv, serve_session *s) {
    pthread_mutex_lock(&sv->pool.mu);
    serve_msg *m = s->out_head;
    if (m) {
        s->out_head = m->next;
        if (!s->out_head) s->out_tail = NULL;
        s->out_bytes -= m->len;
    } else {
        m = s->partial;
        s->partial = NULL;
    }
    int more = s->out_head || s->partial;
    int done = s->done, failed = s->failed, code = s->error_code;
    size_t in_len = s->in_len, out_bytes = s->out_bytes;
    pthread_mutex_unlock(&sv->pool.mu);
    if (m) {
        int n = lws_write(s->wsi, (unsigned char *)m->buf + SERVE_PRE, m->len, LWS_WRITE_TEXT);
        free(m);
        if (n < 0) return -1;
        s->last_tx = lws_now_usecs();
        if (more || done || failed) lws_callback_on_writable(s->wsi); /* next, or close */
    }
    if (s->rx_paused && !s->closing && in_len < sv->o->max_frame_bytes / 2 &&
        out_bytes < OUT_LIMIT / 2) {
        s->rx_paused = 0;
        lws_rx_flow_control(s->wsi, 1);
    }
    if (m || more) return 0;
    if (failed && !s->closing) { /* a worker's error: its message was the last one */
        s->closing = 1;
        s->close_code = code;
    }
    if (done && !s->closing) {
        s->closing = 1;
        s->close_code = sv->shutting_down ? LWS_CLOSE_STATUS_GOINGAWAY : LWS_CLOSE_STATUS_NORMAL;
    }
    if (!s->closing) return 0;
    lws_close_reason(s->wsi, (enum lws_close_status)s->close_code, NULL, 0);
    return -1;
}

/* ---- Receiving -------------------------------------------------------------------- */

static void take_audio(server *sv, serve_session *s, const unsigned char *in, size_t len) {
    size_t width = s->config.format == SAMPLE_S16LE ? 2 : 4;
    size_t total = s->n_carry + len, whole = total - total % width;
    pthread_mutex_lock(&sv->pool.mu);
    if (s->in_len + whole > s->in_cap) {
        size_t cap = (s->in_len + whole) * 2;
        unsigned char *grown = realloc(s->in, cap);
        if (!grown) {
            pthread_mutex_unlock(&sv->pool.mu);
            fail_stream(sv, s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "server: out of memory");
            return;
        }
        s->in = grown;
        s->in_cap = cap;
    }
    /* Samples split between frames are put back together. */
    size_t from_carry = s->n_carry < whole ? s->n_carry : whole;
    memcpy(s->in + s->in_len, s->carry, from_carry);
    memcpy(s->in + s->in_len + from_carry, in, whole - from_carry);
    s->in_len += whole;
    size_t rest = total - whole;
    unsigned char tail[4];
    for (size_t i = 0; i < rest; i++) {
        size_t at = whole + i; /* position in carry + in */
        tail[i] = at < s->n_carry ? s->carry[at] : in[at - s->n_carry];
    }
    memcpy(s->carry, tail, rest);
    s->n_carry = rest;
    if (whole) serve_pool_schedule(&sv->pool, s);
    int full = s->in_len >= sv->o->max_frame_bytes || s->out_bytes >= OUT_LIMIT;
    pthread_mutex_unlock(&sv->pool.mu);
    if (full && !s->rx_paused) { /* back-pressure: TCP holds the rest */
        s->rx_paused = 1;
        lws_rx_flow_control(s->wsi, 0);
    }
}

static void take_text(server *sv, serve_session *s) {
    serve_config config = {0};
    char error[300];
    serve_message_kind kind =
        serve_parse_message(s->text, s->text_len, &config, error, sizeof error);
    if (kind == MSG_BAD) {
        fail_stream(sv, s, LWS_CLOSE_STATUS_INVALID_PAYLOAD, error);
        return;
    }
    pthread_mutex_lock(&sv->pool.mu);
    int eof = s->eof;
    pthread_mutex_unlock(&sv->pool.mu);
    if (eof) {
        serve_config_free(&config);
        fail_stream(sv, s, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                    "a message after {\"eof\": 1}: the stream is over");
        return;
    }
    if (kind == MSG_CONFIG && s->configured) {
        serve_config_free(&config);
        fail_stream(sv, s, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                    "a second config: after the config, send binary audio frames, then "
                    "{\"eof\": 1}");
        return;
    }
    if (kind == MSG_EOF && !s->configured) {
        fail_stream(sv, s, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                    "{\"eof\": 1} before the config: send {\"config\": {...}} first");
        return;
    }
    pthread_mutex_lock(&sv->pool.mu);
    if (kind == MSG_CONFIG) {
        s->config = config; /* read by the worker once scheduled */
        s->configured = 1;
    } else {
        s->eof = 1;
    }
    serve_pool_schedule(&sv->pool, s);
    pthread_mutex_unlock(&sv->pool.mu);
}

static void on_receive(server *sv, struct lws *wsi, serve_session *s, const void *in, size_t len) {
    if (s->closing) return; /* after an error nothing more is read */
    s->last_rx = lws_now_usecs();
    if (lws_is_first_fragment(wsi)) {
        s->msg_bytes = 0;
        s->text_len = 0;
        s->text_message = !lws_frame_is_binary(wsi);
    }
    s->msg_bytes += len;
    if (s->msg_bytes > sv->o->max_frame_bytes) {
        char m[200];
        snprintf(m, sizeof m, "a message of more than %zu bytes (the server's --max-frame-bytes)",
                 sv->o->max_frame_bytes);
        fail_stream(sv, s, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, m);
        return;
    }
    if (!s->text_message) {
        if (!s->configured) {
            fail_stream(sv, s, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                        "audio before the config: send {\"config\": {\"sample_rate\": ...}} first");
            return;
        }
        take_audio(sv, s, in, len);
        return;
    }
    char *grown = realloc(s->text, s->text_len + len + 1);
    if (!grown) {
        fail_stream(sv, s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "server: out of memory");
        return;
    }
    s->text = grown;
    memcpy(s->text + s->text_len, in, len);
    s->text_len += len;
    s->text[s->text_len] = '\0';
    if (lws_is_final_fragment(wsi)) take_text(sv, s);
}

/* ---- Opening and closing ------------------------------------------------------------ */

/* Compares in time that does not depend on where they differ. */
static int same_secret(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0;
}

static int token_ok(server *sv, struct lws *wsi) {
    if (!sv->token[0]) return 1;
    char buf[512];
    const char *arg = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf);
    if (arg && same_secret(arg, sv->token)) return 1;
    if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
        !strncmp(buf, "Bearer ", 7) && same_secret(buf + 7, sv->token))
        return 1;
    return 0;
}

static void on_established(server *sv, struct lws *wsi, conn *c) {
    serve_session *s = calloc(1, sizeof *s);
    if (!s) return; /* c->s stays NULL: the connection is dropped below */
    c->s = s;
    s->wsi = wsi;
    s->id = ++sv->next_id;
    char peer[sizeof s->peer];
    lws_get_peer_simple(wsi, peer, sizeof peer);
    /* An IPv4 client of a dual-stack socket: its plain address. */
    snprintf(s->peer, sizeof s->peer, "%s", strncmp(peer, "::ffff:", 7) ? peer : peer + 7);
    s->next_live = sv->live;
    if (sv->live) sv->live->prev_live = s;
    sv->live = s;
    sv->n_live++;
    s->last_rx = s->last_tx = lws_now_usecs();
    arm_timer(s);
    int sndbuf = SEND_BUFFER;
    setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (!c->token_ok) {
        fail_stream(sv, s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "wrong or missing token");
    } else if (sv->shutting_down) {
        fail_stream(sv, s, LWS_CLOSE_STATUS_GOINGAWAY, "the server is shutting down");
    } else if (sv->n_live > sv->o->max_connections) {
        char m[160];
        snprintf(m, sizeof m, "the server is full (%d streams, --max-connections); try again later",
                 sv->o->max_connections);
        fail_stream(sv, s, 1013 /* try again later */, m);
    }
}

static void on_closed(server *sv, conn *c) {
    serve_session *s = c->s;
    if (!s) return;
    c->s = NULL;
    if (s->prev_live)
        s->prev_live->next_live = s->next_live;
    else
        sv->live = s->next_live;
    if (s->next_live) s->next_live->prev_live = s->prev_live;
    sv->n_live--;
    pthread_mutex_lock(&sv->pool.mu);
    if (s->configured && !s->done && !s->failed)
        fprintf(stderr, "asr serve: #%d %s: the client went away mid-stream\n", s->id, s->peer);
    s->gone = 1;
    s->wsi = NULL;
    int free_now = !s->busy && !s->queued;
    pthread_mutex_unlock(&sv->pool.mu);
    if (free_now) serve_session_free(s);
}

/* Idle streams are closed; so are clients that read nothing for as long. */
static int on_timer(server *sv, serve_session *s) {
    lws_usec_t now = lws_now_usecs(), idle = (lws_usec_t)sv->o->idle_timeout_s * LWS_US_PER_SEC;
    if (s->closing) { /* drop it if the goodbye does not get through */
        if (now > s->close_by) return -1;
        arm_timer(s);
        return 0;
    }
    pthread_mutex_lock(&sv->pool.mu);
    int has_out = s->out_head || s->partial;
    int working = s->in_len || s->busy || s->queued || (s->eof && !s->done);
    pthread_mutex_unlock(&sv->pool.mu);
    if ((has_out || lws_send_pipe_choked(s->wsi)) && now - s->last_tx > idle) {
        fprintf(stderr, "asr serve: #%d %s: closed: read nothing for %d s (--idle-timeout)\n",
                s->id, s->peer, sv->o->idle_timeout_s);
        return -1; /* it would not read an error either */
    }
    if (!working && !has_out && now - s->last_rx > idle) {
        char m[160];
        snprintf(m, sizeof m, "idle for %d s: no audio and no {\"eof\": 1} (--idle-timeout)",
                 sv->o->idle_timeout_s);
        fail_stream(sv, s, LWS_CLOSE_STATUS_POLICY_VIOLATION, m);
    }
    arm_timer(s);
    return 0;
}

/* A worker has news: results to send, room for more audio. */
static void on_wake(server *sv) {
    for (serve_session *s = sv->live; s; s = s->next_live) {
        pthread_mutex_lock(&sv->pool.mu);
        int wake = s->wake;
        s->wake = 0;
        pthread_mutex_unlock(&sv->pool.mu);
        if (wake) lws_callback_on_writable(s->wsi);
    }
}

static void begin_shutdown(server *sv) {
    sv->shutting_down = 1;
    fprintf(stderr, "asr serve: stopping: finishing %d open stream%s\n", sv->n_live,
            sv->n_live == 1 ? "" : "s");
    for (serve_session *s = sv->live; s; s = s->next_live) {
        if (s->closing) continue;
        if (!s->configured) {
            fail_stream(sv, s, LWS_CLOSE_STATUS_GOINGAWAY, "the server is shutting down");
            continue;
        }
        s->rx_paused = 1; /* no more audio: what came is finished */
        lws_rx_flow_control(s->wsi, 0);
        pthread_mutex_lock(&sv->pool.mu);
        s->eof = 1;
        serve_pool_schedule(&sv->pool, s);
        pthread_mutex_unlock(&sv->pool.mu);
    }
}

/* ---- HTTP: the page ------------------------------------------------------------------ */

static int serve_http(struct lws *wsi, const char *uri) {
    if (strcmp(uri, "/") && strcmp(uri, "/index.html")) {
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "Not found: the page is at /"))
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    unsigned char head[LWS_PRE + 512], *start = head + LWS_PRE, *p = start,
                                       *end = head + sizeof head - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/html; charset=utf-8", serve_page_len,
                                    &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-cache", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
    struct lws_context *ctx = lws_get_context(wsi);
    server *sv = ctx ? lws_context_user(ctx) : NULL;
    conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP: return serve_http(wsi, in);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (lws_write(wsi, sv->page + LWS_PRE, serve_page_len, LWS_WRITE_HTTP_FINAL) < 0) return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: c->token_ok = token_ok(sv, wsi); return 0;
    case LWS_CALLBACK_ESTABLISHED: on_established(sv, wsi, c); return c->s ? 0 : -1;
    case LWS_CALLBACK_RECEIVE:
        if (c->s) on_receive(sv, wsi, c->s, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: return c->s ? write_next(sv, c->s) : 0;
    case LWS_CALLBACK_TIMER: return c->s ? on_timer(sv, c->s) : 0;
    case LWS_CALLBACK_CLOSED: on_closed(sv, c); return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (sv) on_wake(sv);
        return 0;
    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- Options ------------------------------------------------------------------------ */

static int is_loopback(const char *host) {
    return !strncmp(host, "127.", 4) || !strcmp(host, "::1") || !strcmp(host, "localhost");
}

static int read_token_file(const char *path, char *token, size_t size) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "asr serve: --token-file %s: cannot open: %s\n", path, strerror(errno));
        return 0;
    }
    if (!fgets(token, (int)size, f)) token[0] = '\0';
    fclose(f);
    token[strcspn(token, "\r\n")] = '\0';
    if (!token[0]) {
        fprintf(stderr, "asr serve: --token-file %s: the first line is empty\n", path);
        return 0;
    }
    return 1;
}

/* Returns -1 to go on, else an exit status. */
static int parse_options(int argc, char **argv, serve_options *o, lm_options *lmo) {
    const char *v;
    for (int i = 1; i < argc; i++) {
        int r = 0, n;
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else if ((r = opt_value(argc, argv, &i, "host", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o->host = v;
        } else if ((r = opt_value(argc, argv, &i, "port", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--port", v, 0, 65535, &o->port)) return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "token", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o->token = v;
        } else if ((r = opt_value(argc, argv, &i, "token-file", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o->token_file = v;
        } else if ((r = opt_value(argc, argv, &i, "jobs", 'j', &v)) != 0) {
            if (r < 0 || !opt_int("-j", v, 1, 256, &o->threads)) return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "max-connections", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--max-connections", v, 1, 100000, &o->max_connections))
                return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "max-frame-bytes", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--max-frame-bytes", v, 1024, 1 << 30, &n)) return EXIT_USAGE;
            o->max_frame_bytes = (size_t)n;
        } else if ((r = opt_value(argc, argv, &i, "idle-timeout", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--idle-timeout", v, 1, 86400, &o->idle_timeout_s))
                return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "model", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o->model_path = v;
        } else if ((r = opt_value(argc, argv, &i, "beam", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--beam", v, 1, 1024, &o->params.beam_size)) return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "endpoint-silence-ms", 0, &v)) != 0) {
            if (r < 0 ||
                !opt_int("--endpoint-silence-ms", v, 0, 3600000, &o->params.endpoint_silence_ms))
                return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "max-utterance-ms", 0, &v)) != 0) {
            if (r < 0 ||
                !opt_int("--max-utterance-ms", v, 0, 3600000, &o->params.endpoint_max_utterance_ms))
                return EXIT_USAGE;
        } else if ((r = lm_option(argc, argv, &i, lmo)) != 0) {
            if (r < 0) return EXIT_USAGE;
        } else {
            fprintf(stderr, "asr serve: unexpected argument '%s' (see --help)\n", a);
            return EXIT_USAGE;
        }
    }
    if (o->token && o->token_file) {
        fprintf(stderr, "asr serve: give --token or --token-file, not both\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* ---- Running --------------------------------------------------------------------------- */

static double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int run(server *sv) {
    static const struct lws_protocols protocols[] = {
        {"asr", callback, sizeof(conn), 16384, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    const serve_options *o = sv->o;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = o->port;
    info.iface = o->host;
    info.protocols = protocols;
    info.user = sv;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.vhost_name = "asr";
    lws_set_log_level(LLL_ERR, lws_log);
    sv->ctx = lws_create_context(&info);
    if (!sv->ctx) {
        fprintf(stderr,
                "asr serve: cannot listen on %s port %d (in use, or not an address of this "
                "machine?)\n",
                o->host, o->port);
        return EXIT_SOME_FAILED;
    }
    if (!serve_pool_start(&sv->pool, o->threads)) {
        fprintf(stderr, "asr serve: cannot start %d decoding threads\n", o->threads);
        serve_pool_stop(&sv->pool);
        lws_context_destroy(sv->ctx);
        return EXIT_SOME_FAILED;
    }
    int port = lws_get_vhost_listen_port(lws_get_vhost_by_name(sv->ctx, "asr"));
    const char *bracket = strchr(o->host, ':') ? "[" : "";
    fprintf(stderr,
            "asr serve: listening on http://%s%s%s:%d/ (WebSocket ws://%s%s%s:%d/), model %s, "
            "%d decoding thread%s\n",
            bracket, o->host, *bracket ? "]" : "", port, bracket, o->host, *bracket ? "]" : "",
            port, sv->pool.model_name, o->threads, o->threads == 1 ? "" : "s");
    if (!is_loopback(o->host) && !sv->token[0])
        fprintf(stderr,
                "asr serve: warning: %s is reachable from other machines and no --token "
                "is set: anyone who can reach it can use this server\n",
                o->host);

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    double deadline = 0;
    for (;;) {
        if (interrupted && !sv->shutting_down) {
            begin_shutdown(sv);
            deadline = monotonic() + SHUTDOWN_S;
        }
        if (sv->shutting_down && (sv->n_live == 0 || monotonic() > deadline)) break;
        if (lws_service(sv->ctx, 0) < 0) break;
    }
    if (sv->n_live)
        fprintf(stderr, "asr serve: %d stream%s still open after %d s: closed\n", sv->n_live,
                sv->n_live == 1 ? "" : "s", SHUTDOWN_S);
    serve_pool_stop(&sv->pool); /* first: workers still wake the loop */
    lws_context_destroy(sv->ctx);
    fprintf(stderr, "asr serve: stopped\n");
    return EXIT_OK;
}

int cmd_serve(int argc, char **argv) {
    static const char *const model_names[] = STREAMING_MODEL_NAMES;
    serve_options o = {
        .host = "127.0.0.1",
        .port = 2700,
        .threads = (int)sysconf(_SC_NPROCESSORS_ONLN),
        .max_connections = 100,
        .max_frame_bytes = 256 * 1024,
        .idle_timeout_s = 30,
        .params = asr_stream_default_params(),
    };
    if (o.threads < 1) o.threads = 1;
    lm_options lmo = {0};
    int rc = parse_options(argc, argv, &o, &lmo);
    if (rc >= 0) {
        lm_options_free(&lmo);
        return rc;
    }
    static server sv; /* static: large, and reached from the lws callback */
    sv.o = &o;
    rc = EXIT_USAGE;
    if (o.token_file && !read_token_file(o.token_file, sv.token, sizeof sv.token)) {
        lm_options_free(&lmo);
        return rc;
    }
    if (o.token) snprintf(sv.token, sizeof sv.token, "%s", o.token);
    const uint16_t one = 1;
    if (*(const unsigned char *)&one != 1) {
        fprintf(stderr, "asr serve: needs a little-endian machine\n");
        lm_options_free(&lmo);
        return rc;
    }

    const char *model_path = o.model_path ? o.model_path : default_model_path(model_names);
    asr_model *model = load_streaming_model_or_complain(
        "serve", model_path,
        "stream. Use a streaming model (--model pretrained/en-lstm-phones.gguf)");
    if (!model) goto done;
    /* The same LM defaults as 'asr transcribe' and 'asr live'. */
    if (!lm_options_apply(&lmo, model, &o.params)) goto done;
    sv.page = malloc(LWS_PRE + serve_page_len);
    if (!sv.page) goto done;
    memcpy(sv.page + LWS_PRE, serve_page, serve_page_len);
    sv.pool.model = model;
    sv.pool.model_name = model_path;
#ifdef ASR_TEST_HOOKS /* the browser test's record of what arrived (tests/CMakeLists.txt) */
    sv.pool.record_dir = getenv("ASR_SERVE_TEST_RECORD");
#endif
    sv.pool.params = o.params;
    sv.pool.wake = wake_network;
    sv.pool.wake_arg = &sv;
    pthread_mutex_init(&sv.pool.mu, NULL);
    pthread_cond_init(&sv.pool.cv, NULL);
    rc = run(&sv);
    pthread_cond_destroy(&sv.pool.cv);
    pthread_mutex_destroy(&sv.pool.mu);
done:
    free(sv.page);
    lm_options_free(&lmo);
    asr_model_free(model);
    return rc;
}
