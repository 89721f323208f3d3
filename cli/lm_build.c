/* asr lm-build and asr lm-ppl, and the LM options that transcribe and eval
 * share (--lm, --alpha, --beta, --blank-penalty, --beam-prune, --words, --hotword). */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lm.h"
#include "text_file.h"
#include "wer.h"

/* ---- shared options -------------------------------------------------------- */

static int opt_float(const char *option, const char *text, float *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || isnan(v)) {
        fprintf(stderr, "asr: %s expects a number, not '%s'\n", option, text);
        return 0;
    }
    /* Checked as a float, which it becomes: 1e39 would be infinite. */
    if (errno == ERANGE || !isfinite(v) || fabs(v) > FLT_MAX) {
        fprintf(stderr, "asr: %s %s is out of range (at most %g in size)\n", option, text,
                (double)FLT_MAX);
        return 0;
    }
    *out = (float)v;
    return 1;
}

static void lower_ascii(char *s) {
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

int lm_option(int argc, char **argv, int *i, lm_options *o) {
    const char *v;
    int r;
    if (!strcmp(argv[*i], "--no-lm")) {
        o->no_lm = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "lm", 0, &v)) != 0) {
        o->lm_path = v;
        return r;
    }
    if ((r = opt_value(argc, argv, i, "alpha", 0, &v)) != 0) {
        if (r < 0 || !opt_float("--alpha", v, &o->alpha)) return -1;
        if (o->alpha < 0) {
            fprintf(stderr, "asr: --alpha expects a weight of 0 or more, not '%s'\n", v);
            return -1;
        }
        o->alpha_set = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "beta", 0, &v)) != 0) {
        if (r < 0 || !opt_float("--beta", v, &o->beta)) return -1;
        o->beta_set = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "blank-penalty", 0, &v)) != 0) {
        if (r < 0 || !opt_float("--blank-penalty", v, &o->blank_penalty)) return -1;
        if (!(o->blank_penalty >= 0 && o->blank_penalty <= ASR_MAX_BLANK_PENALTY)) {
            fprintf(stderr, "asr: --blank-penalty expects a value from 0 to %d, not '%s'\n",
                    ASR_MAX_BLANK_PENALTY, v);
            return -1;
        }
        o->blank_set = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "beam-prune", 0, &v)) != 0) {
        if (r < 0 || !opt_float("--beam-prune", v, &o->beam_prune)) return -1;
        if (!(o->beam_prune >= ASR_MIN_BEAM_PRUNE && o->beam_prune <= 0)) {
            fprintf(stderr, "asr: --beam-prune expects a log-prob from %d to 0, not '%s'\n",
                    ASR_MIN_BEAM_PRUNE, v);
            return -1;
        }
        o->prune_set = 1;
        return 1;
    }
    if ((r = opt_value(argc, argv, i, "dict", 0, &v)) != 0) {
        o->dict_path = v;
        return r;
    }
    if ((r = opt_value(argc, argv, i, "pronunciations", 0, &v)) != 0) {
        o->pron_path = v;
        return r;
    }
    if ((r = opt_value(argc, argv, i, "words", 0, &v)) != 0) {
        o->words_path = v;
        return r;
    }
    if ((r = opt_value(argc, argv, i, "hotword", 0, &v)) != 0) {
        if (r < 0) return -1;
        asr_hotword *h = realloc(o->hot, (size_t)(o->n_hot + 1) * sizeof *h);
        char *word = strdup(v);
        if (!h || !word) {
            free(h ? NULL : word);
            if (h) o->hot = h;
            fprintf(stderr, "asr: out of memory\n");
            return -1;
        }
        o->hot = h;
        char *colon = strrchr(word, ':');
        float boost = 5.0f;
        if (colon) {
            *colon = '\0';
            if (!opt_float("--hotword WORD:BOOST", colon + 1, &boost)) {
                free(word);
                return -1;
            }
        }
        lower_ascii(word);
        if (!*word || strpbrk(word, " \t")) {
            fprintf(stderr, "asr: --hotword expects one word, not '%s'\n", v);
            free(word);
            return -1;
        }
        o->hot[o->n_hot++] = (asr_hotword){word, boost};
        return 1;
    }
    return 0;
}

static int read_words(lm_options *o) {
    text_file t;
    if (!text_file_open(&t, o->words_path, "asr")) return 0;
    char *line;
    size_t n_cap = 0;
    int got, ok = 1;
    while ((got = text_file_next(&t, &line)) > 0) {
        char *s = line + strspn(line, " \t");
        if (!*s || *s == '#') continue;
        if (o->n_words == n_cap) {
            n_cap = n_cap ? 2 * n_cap : 64;
            char **w = realloc(o->words, n_cap * sizeof *w);
            if (!w) break;
            o->words = w;
        }
        if (!(o->words[o->n_words] = strdup(s))) break;
        lower_ascii(o->words[o->n_words++]);
    }
    if (got > 0) fprintf(stderr, "asr: %s: out of memory for the word list\n", o->words_path);
    ok = got == 0; /* else the reason is printed */
    text_file_close(&t);
    if (ok && o->n_words == 0) {
        fprintf(stderr, "asr: %s: no words in the word list\n", o->words_path);
        ok = 0;
    }
    return ok;
}

/* Phone models need a dictionary; character models spell words themselves. */
static int load_dict(lm_options *o, const asr_model *model) {
    asr_model_info info = asr_model_get_info(model);
    if (strcmp(info.unit, "phones") != 0) {
        if (o->dict_path || o->pron_path)
            fprintf(stderr, "asr: note: --dict and --pronunciations are ignored: the model "
                            "writes characters, not phones\n");
        return 1;
    }
    char dict_buf[ASR_PATH_MAX];
    const char *path =
        o->dict_path ? o->dict_path : default_data_path("ASR_DICT", ASR_DEFAULT_DICT, dict_buf);
    if (!path) {
        fprintf(stderr,
                "asr: the model's outputs are phones and no pronunciation dictionary was "
                "found (%s%s): pass --dict FILE or set ASR_DICT\n",
                getenv("ASR_DICT") ? "ASR_DICT is empty" : "looked in ",
                getenv("ASR_DICT") ? "" : data_search_places(ASR_DEFAULT_DICT));
        return 0;
    }
    o->dict = asr_dict_load(path, o->pron_path);
    if (!o->dict) fprintf(stderr, "asr: %s\n", asr_last_error());
    return o->dict != NULL;
}

int lm_options_apply(lm_options *o, const asr_model *model, asr_stream_params *p) {
    if (!load_dict(o, model)) return 0;
    p->dict = o->dict;
    char lm_buf[ASR_PATH_MAX];
    const char *path = o->no_lm     ? NULL
                       : o->lm_path ? o->lm_path
                                    : default_data_path("ASR_LM", ASR_DEFAULT_LM, lm_buf);
    if (!path && !o->no_lm && !getenv("ASR_LM"))
        /* Not an error (the search still works), but much less accurate. */
        fprintf(stderr,
                "asr: note: no word LM found (looked in %s): decoding without one; pass --lm "
                "FILE or set ASR_LM, --no-lm to say so\n",
                data_search_places(ASR_DEFAULT_LM));
    if (path) {
        o->lm = asr_lm_load(path);
        if (!o->lm) {
            fprintf(stderr, "asr: %s\n", asr_last_error());
            return 0;
        }
    }
    if (o->words_path && !read_words(o)) return 0;
    p->lm = o->lm;
    if (o->alpha_set) p->lm_alpha = o->alpha;
    if (o->beta_set) p->lm_beta = o->beta;
    if (o->blank_set) p->blank_penalty = o->blank_penalty;
    if (o->prune_set) p->beam_prune = o->beam_prune;
    p->words = (const char *const *)o->words;
    p->n_words = o->n_words;
    p->hotwords = o->hot;
    p->n_hotwords = (size_t)o->n_hot;
    *p = asr_stream_params_for(model, p); /* the beam and alpha in use, for the output */
    /* Bad words are the user's mistake, not one file's: report them once. */
    asr_stream *s = asr_stream_new(model, p);
    if (!s) fprintf(stderr, "asr: %s\n", asr_last_error());
    asr_stream_free(s);
    return s != NULL;
}

void lm_options_free(lm_options *o) {
    asr_lm_free(o->lm);
    asr_dict_free(o->dict);
    for (size_t i = 0; i < o->n_words; i++)
        free(o->words[i]);
    free(o->words);
    for (int i = 0; i < o->n_hot; i++)
        free((char *)o->hot[i].word);
    free(o->hot);
    *o = (lm_options){0};
}

/* ---- asr lm-build ------------------------------------------------------------- */

static const char build_usage[] =
    "Usage: asr lm-build [OPTIONS] IN.arpa[.gz] OUT.lmbin\n"
    "\n"
    "Converts a word n-gram language model in ARPA format (plain or gzip) into the\n"
    "binary form that 'asr transcribe --lm' memory-maps in milliseconds, optionally\n"
    "pruned to a size. Words must be spelled as the acoustic model spells them (the\n"
    "shipped models: lower case a-z and apostrophes).\n"
    "\n"
    "Options:\n"
    "  --vocab N          keep the N most probable words; the others become <unk>\n"
    "  --prune T2[,T3...] drop the 2-grams (3-grams, ...) that add less than T over\n"
    "                     their backoff estimate: P(h,w) * |log10 P(w|h) - log10\n"
    "                     P_backoff(w|h)| < T (e.g. 2e-8); 0 keeps all\n"
    "  -h, --help         this text\n"
    "\n"
    "Pruning recomputes the backoff weights so that every distribution still sums\n"
    "to one. See docs/LM.md.\n"
    "\n"
    "Example (the shipped pretrained/" ASR_DEFAULT_LM "):\n"
    "  asr lm-build --vocab 50000 --prune 2.5e-8,2.5e-8 en-us-3gram.arpa.gz en.lmbin\n";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void describe(const char *what, const asr_lm *lm) {
    printf("%s: order %d, %d words", what, asr_lm_order(lm), asr_lm_vocab_size(lm));
    for (int k = 2; k <= asr_lm_order(lm); k++)
        printf(", %llu %d-grams", (unsigned long long)asr_lm_count(lm, k), k);
    printf(", %.1f MB binary\n", (double)asr_lm_bytes(lm) / 1e6);
}

int cmd_lm_build(int argc, char **argv) {
    asr_lm_prune_params prune = {0};
    const char *files[2], *v;
    int n_files = 0, pruning = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(build_usage, stdout);
            return EXIT_OK;
        } else if ((r = opt_value(argc, argv, &i, "vocab", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--vocab", v, 1, INT_MAX - 1, &prune.vocab)) return EXIT_USAGE;
            pruning = 1;
        } else if ((r = opt_value(argc, argv, &i, "prune", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            const char *s = v;
            for (int k = 2;; k++) {
                char *end;
                double t = strtod(s, &end);
                if (end == s || !(t >= 0) || !isfinite(t) || k > ASR_LM_MAX_ORDER ||
                    (*end && *end != ',')) {
                    fprintf(stderr,
                            "asr lm-build: --prune expects thresholds >= 0 separated by commas, "
                            "one per order from 2 (at most %d), not '%s'\n",
                            ASR_LM_MAX_ORDER - 1, v);
                    return EXIT_USAGE;
                }
                prune.threshold[k] = t;
                if (!*end) break;
                s = end + 1;
            }
            pruning = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "asr lm-build: unknown option '%s' (see --help)\n", argv[i]);
            return EXIT_USAGE;
        } else if (n_files < 2) {
            files[n_files++] = argv[i];
        } else {
            fprintf(stderr, "asr lm-build: expected IN and OUT only, got '%s' too\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (n_files != 2) {
        fprintf(stderr, "asr lm-build: expected IN.arpa[.gz] OUT.lmbin (see --help)\n");
        return EXIT_USAGE;
    }
    double t0 = now();
    asr_lm *lm = asr_lm_load(files[0]);
    if (!lm) {
        fprintf(stderr, "asr lm-build: %s\n", asr_last_error());
        return EXIT_SOME_FAILED;
    }
    printf("read %s in %.1f s\n", files[0], now() - t0);
    describe("in ", lm);
    if (pruning) {
        t0 = now();
        asr_lm *pruned = asr_lm_prune(lm, &prune);
        asr_lm_free(lm);
        if (!pruned) {
            fprintf(stderr, "asr lm-build: %s\n", asr_last_error());
            return EXIT_SOME_FAILED;
        }
        lm = pruned;
        printf("pruned in %.1f s\n", now() - t0);
    }
    describe("out", lm);
    asr_status st = asr_lm_write(lm, files[1]);
    asr_lm_free(lm);
    if (st != ASR_OK) {
        fprintf(stderr, "asr lm-build: %s\n", asr_last_error());
        return EXIT_SOME_FAILED;
    }
    printf("wrote %s\n", files[1]);
    return EXIT_OK;
}

/* ---- asr lm-ppl ---------------------------------------------------------------- */

static const char ppl_usage[] =
    "Usage: asr lm-ppl LM TEXT...\n"
    "\n"
    "Perplexity of a language model (binary or ARPA) on text with one sentence per\n"
    "line, or on a manifest (ID<TAB>AUDIO<TAB>TRANSCRIPT: the transcripts). Text is\n"
    "normalised as by 'asr eval' (lower case, a-z and apostrophes). Each sentence is\n"
    "scored from <s> to </s>. A word outside the vocabulary scores as <unk> when the\n"
    "LM has one (and counts as a word); otherwise it is skipped, as SRILM does.\n"
    "\n"
    "Prints the load time, then per file: sentences, words, out-of-vocabulary words,\n"
    "total log10 probability and perplexity.\n";

int cmd_lm_ppl(int argc, char **argv) {
    const char *files[64];
    int n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(ppl_usage, stdout);
            return EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "asr lm-ppl: unknown option '%s' (see --help)\n", argv[i]);
            return EXIT_USAGE;
        } else if (n_files < 64) {
            files[n_files++] = argv[i];
        }
    }
    if (n_files < 2) {
        fprintf(stderr, "asr lm-ppl: expected LM TEXT... (see --help)\n");
        return EXIT_USAGE;
    }
    double t0 = now(), c0 = (double)clock() / CLOCKS_PER_SEC;
    asr_lm *lm = asr_lm_load(files[0]);
    if (!lm) {
        fprintf(stderr, "asr lm-ppl: %s\n", asr_last_error());
        return EXIT_USAGE;
    }
    printf("%s: loaded in %.1f ms (%.1f ms CPU)\n", files[0], 1e3 * (now() - t0),
           1e3 * ((double)clock() / CLOCKS_PER_SEC - c0));
    int rc = EXIT_OK;
    for (int k = 1; k < n_files; k++) {
        text_file t;
        if (!text_file_open(&t, files[k], "asr lm-ppl")) {
            rc = EXIT_SOME_FAILED;
            continue;
        }
        char *line;
        size_t sentences = 0, words = 0, oov = 0;
        double logprob = 0;
        int got;
        while ((got = text_file_next(&t, &line)) > 0) {
            char *tab = strrchr(line, '\t');
            char *text = wer_normalise(tab ? tab + 1 : line);
            if (!text) {
                fprintf(stderr, "asr lm-ppl: %s:%lu: out of memory\n", files[k], t.line);
                got = -1;
                break;
            }
            if (!*text) {
                free(text);
                continue;
            }
            asr_lm_state s;
            asr_lm_begin(lm, &s);
            for (char *w = strtok(text, " "); w; w = strtok(NULL, " ")) {
                int32_t id = asr_lm_find(lm, w);
                if (id < 0 && asr_lm_unk(lm) < 0) {
                    oov++;
                    asr_lm_score(lm, &s, -1, &s); /* the history restarts */
                    continue;
                }
                oov += id < 0;
                logprob += asr_lm_score(lm, &s, id < 0 ? asr_lm_unk(lm) : id, &s);
                words++;
            }
            logprob += asr_lm_end(lm, &s);
            sentences++;
            free(text);
        }
        text_file_close(&t);
        if (got < 0) {
            rc = EXIT_SOME_FAILED;
            continue;
        }
        double ppl = pow(10, -logprob / (double)(words + sentences));
        printf("%s: %zu sentences, %zu words, %zu OOV, log10 prob %.1f, ppl %.1f\n", files[k],
               sentences, words + (asr_lm_unk(lm) < 0 ? oov : 0), oov, logprob, ppl);
    }
    asr_lm_free(lm);
    return rc;
}
