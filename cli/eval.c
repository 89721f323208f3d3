/* asr eval: word and character error rates against reference transcripts. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "text_file.h"
#include "wer.h"

static const char usage[] =
    "Usage: asr eval [OPTIONS] MANIFEST...\n"
    "\n"
    "Transcribes the audio of each manifest and scores it against the reference\n"
    "transcripts: word error rate (WER) and character error rate (CER) from a\n"
    "Levenshtein alignment, after normalising both sides (lower case, a-z and\n"
    "apostrophes, other characters break words).\n"
    "\n"
    "A manifest has one utterance per line: ID<TAB>AUDIO<TAB>TRANSCRIPT, with AUDIO\n"
    "relative to the manifest's folder (or absolute); no header.\n"
    "\n"
    "Options:\n"
    "  --model FILE   acoustic model (default as for 'asr transcribe')\n"
    "  --beam N       CTC prefix beam width (default 8, " ASR_LM_BEAM_TEXT " with an LM,\n"
    "                 " ASR_LM_BEAM_WHOLE_TEXT " for a bidirectional model)\n" LM_OPTIONS_HELP
    "  -j N           utterances at a time (default 1)\n"
    "  --details      one line per utterance: ID, word errors, reference, hypothesis\n"
    "  --json         the summary as one JSON object per manifest\n"
    "  -q, --quiet    no progress line (shown only when stderr is a terminal)\n"
    "  -h, --help     this text\n"
    "\n"
    "A file that cannot be transcribed is reported and scored as an empty\n"
    "hypothesis; the exit status is then 1.\n";

typedef struct {
    char **ids, **paths, **refs;
    int n;
} manifest;

static void manifest_free(manifest *m) {
    for (int i = 0; i < m->n; i++)
        free(m->ids[i]), free(m->paths[i]), free(m->refs[i]);
    free(m->ids), free(m->paths), free(m->refs);
}

/* Adds a row; 0 when out of memory. */
static int manifest_add(manifest *m, int *cap_rows, const char *dir, const char *id,
                        const char *audio, const char *text) {
    if (m->n == *cap_rows) {
        int cap = *cap_rows ? 2 * *cap_rows : 256;
        char **ids = realloc(m->ids, (size_t)cap * sizeof(char *));
        if (!ids) return 0;
        m->ids = ids;
        char **paths = realloc(m->paths, (size_t)cap * sizeof(char *));
        if (!paths) return 0;
        m->paths = paths;
        char **refs = realloc(m->refs, (size_t)cap * sizeof(char *));
        if (!refs) return 0;
        m->refs = refs;
        *cap_rows = cap;
    }
    char *path = malloc(strlen(dir) + strlen(audio) + 2);
    if (path && audio[0] == '/')
        strcpy(path, audio);
    else if (path)
        sprintf(path, "%s/%s", dir, audio);
    m->ids[m->n] = strdup(id), m->paths[m->n] = path, m->refs[m->n] = wer_normalise(text);
    m->n++; /* freed by manifest_free, whole or not */
    return m->ids[m->n - 1] && path && m->refs[m->n - 1];
}

static int manifest_read(const char *file, manifest *m) {
    text_file t;
    if (!text_file_open(&t, file, "asr eval")) return 0;
    char *copy = strdup(file), *line;
    const char *dir = copy ? dirname(copy) : ".";
    int cap_rows = 0, ok = 1, got;
    while ((got = text_file_next(&t, &line)) > 0) {
        if (!*line) continue;
        char *id = line, *audio = strchr(id, '\t'), *text = audio ? strchr(audio + 1, '\t') : NULL;
        if (!text) {
            fprintf(stderr, "asr eval: %s:%lu: expected ID<TAB>AUDIO<TAB>TRANSCRIPT\n", file,
                    t.line);
            ok = 0;
            break;
        }
        *audio++ = '\0', *text++ = '\0';
        if (!manifest_add(m, &cap_rows, dir, id, audio, text)) {
            fprintf(stderr, "asr eval: %s:%lu: out of memory\n", file, t.line);
            ok = 0;
            break;
        }
    }
    if (got < 0) ok = 0; /* the reason is printed */
    if (ok && m->n == 0) {
        fprintf(stderr, "asr eval: %s: no utterances\n", file);
        ok = 0;
    }
    free(copy);
    text_file_close(&t);
    return ok;
}

typedef struct {
    const manifest *m;
    int details, failed;
    edit_counts words, chars;
    double audio_seconds;
} scorer;

static void add(edit_counts *total, edit_counts e) {
    total->substitutions += e.substitutions, total->deletions += e.deletions;
    total->insertions += e.insertions, total->ref_len += e.ref_len;
}

static size_t errors(edit_counts e) {
    return e.substitutions + e.deletions + e.insertions;
}

static double rate(edit_counts e) {
    return e.ref_len ? 100.0 * (double)errors(e) / (double)e.ref_len : 0.0;
}

static void score_item(const batch_item *item, int i, void *ctx) {
    scorer *s = ctx;
    if (!item->text) {
        fprintf(stderr, "asr: %s\n", item->error ? item->error : "out of memory");
        s->failed = 1;
    }
    char *normalised = wer_normalise(item->text ? item->text : "");
    if (!normalised && item->text) {
        fprintf(stderr, "asr eval: out of memory; scored as an empty hypothesis\n");
        s->failed = 1;
    }
    const char *hyp = normalised ? normalised : "", *ref = s->m->refs[i];
    edit_counts w = wer_count_words(ref, hyp);
    add(&s->words, w);
    add(&s->chars, wer_count_chars(ref, hyp));
    s->audio_seconds += item->audio_seconds;
    if (s->details) printf("%s\t%zu/%zu\t%s\t%s\n", s->m->ids[i], errors(w), w.ref_len, ref, hyp);
    free(normalised);
}

static void report(const char *file, const scorer *s, double cpu, int json) {
    const edit_counts *w = &s->words, *c = &s->chars;
    if (json) {
        printf("{\"manifest\":");
        json_string(stdout, file);
        printf(",\"utterances\":%d,\"audio_seconds\":%.2f,\"cpu_seconds\":%.3f,"
               "\"wer\":%.4f,\"cer\":%.4f,\"words\":%zu,\"word_sub\":%zu,\"word_del\":%zu,"
               "\"word_ins\":%zu,\"chars\":%zu,\"char_errors\":%zu}\n",
               s->m->n, s->audio_seconds, cpu, rate(*w), rate(*c), w->ref_len, w->substitutions,
               w->deletions, w->insertions, c->ref_len, errors(*c));
        return;
    }
    printf("%s: %d utterances, %.1f s of audio, %.2f CPU s (RTF %.4f)\n", file, s->m->n,
           s->audio_seconds, cpu, s->audio_seconds > 0 ? cpu / s->audio_seconds : 0.0);
    printf("  WER %6.2f%%  (%zu errors in %zu words: %zu sub, %zu del, %zu ins)\n", rate(*w),
           errors(*w), w->ref_len, w->substitutions, w->deletions, w->insertions);
    printf("  CER %6.2f%%  (%zu errors in %zu characters)\n", rate(*c), errors(*c), c->ref_len);
}

int cmd_eval(int argc, char **argv) {
    static const char *const model_names[] = FILE_MODEL_NAMES;
    batch_options opt = {.params = asr_stream_default_params(),
                         .threads = 1,
                         .pcm_rate = 16000,
                         .pcm_channels = 1,
                         .progress = 1};
    const char *model_path = NULL, *v;
    lm_options lmo = {0};
    int details = 0, json = 0, n_files = 0, rc = EXIT_USAGE;
    char **files = calloc((size_t)argc, sizeof *files);
    if (!files) return EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            rc = EXIT_OK;
            goto done;
        } else if (!strcmp(argv[i], "--details")) {
            details = 1;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            opt.progress = 0;
        } else if ((r = opt_value(argc, argv, &i, "model", 0, &v)) != 0) {
            if (r < 0) goto done;
            model_path = v;
        } else if ((r = opt_value(argc, argv, &i, "beam", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--beam", v, 1, 1024, &opt.params.beam_size)) goto done;
        } else if ((r = opt_value(argc, argv, &i, "jobs", 'j', &v)) != 0) {
            if (r < 0 || !opt_int("-j", v, 1, 256, &opt.threads)) goto done;
        } else if ((r = lm_option(argc, argv, &i, &lmo)) != 0) {
            if (r < 0) goto done;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "asr eval: unknown option '%s' (see --help)\n", argv[i]);
            goto done;
        } else {
            files[n_files++] = argv[i];
        }
    }
    if (n_files == 0) {
        fprintf(stderr, "asr eval: no manifest (see --help)\n");
        goto done;
    }
    asr_model *model =
        load_model_or_complain(model_path ? model_path : default_model_path(model_names));
    if (model && !lm_options_apply(&lmo, model, &opt.params)) {
        asr_model_free(model);
        model = NULL;
    }
    asr_model *detector = NULL;
    opt.model = model;
    if (model && !batch_find_detector(&opt, NULL, &detector)) {
        asr_model_free(model);
        model = NULL;
    }
    if (!model) goto done;
    rc = EXIT_OK;
    opt.on_done = score_item;
    for (int k = 0; k < n_files; k++) {
        manifest m = {0};
        if (!manifest_read(files[k], &m)) {
            manifest_free(&m);
            rc = EXIT_SOME_FAILED;
            continue;
        }
        scorer s = {.m = &m, .details = details};
        opt.ctx = &s;
        clock_t t0 = clock();
        batch_run(&opt, m.paths, m.n);
        report(files[k], &s, (double)(clock() - t0) / CLOCKS_PER_SEC, json);
        if (s.failed) rc = EXIT_SOME_FAILED;
        manifest_free(&m);
    }
    asr_model_free(detector);
    asr_model_free(model);
done:
    lm_options_free(&lmo);
    free(files);
    return rc;
}
