/* asr client: sends an audio file to `asr serve` over WebSocket as a
 * microphone would (or faster) and writes what comes back. For scripts and
 * tests; the protocol is in docs/SERVER.md. */
#include <cJSON.h>
#include <errno.h>
#include <libwebsockets.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "cli.h"

static const char usage[] =
    "Usage: asr client [OPTIONS] URL FILE\n"
    "\n"
    "Streams FILE (any format 'asr transcribe' reads) to an 'asr serve' at URL\n"
    "(ws://HOST:PORT/) and writes each final result as a line of text. Ctrl-C\n"
    "stops sending, waits for the last final and exits.\n"
    "\n"
    "Options:\n"
    "  --speed X      send the audio at X times the pace of speech (default 1, as a\n"
    "                 microphone would; 0 = as fast as the server takes it)\n"
    "  --chunk-ms MS  audio per frame (default 20)\n"
    "  --format F     s16le (default) or f32le samples on the wire\n"
    "  --token T      the server's token (sent as 'Authorization: Bearer T')\n"
    "  --token-file F the token is the first line of F\n"
    "  --words FILE   only these words (one per line) may be recognised\n"
    "  --hotword W[:B] favour word W by B (default 5); may be repeated\n"
    "  --no-partials  ask the server for finals only\n"
    "  --json         write every message from the server as a JSON line\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit status: 0 when the server sent its final results, 1 when it could not be\n"
    "reached or sent an error (written to stderr), 2 for bad options or files.\n"
    "\n"
    "Example:\n"
    "  asr client --speed 0 ws://127.0.0.1:2700/ samples/so762_000030116.wav\n";

typedef struct {
    const char *url, *file, *token_file, *words_path;
    double speed;
    int chunk_ms, f32, partials, json;
    char token[256];
    const char **hot;
    int n_hot;
} client_options;

typedef struct {
    const client_options *o;
    asr_audio audio;
    size_t chunk, sent; /* samples per frame, samples sent */
    char *config;       /* the JSON config, sent first */
    int config_sent, ready, eof_sent, got_stats, failed, finished;
    lws_usec_t start;
    char *text; /* a message being received */
    size_t text_len;
    unsigned char *frame; /* LWS_PRE + one frame */
    struct lws *wsi;
} client;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    interrupted = 1;
    signal(sig, SIG_DFL);
}

static void lws_log(int level, const char *line) {
    (void)level;
    fprintf(stderr, "asr client: libwebsockets: %s", line);
}

static int send_text(struct lws *wsi, const char *json) {
    size_t len = strlen(json);
    unsigned char *buf = malloc(LWS_PRE + len);
    if (!buf) return -1;
    memcpy(buf + LWS_PRE, json, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    free(buf);
    return n < 0 ? -1 : 0;
}

static int send_next(client *c, struct lws *wsi) {
    if (!c->config_sent) {
        c->config_sent = 1;
        return send_text(wsi, c->config);
    }
    /* Audio only once the server said "ready": a refused stream (token, full server) then
       has nothing of ours unread when the server closes, so its error reaches us intact. */
    if (!c->ready || c->eof_sent) return 0;
    if (c->sent >= c->audio.n || interrupted) {
        c->eof_sent = 1;
        return send_text(wsi, "{\"eof\":1}");
    }
    if (c->o->speed > 0) { /* not before the audio has been "spoken" */
        double due_s = (double)c->sent / c->audio.sample_rate / c->o->speed;
        lws_usec_t due = c->start + (lws_usec_t)(due_s * LWS_US_PER_SEC);
        lws_usec_t now = lws_now_usecs();
        if (due > now) {
            lws_set_timer_usecs(wsi, due - now);
            return 0;
        }
    }
    size_t n = c->audio.n - c->sent < c->chunk ? c->audio.n - c->sent : c->chunk;
    const float *x = c->audio.samples + c->sent;
    unsigned char *p = c->frame + LWS_PRE;
    for (size_t i = 0; i < n; i++) {
        if (c->o->f32) {
            memcpy(p + 4 * i, &x[i], 4);
        } else {
            long v = lrintf(x[i] * 32768.0f);
            v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
            p[2 * i] = (unsigned char)(v & 0xff);
            p[2 * i + 1] = (unsigned char)((v >> 8) & 0xff);
        }
    }
    c->sent += n;
    lws_callback_on_writable(wsi);
    return lws_write(wsi, p, n * (c->o->f32 ? 4 : 2), LWS_WRITE_BINARY) < 0 ? -1 : 0;
}

static void take_message(client *c) {
    if (c->o->json) {
        fwrite(c->text, 1, c->text_len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    cJSON *j = cJSON_ParseWithLength(c->text, c->text_len);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    if (!strcmp(t, "final") && !c->o->json) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(j, "text");
        if (cJSON_IsString(text)) puts(text->valuestring);
        fflush(stdout);
    } else if (!strcmp(t, "error")) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        fprintf(stderr, "asr client: the server says: %s\n",
                cJSON_IsString(e) ? e->valuestring : "(an error without a message)");
        c->failed = 1;
    } else if (!strcmp(t, "ready") && !c->ready) {
        c->ready = 1;
        c->start = lws_now_usecs();
        if (c->wsi) lws_callback_on_writable(c->wsi);
    } else if (!strcmp(t, "stats")) {
        c->got_stats = 1;
    } else if (!j) {
        fprintf(stderr, "asr client: the server sent something that is not JSON\n");
        c->failed = 1;
    }
    cJSON_Delete(j);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
    struct lws_context *ctx = lws_get_context(wsi);
    client *c = ctx ? lws_context_user(ctx) : NULL;
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (c->o->token[0]) {
            unsigned char **p = in, *end = *p + len;
            char value[300];
            int n = snprintf(value, sizeof value, "Bearer %s", c->o->token);
            if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                             (unsigned char *)value, n, p, end))
                return -1;
        }
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED: lws_callback_on_writable(wsi); return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: return send_next(c, wsi);
    case LWS_CALLBACK_TIMER: lws_callback_on_writable(wsi); return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        if (lws_is_first_fragment(wsi)) c->text_len = 0;
        char *grown = realloc(c->text, c->text_len + len + 1);
        if (!grown) return -1;
        c->text = grown;
        memcpy(c->text + c->text_len, in, len);
        c->text_len += len;
        if (lws_is_final_fragment(wsi)) take_message(c);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        fprintf(stderr, "asr client: cannot connect to %s: %s\n", c->o->url,
                in ? (const char *)in : "unknown error");
        c->failed = 1;
        c->finished = 1;
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        /* A close without an error message before it: say its code. */
        unsigned code = len >= 2 ? (unsigned)((const unsigned char *)in)[0] << 8 |
                                       ((const unsigned char *)in)[1]
                                 : 1005;
        if (code != 1000 && !c->failed && !c->got_stats) {
            fprintf(stderr, "asr client: the server closed the stream (WebSocket code %u)\n", code);
            c->failed = 1;
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        c->finished = 1;
        c->wsi = NULL;
        return 0;
    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- Options ------------------------------------------------------------------------- */

static int read_first_line(const char *option, const char *path, char *out, size_t size) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "asr client: %s %s: cannot open: %s\n", option, path, strerror(errno));
        return 0;
    }
    if (!fgets(out, (int)size, f)) out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    if (!out[0]) fprintf(stderr, "asr client: %s %s: the first line is empty\n", option, path);
    return out[0] != '\0';
}

/* The config message: {"config": {...}}, malloc'ed; NULL after an error. */
static char *make_config(const client_options *o, int rate) {
    cJSON *root = cJSON_CreateObject(), *cfg = cJSON_AddObjectToObject(root, "config");
    cJSON_AddNumberToObject(cfg, "sample_rate", rate);
    cJSON_AddStringToObject(cfg, "format", o->f32 ? "f32le" : "s16le");
    cJSON_AddBoolToObject(cfg, "partials", o->partials);
    int ok = 1;
    if (o->words_path) {
        FILE *f = fopen(o->words_path, "r");
        cJSON *words = cJSON_AddArrayToObject(cfg, "words");
        char line[1024];
        if (!f) {
            fprintf(stderr, "asr client: --words %s: cannot open: %s\n", o->words_path,
                    strerror(errno));
            ok = 0;
        }
        while (f && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0] && line[0] != '#') cJSON_AddItemToArray(words, cJSON_CreateString(line));
        }
        if (f) fclose(f);
    }
    if (o->n_hot) {
        cJSON *hot = cJSON_AddArrayToObject(cfg, "hotwords");
        for (int i = 0; i < o->n_hot; i++)
            cJSON_AddItemToArray(hot, cJSON_CreateString(o->hot[i]));
    }
    char *s = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return s;
}

/* Returns -1 to go on, else an exit status. */
static int parse_options(int argc, char **argv, client_options *o) {
    const char *v, *positional[2];
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        int r = 0;
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--no-partials")) {
            o->partials = 0;
        } else if ((r = opt_value(argc, argv, &i, "speed", 0, &v)) != 0) {
            char *end;
            if (r < 0) return EXIT_USAGE;
            o->speed = strtod(v, &end);
            if (end == v || *end || !(o->speed >= 0) || o->speed > 1000) {
                fprintf(stderr, "asr: --speed expects a number from 0 to 1000, not '%s'\n", v);
                return EXIT_USAGE;
            }
        } else if ((r = opt_value(argc, argv, &i, "chunk-ms", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--chunk-ms", v, 1, 10000, &o->chunk_ms)) return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "format", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (strcmp(v, "s16le") && strcmp(v, "f32le")) {
                fprintf(stderr, "asr: --format expects s16le or f32le, not '%s'\n", v);
                return EXIT_USAGE;
            }
            o->f32 = !strcmp(v, "f32le");
        } else if ((r = opt_value(argc, argv, &i, "token", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            snprintf(o->token, sizeof o->token, "%s", v);
        } else if ((r = opt_value(argc, argv, &i, "token-file", 0, &v)) != 0) {
            if (r < 0 || !read_first_line("--token-file", v, o->token, sizeof o->token))
                return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "words", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o->words_path = v;
        } else if ((r = opt_value(argc, argv, &i, "hotword", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            const char **h = realloc(o->hot, (size_t)(o->n_hot + 1) * sizeof *h);
            if (!h) return EXIT_USAGE;
            o->hot = h;
            o->hot[o->n_hot++] = v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "asr client: unknown option '%s' (see --help)\n", a);
            return EXIT_USAGE;
        } else if (n_pos < 2) {
            positional[n_pos++] = a;
        } else {
            fprintf(stderr, "asr client: one URL and one FILE, not more (see --help)\n");
            return EXIT_USAGE;
        }
    }
    if (n_pos != 2) {
        fprintf(stderr, "asr client: needs a URL and a FILE (see --help)\n");
        return EXIT_USAGE;
    }
    o->url = positional[0];
    o->file = positional[1];
    return -1;
}

/* ---- Running ----------------------------------------------------------------------------- */

static int connect_to(client *c, struct lws_context *ctx) {
    char url[1024], path[1100];
    const char *prot, *host, *p;
    int port;
    snprintf(url, sizeof url, "%s", c->o->url);
    if (lws_parse_uri(url, &prot, &host, &port, &p) ||
        (strcmp(prot, "ws") && strcmp(prot, "wss"))) {
        fprintf(stderr, "asr client: %s is not a ws:// or wss:// URL\n", c->o->url);
        return 0;
    }
    snprintf(path, sizeof path, "/%s", p);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = host;
    ci.host = host;
    ci.origin = host;
    ci.port = port;
    ci.path = path;
    ci.ssl_connection = strcmp(prot, "wss") ? 0 : LCCSCF_USE_SSL;
    ci.protocol = NULL;
    ci.pwsi = &c->wsi;
    return lws_client_connect_via_info(&ci) != NULL || c->finished;
}

int cmd_client(int argc, char **argv) {
    client_options o = {.speed = 1, .chunk_ms = 20, .partials = 1};
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0) {
        free(o.hot);
        return rc;
    }
    client c = {.o = &o};
    rc = EXIT_USAGE;
    if (asr_audio_read_file(o.file, &c.audio) != ASR_OK) {
        fprintf(stderr, "asr client: %s\n", asr_last_error());
        goto done;
    }
    c.chunk = (size_t)c.audio.sample_rate * (size_t)o.chunk_ms / 1000;
    if (c.chunk < 1) c.chunk = 1;
    c.frame = malloc(LWS_PRE + c.chunk * 4);
    c.config = make_config(&o, c.audio.sample_rate);
    if (!c.frame || !c.config) goto done;

    static const struct lws_protocols protocols[] = {
        {"asr", callback, 0, 65536, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = &c;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    lws_set_log_level(LLL_ERR, lws_log);
    struct lws_context *ctx = lws_create_context(&info);
    rc = EXIT_SOME_FAILED;
    if (!ctx) {
        fprintf(stderr, "asr client: cannot start libwebsockets\n");
        goto done;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (connect_to(&c, ctx)) {
        int stop_sent = 0;
        while (!c.finished && lws_service(ctx, 0) >= 0) {
            if (interrupted && !stop_sent && c.wsi) {
                stop_sent = 1;
                lws_callback_on_writable(c.wsi); /* sends {"eof":1} */
            }
        }
        if (!c.failed && !c.got_stats)
            fprintf(stderr, "asr client: the server closed the stream before its last result\n");
        rc = !c.failed && c.got_stats ? EXIT_OK : EXIT_SOME_FAILED;
    }
    lws_context_destroy(ctx);
done:
    asr_audio_free(&c.audio);
    free(c.frame);
    free(c.config);
    free(c.text);
    free(o.hot);
    return rc;
}
