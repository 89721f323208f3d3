/* ps_latency: PocketSphinx timed the way `asr bench` times asr, so that the
 * two latencies compare: 16 kHz 16-bit mono WAV files fed in chunks as fast
 * as possible, a partial hypothesis read after every chunk, each call timed,
 * and the times replayed on a simulated real-time clock (a chunk is ready
 * when its last sample is, and waits for the previous one).
 *
 * Built and run by bench/compare_pocketsphinx.sh:
 *   cc -O2 bench/ps_latency.c $(pkg-config --cflags --libs pocketsphinx) -lm
 *   ps_latency CHUNK_MS FILE.wav...   ->  one JSON object on stdout
 * Uses Debian's default US English model (pocketsphinx-en-us), as
 * pocketsphinx_continuous does. */
#include <pocketsphinx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The samples of a 16-bit PCM WAV file (the "data" chunk), or NULL. */
static short *read_wav(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    unsigned char h[12], c[8];
    short *out = NULL;
    if (!f || fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4))
        goto done;
    while (fread(c, 1, 8, f) == 8) {
        unsigned long size = c[4] | c[5] << 8 | c[6] << 16 | (unsigned long)c[7] << 24;
        if (memcmp(c, "data", 4)) {
            if (fseek(f, (long)(size + (size & 1)), SEEK_CUR)) break;
            continue;
        }
        out = malloc(size ? size : 1);
        *n = out ? fread(out, 2, size / 2, f) : 0;
        break;
    }
done:
    if (f) fclose(f);
    return out;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile, as `asr bench` computes it. */
static double pct(double *v, size_t n, double p) {
    if (!n) return 0;
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999999);
    return v[(k ? k - 1 : 0) < n ? (k ? k - 1 : 0) : n - 1];
}

static void summary(const char *key, double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    printf(",\"%s\":{\"count\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,"
           "\"mean\":%.3f}",
           key, n, pct(v, n, 50), pct(v, n, 90), pct(v, n, 99), n ? v[n - 1] : 0.0,
           n ? sum / (double)n : 0.0);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: ps_latency CHUNK_MS FILE.wav...\n");
        return 2;
    }
    int chunk = atoi(argv[1]) * 16;
    if (chunk <= 0) {
        fprintf(stderr, "ps_latency: bad chunk size '%s'\n", argv[1]);
        return 2;
    }
    double t0 = now(CLOCK_MONOTONIC);
    cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE, "-logfn", "/dev/null", NULL);
    ps_default_search_args(config);
    ps_decoder_t *ps = config ? ps_init(config) : NULL;
    double load_ms = 1000.0 * (now(CLOCK_MONOTONIC) - t0);
    if (!ps) {
        fprintf(stderr, "ps_latency: cannot load the PocketSphinx model\n");
        return 2;
    }
    size_t cap = 1024, n_chunks = 0, n_files = 0;
    double *chunks = malloc(cap * sizeof *chunks), *chunks_cpu = malloc(cap * sizeof *chunks_cpu);
    double *finals = calloc((size_t)argc, sizeof *finals);
    double cpu = 0, audio = 0;
    int rc = 0;
    for (int a = 2; a < argc; a++) {
        size_t n = 0;
        short *pcm = read_wav(argv[a], &n);
        if (!pcm) {
            fprintf(stderr, "ps_latency: %s: not a 16-bit WAV file\n", argv[a]);
            rc = 1;
            continue;
        }
        double clock = 0, c0 = now(CLOCK_THREAD_CPUTIME_ID);
        int32 score;
        ps_start_utt(ps);
        for (size_t at = 0; at < n; at += (size_t)chunk) {
            size_t k = n - at < (size_t)chunk ? n - at : (size_t)chunk;
            double sc = now(CLOCK_THREAD_CPUTIME_ID), s = now(CLOCK_MONOTONIC);
            ps_process_raw(ps, pcm + at, k, FALSE, FALSE);
            ps_get_hyp(ps, &score);
            double e = now(CLOCK_MONOTONIC), ec = now(CLOCK_THREAD_CPUTIME_ID);
            double arrives = (double)(at + k) / 16000.0;
            clock = (clock > arrives ? clock : arrives) + (e - s);
            if (n_chunks == cap) {
                cap *= 2;
                chunks = realloc(chunks, cap * sizeof *chunks);
                chunks_cpu = realloc(chunks_cpu, cap * sizeof *chunks_cpu);
                if (!chunks || !chunks_cpu) {
                    fprintf(stderr, "ps_latency: out of memory\n");
                    return 2;
                }
            }
            chunks_cpu[n_chunks] = 1000.0 * (ec - sc);
            chunks[n_chunks++] = 1000.0 * (e - s);
        }
        double s = now(CLOCK_MONOTONIC);
        ps_end_utt(ps);
        const char *hyp = ps_get_hyp(ps, &score);
        double e = now(CLOCK_MONOTONIC), end = (double)n / 16000.0;
        clock = (clock > end ? clock : end) + (e - s);
        finals[n_files++] = 1000.0 * (clock - end);
        cpu += now(CLOCK_THREAD_CPUTIME_ID) - c0;
        audio += end;
        fprintf(stderr, "%s\t%s\n", argv[a], hyp ? hyp : "");
        free(pcm);
    }
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    printf("{\"engine\":\"pocketsphinx\",\"files\":%zu,\"audio_seconds\":%.3f,\"load_ms\":%.1f,"
           "\"cpu_seconds\":%.4f,\"rtf\":%.5f,\"peak_rss_mib\":%.2f",
           n_files, audio, load_ms, cpu, audio > 0 ? cpu / audio : 0.0, u.ru_maxrss / 1024.0);
    summary("chunk_time_ms", chunks, n_chunks);
    summary("chunk_cpu_ms", chunks_cpu, n_chunks);
    summary("final_latency_ms", finals, n_files);
    printf("}\n");
    ps_free(ps);
    cmd_ln_free_r(config);
    free(chunks), free(chunks_cpu), free(finals);
    return rc;
}
