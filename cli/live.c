/* asr live: transcription while the audio arrives, from a microphone,
 * standard input or a file. Whatever the source, one producer (PortAudio's
 * callback or a reader thread) fills a lock-free ring buffer and the main
 * thread drains it into the stream, finalising an utterance at each
 * endpoint. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "capture.h"
#include "cli.h"
#include "ring_buffer.h"

static const char usage[] =
    "Usage: asr live [OPTIONS]               listen to a microphone\n"
    "       asr live [OPTIONS] -             raw 16-bit little-endian mono PCM on stdin\n"
    "       asr live [OPTIONS] --input FILE  a file, as if it were being spoken\n"
    "\n"
    "Writes what is said while it is said. On a terminal the current guess is\n"
    "redrawn in place (its first part, once shown, never changes) and each\n"
    "utterance becomes a line of its own when the speaker pauses. Into a pipe or\n"
    "file only those final lines are written. Ctrl-C (or the end of the input)\n"
    "writes the last words and exits.\n"
    "\n"
    "Input:\n"
    "  --list-devices list the audio input devices and exit\n"
    "  --device DEV   input device: its number in --list-devices or part of its name\n"
    "                 (default: the system's default input)\n"
    "  --rate HZ      microphone: ask the device for this rate instead of its own;\n"
    "                 '-': the rate of the PCM (default 16000)\n"
    "  --input FILE   read FILE (any format 'asr transcribe' reads; '-' = stdin)\n"
    "  --realtime     with --input FILE: feed it at the pace of speech, as a\n"
    "                 microphone would (default: as fast as recognition goes)\n"
    "  --duration S   stop after S seconds of audio (default: no limit)\n"
    "  --buffer-ms MS audio held between capture and recognition; when recognition\n"
    "                 falls further behind, samples are dropped and reported as\n"
    "                 overruns (default 5000)\n"
    "\n"
    "Recognition:\n"
    "  --model FILE   streaming acoustic model (default: $ASR_MODEL, else\n"
    "                 pretrained/en-lstm-phones.gguf, else en-lstm.gguf); bidirectional\n"
    "                 models are refused\n"
    "  --beam N       CTC prefix beam width; 1 = greedy (default 8, " ASR_LM_BEAM_TEXT
    " with an LM)\n" LM_OPTIONS_HELP "  --endpoint-silence-ms MS\n"
    "                 end an utterance after this much silence following a word\n"
    "                 (default 800; 0 = no silence rule)\n"
    "  --max-utterance-ms MS\n"
    "                 end an utterance once it is this long (default 20000; 0 = no\n"
    "                 limit)\n"
    "\n"
    "Output:\n"
    "  --json         JSON lines: {\"type\":\"partial\",...} as the guess changes,\n"
    "                 {\"type\":\"final\",...} with words, times (seconds from the\n"
    "                 start) and confidences, and {\"type\":\"stats\",...} at the end\n"
    "  -h, --help     this text\n"
    "\n"
    "The device, its host API and rate are named on stderr at the start; at the end\n"
    "a summary says how much audio was heard and how much was dropped (overruns).\n"
    "Exit status: 0 at Ctrl-C or the end of the input, 1 when the device is lost\n"
    "or the input fails (after writing what was heard), 2 for bad options or model.\n"
    "More in docs/LIVE.md.\n"
    "\n"
    "Examples:\n"
    "  asr live\n"
    "  asr live --list-devices\n"
    "  asr live --device USB --json\n"
    "  arecord -f S16_LE -r 16000 -c 1 | asr live - --rate 16000\n"
    "  asr live --input samples/so762_000030116.wav --realtime\n";

enum { SOURCE_MIC, SOURCE_STDIN, SOURCE_FILE };

/* Audio handed to the stream per call: fixed, so that endpoints (checked
 * after each piece) fall in the same places however the ring was filled. */
#define PIECE_MS 20
/* How long the recognizer naps when the ring is empty. */
#define NAP_MS 5

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    interrupted = 1;
    signal(sig, SIG_DFL); /* a second Ctrl-C ends at once */
}

static void nap(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

typedef struct {
    int kind;
    const char *name; /* for messages and JSON */
    int rate;
    asr_ring *ring;
    size_t max_samples; /* --duration; 0 = no limit */
    atomic_int stop;    /* set by the recognizer to end a reader thread */
    /* File and stdin: the reader thread. */
    pthread_t thread;
    int has_thread;
    asr_audio_reader *reader; /* the file, read block by block: no length takes memory */
    int realtime;
    char error[300]; /* a read failure, set by the reader before it closes the ring */
    int odd_byte;
    /* Microphone. */
    int device;
    asr_capture *capture;
} source;

/* Waits for room rather than dropping: files and pipes can wait. */
static void push_waiting(source *src, const float *x, size_t n) {
    while (n > 0 && !atomic_load(&src->stop)) {
        size_t w = asr_ring_try_write(src->ring, x, n);
        x += w;
        n -= w;
        if (n) nap(1);
    }
}

static void *read_file(void *arg) {
    source *src = arg;
    float block[4096];
    size_t chunk = (size_t)src->rate / 100 + 1, at = 0, m = 0;
    if (chunk > sizeof block / sizeof *block) chunk = sizeof block / sizeof *block;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!atomic_load(&src->stop) && !(src->max_samples && at >= src->max_samples)) {
        size_t want = chunk;
        if (src->max_samples && want > src->max_samples - at) want = src->max_samples - at;
        if (asr_audio_reader_read(src->reader, block, want, &m) != ASR_OK) {
            snprintf(src->error, sizeof src->error, "%s", asr_last_error());
            break;
        }
        if (m == 0) break;
        if (!src->realtime) {
            push_waiting(src, block, m);
        } else {
            /* A microphone hands samples over once they have been spoken, and
             * cannot wait: the same here. */
            double due = (double)(at + m) / src->rate;
            struct timespec t = start;
            t.tv_sec += (time_t)due;
            t.tv_nsec += (long)((due - floor(due)) * 1e9);
            if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
            }
            asr_ring_write(src->ring, block, m);
        }
        at += m;
    }
    asr_ring_close(src->ring);
    return NULL;
}

static void *read_stdin(void *arg) {
    source *src = arg;
    unsigned char bytes[8192];
    float samples[sizeof bytes / 2];
    size_t pending = 0, total = 0;
    while (!atomic_load(&src->stop)) {
        /* Polled, so that a stop request is seen even when no data comes. */
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        int ready = poll(&p, 1, 100);
        if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
        ssize_t got = ready < 0 ? -1 : read(STDIN_FILENO, bytes + pending, sizeof bytes - pending);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got < 0) {
            snprintf(src->error, sizeof src->error, "stdin: read error: %s", strerror(errno));
            break;
        }
        if (got == 0) break;
        size_t avail = pending + (size_t)got, m = avail / 2;
        if (src->max_samples && m > src->max_samples - total) m = src->max_samples - total;
        for (size_t i = 0; i < m; i++) {
            int v = bytes[2 * i] | bytes[2 * i + 1] << 8;
            if (v >= 32768) v -= 65536;
            samples[i] = (float)v / 32768.0f; /* as 'asr transcribe -' scales */
        }
        push_waiting(src, samples, m);
        total += m;
        if (src->max_samples && total >= src->max_samples) break;
        pending = avail & 1;
        if (pending) bytes[0] = bytes[avail - 1];
    }
    src->odd_byte = pending && !src->error[0] && !atomic_load(&src->stop);
    asr_ring_close(src->ring);
    return NULL;
}

/* Starts the reader with SIGINT blocked, so that Ctrl-C reaches the
 * recognizer (the main thread) and not a thread sleeping in poll. */
static int start_reader(source *src, void *(*fn)(void *)) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int err = pthread_create(&src->thread, NULL, fn, src);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    src->has_thread = err == 0;
    if (err) fprintf(stderr, "asr live: cannot start a reader thread: %s\n", strerror(err));
    return src->has_thread;
}

static void stop_source(source *src) {
    atomic_store(&src->stop, 1);
    if (src->capture) asr_capture_stop(src->capture);
}

/* ---- Output ---------------------------------------------------------------- */

typedef struct {
    asr_stream *stream;
    int rate;
    int json, tty, color;
    int max_utterance_ms;
    double offset;       /* seconds of audio before the current utterance */
    size_t utt_samples;  /* samples fed to the current utterance */
    int finals;          /* utterances written */
    char *shown;         /* the partial last written, to write only changes */
    FILE *record;        /* test hook: every sample fed, as float32 */
    int partial_on_line; /* terminal: a partial is drawn on the current line */
} recognizer;

static int terminal_width(void) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 8) return ws.ws_col;
    return 80;
}

/* Redraws the partial on the current terminal line; a guess longer than
 * the line shows its end (a wrapped line could not be redrawn with \r). */
static void draw_partial(recognizer *r, const char *stable, const char *unstable) {
    size_t ls = strlen(stable), lu = strlen(unstable), len = ls + lu;
    size_t room = (size_t)terminal_width() - 1, from = 0;
    fputs("\r\033[K", stdout);
    if (len > room) {
        from = len - (room - 3);
        const char *all_at = from < ls ? stable + from : unstable + (from - ls);
        while ((*all_at & 0xC0) == 0x80) /* not inside a UTF-8 character */
            all_at++, from++;
        fputs("...", stdout);
    }
    if (from < ls) fputs(stable + from, stdout);
    if (r->color) fputs("\033[2m", stdout); /* the part that may still change, dimmed */
    fputs(from < ls ? unstable : unstable + (from - ls), stdout);
    if (r->color) fputs("\033[0m", stdout);
    fflush(stdout);
    r->partial_on_line = len > 0;
}

static void show_partial(recognizer *r) {
    if (!r->json && !r->tty) return;
    asr_partial p = asr_stream_partial(r->stream);
    size_t ls = strlen(p.stable);
    if (r->shown && strncmp(r->shown, p.stable, ls) == 0 && strcmp(r->shown + ls, p.unstable) == 0)
        return;
    char *now = malloc(ls + strlen(p.unstable) + 1);
    if (!now) return;
    sprintf(now, "%s%s", p.stable, p.unstable);
    /* The very first partials of an utterance are empty: nothing to show. */
    if (!*now && !r->shown) {
        free(now);
        return;
    }
    free(r->shown);
    r->shown = now;
    if (r->tty && !r->json) {
        draw_partial(r, p.stable, p.unstable);
        return;
    }
    printf("{\"type\":\"partial\",\"utterance\":%d,\"time\":%.2f,\"stable\":", r->finals + 1,
           r->offset + (double)r->utt_samples / r->rate);
    json_string(stdout, p.stable);
    fputs(",\"unstable\":", stdout);
    json_string(stdout, p.unstable);
    fputs("}\n", stdout);
    fflush(stdout);
}

static void print_final(recognizer *r, const asr_result *res) {
    r->finals++;
    if (!r->json) {
        if (r->tty && r->partial_on_line) fputs("\r\033[K", stdout);
        puts(res->text);
        fflush(stdout);
        r->partial_on_line = 0;
        return;
    }
    double start = r->offset + res->words[0].start;
    double end = r->offset + res->words[res->n_words - 1].end;
    printf("{\"type\":\"final\",\"utterance\":%d,\"start\":%.2f,\"end\":%.2f,\"text\":", r->finals,
           start, end);
    json_string(stdout, res->text);
    fputs(",\"words\":[", stdout);
    for (size_t i = 0; i < res->n_words; i++) {
        const asr_word *w = &res->words[i];
        fprintf(stdout, "%s{\"word\":", i ? "," : "");
        json_string(stdout, w->word);
        printf(",\"start\":%.2f,\"end\":%.2f,\"confidence\":%.3f}", r->offset + w->start,
               r->offset + w->end, w->confidence);
    }
    fputs("]}\n", stdout);
    fflush(stdout);
}

/* Starts the next utterance, keeping the clock running. */
static void next_utterance(recognizer *r) {
    r->offset += (double)r->utt_samples / r->rate;
    r->utt_samples = 0;
    free(r->shown);
    r->shown = NULL;
    asr_stream_reset(r->stream);
}

static asr_status end_utterance(recognizer *r) {
    asr_status st = asr_stream_finish(r->stream);
    if (st != ASR_OK) return st;
    const asr_result *res = asr_stream_result(r->stream);
    if (res->n_words > 0) {
        print_final(r, res);
    } else if (r->tty && r->partial_on_line) {
        fputs("\r\033[K", stdout); /* a guess that came to nothing */
        fflush(stdout);
        r->partial_on_line = 0;
    }
    next_utterance(r);
    return ASR_OK;
}

static asr_status feed(recognizer *r, const float *x, size_t n) {
    asr_status st = asr_stream_accept_waveform(r->stream, r->rate, x, n);
    if (st != ASR_OK) return st;
    if (r->record) {
        fwrite(x, sizeof *x, n, r->record);
        fflush(r->record); /* the test watches it grow */
    }
    r->utt_samples += n;
    if (asr_stream_is_endpoint(r->stream)) return end_utterance(r);
    show_partial(r);
    /* A long stretch with no word at all (silence, noise) ends quietly, so
     * that the model's state and the times stay bounded. */
    if (r->max_utterance_ms > 0 &&
        (double)r->utt_samples * 1000.0 / r->rate >= (double)r->max_utterance_ms) {
        asr_partial p = asr_stream_partial(r->stream);
        if (!*p.stable && !*p.unstable) next_utterance(r);
    }
    return ASR_OK;
}

/* ---- Setting up -------------------------------------------------------------- */

static int list_devices(void) {
    int n = asr_capture_device_count(), shown = 0;
    asr_capture_device d;
    for (int i = 0; i < n; i++) {
        if (!asr_capture_device_get(i, &d)) continue;
        if (!shown++) printf("%3s  %-40s %-8s %8s %s\n", "DEV", "NAME", "HOST API", "RATE", "CH");
        printf("%3d%c %-40s %-8s %8.0f %d\n", d.index, d.is_default ? '*' : ' ', d.name, d.host_api,
               d.default_rate, d.max_channels);
    }
    if (!shown) {
        fprintf(stderr, "asr live: no audio input device found; try --input FILE or '-'\n");
        return EXIT_SOME_FAILED;
    }
    puts("(* = default input; RATE = the device's own rate; CH = input channels)");
    return EXIT_OK;
}

static int parse_seconds(const char *option, const char *text, double *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v > 0) || v > ASR_MAX_SECONDS) {
        fprintf(stderr, "asr: %s expects seconds, more than 0 and at most %d, not '%s'\n", option,
                ASR_MAX_SECONDS, text);
        return 0;
    }
    *out = v;
    return 1;
}

/* The hooks of tests/test_live.sh (docs/LIVE.md) exist only in the test
 * build of the command (asr-test-hooks), not in the asr that ships. */
#ifdef ASR_TEST_HOOKS
static int test_hook_ms(const char *name) {
    const char *v = getenv(name);
    return v ? atoi(v) : 0;
}
#else
static int test_hook_ms(const char *name) {
    (void)name;
    return 0;
}
#endif

typedef struct {
    const char *model_path, *device, *input;
    int rate, json, realtime, buffer_ms, list;
    double duration;
    asr_stream_params params;
} live_options;

/* Returns -1 to go on, else an exit status. */
static int parse_options(int argc, char **argv, live_options *o, lm_options *lmo) {
    const char *v;
    for (int i = 1; i < argc; i++) {
        int r = 0;
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--list-devices")) {
            o->list = 1;
        } else if (!strcmp(a, "--realtime")) {
            o->realtime = 1;
        } else if (!strcmp(a, "-")) {
            o->input = "-";
        } else if ((r = opt_value(argc, argv, &i, "model", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o->model_path = v;
        } else if ((r = opt_value(argc, argv, &i, "device", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o->device = v;
        } else if ((r = opt_value(argc, argv, &i, "input", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o->input = v;
        } else if ((r = opt_value(argc, argv, &i, "rate", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--rate", v, ASR_MIN_RATE, ASR_MAX_RATE, &o->rate))
                return EXIT_USAGE;
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
        } else if ((r = opt_value(argc, argv, &i, "buffer-ms", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--buffer-ms", v, 10, 60000, &o->buffer_ms)) return EXIT_USAGE;
        } else if ((r = opt_value(argc, argv, &i, "duration", 0, &v)) != 0) {
            if (r < 0 || !parse_seconds("--duration", v, &o->duration)) return EXIT_USAGE;
        } else if ((r = lm_option(argc, argv, &i, lmo)) != 0) {
            if (r < 0) return EXIT_USAGE;
        } else {
            fprintf(stderr, "asr live: unexpected argument '%s' (see --help)\n", a);
            return EXIT_USAGE;
        }
    }
    const char *problem = NULL;
    if (o->realtime && (!o->input || !strcmp(o->input, "-")))
        problem = "--realtime paces a file: it needs --input FILE";
    else if (o->rate && o->input && strcmp(o->input, "-"))
        problem = "--rate is for a microphone or '-': a file says its own rate";
    else if (o->device && o->input)
        problem = "--device is for a microphone: leave it out with --input or '-'";
    if (problem) {
        fprintf(stderr, "asr live: %s\n", problem);
        return EXIT_USAGE;
    }
    return -1;
}

/* Opens the source and starts it. Returns 0 (after printing why) when it
 * cannot. */
static int open_source(source *src, const live_options *o) {
    if (o->input && strcmp(o->input, "-")) {
        src->kind = SOURCE_FILE;
        src->name = o->input;
        if (asr_audio_reader_open_file(o->input, &src->reader) != ASR_OK) {
            fprintf(stderr, "asr: %s\n", asr_last_error());
            return 0;
        }
        src->rate = asr_audio_reader_rate(src->reader);
        fprintf(stderr, "asr live: reading %s, %d Hz, %s\n", o->input, src->rate,
                o->realtime ? "at the pace of speech" : "as fast as it is recognized");
    } else if (o->input) {
        src->kind = SOURCE_STDIN;
        src->name = "stdin";
        src->rate = o->rate ? o->rate : 16000;
        fprintf(stderr, "asr live: reading 16-bit PCM from standard input at %d Hz\n", src->rate);
    } else {
        src->kind = SOURCE_MIC;
        asr_capture_device d;
        if (asr_capture_find(o->device, &src->device) != ASR_OK ||
            !asr_capture_device_get(src->device, &d)) {
            fprintf(stderr, "asr live: %s\n", asr_last_error());
            return 0;
        }
        src->name = d.name;
        src->rate = o->rate ? o->rate : (int)lround(d.default_rate);
        if (src->rate < ASR_MIN_RATE || src->rate > ASR_MAX_RATE) src->rate = 48000;
    }
    double seconds = o->buffer_ms / 1000.0;
    src->ring = asr_ring_new((size_t)ceil(seconds * src->rate));
    src->max_samples = (size_t)llround(o->duration * src->rate);
    if (!src->ring) {
        fprintf(stderr, "asr live: %s\n", asr_last_error());
        return 0;
    }
    if (src->kind == SOURCE_FILE) return start_reader(src, read_file);
    if (src->kind == SOURCE_STDIN) return start_reader(src, read_stdin);

    asr_capture_config cc = {
        .device = src->device,
        .sample_rate = src->rate,
        .max_frames = src->max_samples,
        .lose_after_ms = test_hook_ms("ASR_LIVE_TEST_LOSE_MS"),
    };
    src->capture = asr_capture_open(&cc, src->ring);
    if (!src->capture || asr_capture_start(src->capture) != ASR_OK) {
        fprintf(stderr, "asr live: %s\n", asr_last_error());
        return 0;
    }
    asr_capture_device d;
    asr_capture_device_get(src->device, &d);
    fprintf(stderr, "asr live: listening to device %d \"%s\" (%s), %d Hz, %d channel%s%s\n",
            d.index, d.name, d.host_api, asr_capture_rate(src->capture),
            asr_capture_channels(src->capture), asr_capture_channels(src->capture) > 1 ? "s" : "",
            isatty(STDIN_FILENO) ? "; Ctrl-C to stop" : "");
    return 1;
}

static void close_source(source *src) {
    stop_source(src);
    if (src->has_thread) pthread_join(src->thread, NULL);
    asr_capture_close(src->capture);
    asr_audio_reader_close(src->reader);
}

/* ---- The recognizer ---------------------------------------------------------- */

typedef struct {
    int failed, lost;
} run_outcome;

static run_outcome recognize(recognizer *r, source *src) {
    run_outcome out = {0, 0};
    size_t piece = (size_t)src->rate * PIECE_MS / 1000, have = 0;
    float *buf = malloc(piece * sizeof *buf);
    int stall_ms = test_hook_ms("ASR_LIVE_TEST_STALL_MS"), stop_sent = 0;
    if (!buf) {
        fprintf(stderr, "asr live: out of memory\n");
        out.failed = 1;
        return out;
    }
    for (;;) {
        if (interrupted && !stop_sent) {
            stop_source(src);
            stop_sent = 1;
        }
        int closed = asr_ring_is_closed(src->ring);
        size_t got = asr_ring_read(src->ring, buf + have, piece - have);
        have += got;
        if (have == piece) {
            if (feed(r, buf, piece) != ASR_OK) {
                out.failed = 1;
                break;
            }
            have = 0;
            if (stall_ms > 0) { /* test hook: recognition falls behind once */
                nap(stall_ms);
                stall_ms = 0;
            }
            continue;
        }
        if (got > 0) continue;
        if (closed) break;
        if (src->capture && asr_capture_poll(src->capture) == ASR_CAPTURE_LOST) continue;
        nap(NAP_MS);
    }
    if (!out.failed && have > 0 && feed(r, buf, have) != ASR_OK) out.failed = 1;
    if (!out.failed && end_utterance(r) != ASR_OK) out.failed = 1;
    if (out.failed) fprintf(stderr, "asr live: %s\n", asr_last_error());
    if (src->capture && asr_capture_poll(src->capture) == ASR_CAPTURE_LOST) out.lost = 1;
    free(buf);
    return out;
}

static void report(const recognizer *r, const source *src, const char *model) {
    double heard = r->offset;
    uint64_t overruns = asr_ring_overruns(src->ring), dropped = asr_ring_dropped(src->ring);
    uint64_t device_overflows = src->capture ? asr_capture_device_overflows(src->capture) : 0;
    if (r->json) {
        printf("{\"type\":\"stats\",\"source\":");
        json_string(stdout, src->name);
        printf(",\"model\":");
        json_string(stdout, model);
        printf(",\"sample_rate\":%d,\"audio_seconds\":%.2f,\"utterances\":%d,\"overruns\":%llu,"
               "\"dropped_samples\":%llu,\"device_overflows\":%llu}\n",
               src->rate, heard, r->finals, (unsigned long long)overruns,
               (unsigned long long)dropped, (unsigned long long)device_overflows);
        fflush(stdout);
    }
    fprintf(stderr, "asr live: %.2f s of audio, %d utterance%s, %llu overrun%s", heard, r->finals,
            r->finals == 1 ? "" : "s", (unsigned long long)overruns, overruns == 1 ? "" : "s");
    if (overruns)
        fprintf(stderr,
                " (%.2f s of audio dropped: recognition fell behind; try --buffer-ms or "
                "a smaller --beam)",
                (double)dropped / src->rate);
    if (device_overflows)
        fprintf(stderr, ", %llu device overflow%s (the driver dropped audio)",
                (unsigned long long)device_overflows, device_overflows == 1 ? "" : "s");
    fputc('\n', stderr);
}

int cmd_live(int argc, char **argv) {
    static const char *const model_names[] = STREAMING_MODEL_NAMES;
    live_options o = {.params = asr_stream_default_params(), .buffer_ms = 5000};
    lm_options lmo = {0};
    int rc = parse_options(argc, argv, &o, &lmo);
    if (rc >= 0) {
        lm_options_free(&lmo);
        return rc;
    }

    int need_audio = o.list || !o.input;
    if (need_audio && asr_capture_init(getenv("ASR_LIVE_DEBUG") != NULL) != ASR_OK) {
        fprintf(stderr, "asr live: %s\n", asr_last_error());
        return EXIT_SOME_FAILED;
    }
    if (o.list) {
        rc = list_devices();
        asr_capture_terminate();
        lm_options_free(&lmo);
        return rc;
    }

    const char *model_path = o.model_path ? o.model_path : default_model_path(model_names);
    asr_model *model = load_streaming_model_or_complain(
        "live", model_path,
        "transcribe live. Use a streaming model (--model pretrained/en-lstm-phones.gguf), or 'asr "
        "transcribe' for files");
    asr_stream *stream = NULL;
    rc = EXIT_USAGE;
    if (!model) goto done;
    /* The same LM defaults as 'asr transcribe', so that both give one text. */
    if (!lm_options_apply(&lmo, model, &o.params)) goto done;
    stream = asr_stream_new(model, &o.params);
    if (!stream) {
        fprintf(stderr, "asr live: %s\n", asr_last_error());
        goto done;
    }

    source src = {.realtime = o.realtime};
    rc = EXIT_SOME_FAILED;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (open_source(&src, &o)) {
        recognizer r = {
            .stream = stream,
            .rate = src.rate,
            .json = o.json,
            .tty = isatty(STDOUT_FILENO),
            .max_utterance_ms = o.params.endpoint_max_utterance_ms,
        };
        r.color = r.tty && !getenv("NO_COLOR");
#ifdef ASR_TEST_HOOKS
        const char *record = getenv("ASR_LIVE_TEST_RECORD");
        if (record) r.record = fopen(record, "wb");
#endif
        run_outcome out = recognize(&r, &src);
        if (src.has_thread) {
            stop_source(&src);
            pthread_join(src.thread, NULL);
            src.has_thread = 0;
        }
        if (out.lost)
            fprintf(stderr,
                    "asr live: lost the audio device \"%s\" after %.2f s (unplugged, or it "
                    "failed); what was heard is above\n",
                    src.name, r.offset);
        if (src.error[0]) fprintf(stderr, "asr live: %s\n", src.error);
        if (src.odd_byte)
            fprintf(stderr, "asr live: stdin: ignored a last odd byte (16-bit samples expected)\n");
        report(&r, &src, model_path);
        free(r.shown);
        if (r.record) fclose(r.record);
        rc = out.failed || out.lost || src.error[0] ? EXIT_SOME_FAILED : EXIT_OK;
    }
    close_source(&src);
    asr_ring_free(src.ring);
done:
    asr_stream_free(stream);
    lm_options_free(&lmo);
    asr_model_free(model);
    if (need_audio) asr_capture_terminate();
    return rc;
}
