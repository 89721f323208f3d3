/* asr transcribe: files (or raw PCM on stdin) in, text, JSON or subtitles
 * out; -j N files at a time sharing one model. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "subtitles.h"

static const char usage[] =
    "Usage: asr transcribe [OPTIONS] [--] FILE...\n"
    "\n"
    "Writes the text spoken in each audio file. Any format libsndfile reads (WAV,\n"
    "FLAC, Ogg Vorbis, MP3, AIFF, ...), any sample rate, channels are mixed to mono;\n"
    "convert others (M4A, AAC, WMA, video) with ffmpeg or sox first. Files are read\n"
    "block by block, so memory does not grow with their length, and cut into\n"
    "utterances where the speaker pauses (the endpoint rules of 'asr live'); each\n"
    "utterance is decoded on its own and its words keep their times in the file.\n"
    "FILE '-' reads raw PCM from standard input (see --format).\n"
    "\n"
    "Options:\n"
    "  --model FILE   acoustic model (default: $ASR_MODEL, else the first found of\n"
    "                 pretrained/en-bilstm-phones.gguf, en-bilstm.gguf, en-lstm.gguf)\n"
    "  --beam N       CTC prefix beam width (default 8, " ASR_LM_BEAM_TEXT " with an LM,\n"
    "                 " ASR_LM_BEAM_WHOLE_TEXT " for a bidirectional model)\n" LM_OPTIONS_HELP
    "Output (text unless one of these is given):\n"
    "  --json         one JSON object (a line) per file: text, duration, segments with\n"
    "                 start, end, text and words; words with start/end seconds and\n"
    "                 confidence\n"
    "  --srt, --vtt   subtitles (SubRip, WebVTT): at most 2 lines of 42 characters per\n"
    "                 cue, timed from the words\n"
    "  --text         text, one line per utterance (with --output-dir and others)\n"
    "  -o FILE        write the output of the one input to FILE instead of stdout\n"
    "  --output-dir DIR  write one file per input and format into DIR (made if\n"
    "                 missing), named after the input: talk.mp3 -> DIR/talk.srt ...\n"
    "                 (.txt, .json, .srt, .vtt); an input is never overwritten\n"
    "  -q, --quiet    no progress line (it is shown only when stderr is a terminal)\n"
    "Utterances:\n"
    "  --endpoint-silence-ms MS  a pause this long after a word ends an utterance\n"
    "                 (default 800; 0: only the length limit cuts)\n"
    "  --max-utterance-ms MS  longest utterance, cut between two words (default 20000)\n"
    "  --segment-model FILE  streaming model that finds the pauses when --model is\n"
    "                 bidirectional (default: $ASR_SEGMENT_MODEL, else\n"
    "                 pretrained/en-lstm.gguf)\n"
    "Raw PCM on standard input ('-'):\n"
    "  --format F     s16 (default), s32, f32 or u8; little-endian\n"
    "  --rate HZ      sample rate (default 16000)\n"
    "  --channels N   interleaved channels, mixed to mono (default 1)\n"
    "Other:\n"
    "  -j N           transcribe N files at a time, sharing one model (default 1)\n"
    "  --             the arguments after it are files, even if they start with '-'\n"
    "  -h, --help     this text\n"
    "\n"
    "Text output: one line per utterance; with several files 'FILE<TAB>text' per\n"
    "utterance. A file with no speech gives one empty line (to stdout) and no cues.\n"
    "A file that cannot be read or written gets a one-line error on stderr; the others\n"
    "are still done, and the exit status is then 1 (2 for bad options or model).\n"
    "\n"
    "Examples:\n"
    "  asr transcribe samples/*.wav\n"
    "  asr transcribe --srt -o talk.srt talk.mp3\n"
    "  asr transcribe --srt --vtt --json --output-dir subs/ lectures/*.flac\n"
    "  sox talk.mp3 -t raw -r 16000 -e signed -b 16 -c 1 - | asr transcribe - --rate 16000\n"
    "  arecord -f FLOAT_LE -r 48000 -c 2 | asr transcribe --format f32 --rate 48000 \\\n"
    "      --channels 2 -\n";

enum { FMT_TEXT = 1, FMT_JSON = 2, FMT_SRT = 4, FMT_VTT = 8 };
static const struct {
    int flag;
    const char *ext;
} formats[] = {{FMT_TEXT, ".txt"}, {FMT_JSON, ".json"}, {FMT_SRT, ".srt"}, {FMT_VTT, ".vtt"}};
#define N_FORMATS (int)(sizeof formats / sizeof *formats)

typedef struct {
    int formats, several, failed;
    const char *output, *output_dir;
    char **out_paths; /* per input, per format (output_dir), or NULL */
} printer;

/* One format of one file into out. 0 when out of memory. */
static int write_format(FILE *out, int format, const batch_item *item, int to_stdout, int several) {
    const transcript *t = &item->t;
    if (format == FMT_JSON) {
        if (!json_transcript(out, item->path, t)) return 0;
        fputc('\n', out);
        return 1;
    }
    if (format == FMT_SRT || format == FMT_VTT) return subtitles_write(out, t, format == FMT_VTT);
    const char *prefix = several && to_stdout ? item->path : NULL;
    for (size_t k = 0; k < t->n_segments; k++) {
        char *text = transcript_text(t, k);
        if (!text) return 0;
        fprintf(out, "%s%s%s\n", prefix ? prefix : "", prefix ? "\t" : "", text);
        free(text);
    }
    if (t->n_segments == 0 && to_stdout)
        fprintf(out, "%s%s\n", prefix ? prefix : "", prefix ? "\t" : "");
    return 1;
}

/* Writes into a temporary file beside path, then renames it: a reader
 * never sees half a file, and a failure leaves what was there. */
static int write_file(const char *path, int format, const batch_item *item) {
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) return 0;
    snprintf(tmp, len + 16, "%s.partXXXXXX", path);
    int fd = mkstemp(tmp), ok = 0, err = 0;
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f) {
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
        ok = write_format(f, format, item, 0, 0);
        ok = fflush(f) == 0 && !ferror(f) && ok;
        if (!ok) err = errno;
        ok = fclose(f) == 0 && ok;
        if (ok && rename(tmp, path) != 0) ok = 0, err = errno;
        if (!ok) unlink(tmp);
    } else {
        err = errno;
        if (fd >= 0) close(fd), unlink(tmp);
    }
    if (!ok) fprintf(stderr, "asr: %s: cannot write: %s\n", path, strerror(err ? err : EIO));
    free(tmp);
    return ok;
}

static void print_item(const batch_item *item, int index, void *ctx) {
    printer *p = ctx;
    if (!item->text) {
        fprintf(stderr, "asr: %s\n", item->error ? item->error : "out of memory");
        p->failed = 1;
        return;
    }
    if (p->output_dir) {
        for (int f = 0; f < N_FORMATS; f++) {
            const char *path = p->out_paths[index * N_FORMATS + f];
            if ((p->formats & formats[f].flag) && !write_file(path, formats[f].flag, item))
                p->failed = 1;
        }
    } else if (p->output && strcmp(p->output, "-") != 0) {
        if (!write_file(p->output, p->formats, item)) p->failed = 1;
    } else {
        if (!write_format(stdout, p->formats, item, 1, p->several)) p->failed = 1;
        fflush(stdout);
    }
}

/* DIR/STEM.ext for input path ("-": stdin). */
static char *output_path(const char *dir, const char *input, const char *ext) {
    char *copy = strdup(strcmp(input, "-") ? input : "stdin");
    if (!copy) return NULL;
    char *stem = basename(copy), *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = '\0';
    size_t len = strlen(dir) + strlen(stem) + strlen(ext) + 2;
    char *out = malloc(len);
    if (out) snprintf(out, len, "%s/%s%s", dir, stem, ext);
    free(copy);
    return out;
}

static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (strcmp(a, b) == 0) return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* 1 when output would overwrite one of the inputs or an earlier output
 * (after printing which); checked before any work. */
static int clashes(const char *output, char **inputs, int n_inputs, char **outputs, int n_outputs) {
    for (int i = 0; i < n_inputs; i++)
        if (strcmp(inputs[i], "-") && same_file(output, inputs[i])) {
            fprintf(stderr, "asr: %s: would overwrite the input %s; choose another output\n",
                    output, inputs[i]);
            return 1;
        }
    for (int k = 0; k < n_outputs; k++)
        if (outputs[k] && strcmp(outputs[k], output) == 0) {
            fprintf(stderr,
                    "asr: %s: two inputs would write the same output; transcribe them "
                    "into different --output-dir folders\n",
                    output);
            return 1;
        }
    return 0;
}

/* Works out every output path; drops (with a message) the inputs whose
 * output would overwrite something it must not. Returns how many inputs
 * remain, compacted in files (and their paths in p->out_paths), or -1. */
static int plan_outputs(printer *p, char **files, int n_files) {
    if (p->output_dir) {
        struct stat st;
        if (stat(p->output_dir, &st) != 0 && mkdir(p->output_dir, 0777) != 0) {
            fprintf(stderr, "asr transcribe: --output-dir %s: cannot create: %s\n", p->output_dir,
                    strerror(errno));
            return -1;
        }
        if (stat(p->output_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "asr transcribe: --output-dir %s: not a directory\n", p->output_dir);
            return -1;
        }
        p->out_paths = calloc((size_t)n_files * N_FORMATS, sizeof *p->out_paths);
        if (!p->out_paths) return -1;
    }
    char **inputs = malloc((size_t)n_files * sizeof *inputs);
    if (!inputs) return -1;
    memcpy(inputs, files, (size_t)n_files * sizeof *inputs);
    int kept = 0;
    for (int i = 0; i < n_files; i++) {
        int bad = 0;
        if (p->output_dir) {
            char **mine = p->out_paths + kept * N_FORMATS;
            for (int f = 0; f < N_FORMATS && !bad; f++) {
                if (!(p->formats & formats[f].flag)) continue;
                char *out = output_path(p->output_dir, inputs[i], formats[f].ext);
                bad = !out || clashes(out, inputs, n_files, p->out_paths, kept * N_FORMATS + f);
                mine[f] = out;
            }
            if (bad)
                for (int f = 0; f < N_FORMATS; f++)
                    free(mine[f]), mine[f] = NULL;
        } else if (p->output && strcmp(p->output, "-") != 0) {
            bad = clashes(p->output, inputs, n_files, NULL, 0);
        }
        if (bad)
            p->failed = 1;
        else
            files[kept++] = inputs[i];
    }
    free(inputs);
    return kept;
}

static void printer_free(printer *p, int n) {
    if (p->out_paths)
        for (int i = 0; i < n * N_FORMATS; i++)
            free(p->out_paths[i]);
    free(p->out_paths);
}

static int format_flag(const char *arg) {
    if (!strcmp(arg, "--text")) return FMT_TEXT;
    if (!strcmp(arg, "--json")) return FMT_JSON;
    if (!strcmp(arg, "--srt")) return FMT_SRT;
    if (!strcmp(arg, "--vtt")) return FMT_VTT;
    return 0;
}

int cmd_transcribe(int argc, char **argv) {
    static const char *const model_names[] = FILE_MODEL_NAMES;
    batch_options opt = {.params = asr_stream_default_params(),
                         .threads = 1,
                         .pcm_format = ASR_PCM_S16,
                         .pcm_rate = 16000,
                         .pcm_channels = 1,
                         .progress = 1};
    const char *model_path = NULL, *segment_model = NULL, *v;
    lm_options lmo = {0};
    printer p = {0};
    int n_files = 0, rc = EXIT_USAGE, only_files = 0;
    char **files = calloc((size_t)argc, sizeof *files);
    if (!files) return EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        int r, flag;
        if (only_files || !strcmp(argv[i], "-") || argv[i][0] != '-') {
            files[n_files++] = argv[i];
        } else if (!strcmp(argv[i], "--")) {
            only_files = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            rc = EXIT_OK;
            goto done;
        } else if ((flag = format_flag(argv[i])) != 0) {
            p.formats |= flag;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            opt.progress = 0;
        } else if ((r = opt_value(argc, argv, &i, "model", 0, &v)) != 0) {
            if (r < 0) goto done;
            model_path = v;
        } else if ((r = opt_value(argc, argv, &i, "segment-model", 0, &v)) != 0) {
            if (r < 0) goto done;
            segment_model = v;
        } else if ((r = opt_value(argc, argv, &i, "output", 'o', &v)) != 0) {
            if (r < 0) goto done;
            p.output = v;
        } else if ((r = opt_value(argc, argv, &i, "output-dir", 0, &v)) != 0) {
            if (r < 0) goto done;
            p.output_dir = v;
        } else if ((r = opt_value(argc, argv, &i, "beam", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--beam", v, 1, 1024, &opt.params.beam_size)) goto done;
        } else if ((r = opt_value(argc, argv, &i, "jobs", 'j', &v)) != 0) {
            if (r < 0 || !opt_int("-j", v, 1, 256, &opt.threads)) goto done;
        } else if ((r = opt_value(argc, argv, &i, "rate", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--rate", v, 1000, 384000, &opt.pcm_rate)) goto done;
        } else if ((r = opt_value(argc, argv, &i, "channels", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--channels", v, 1, 64, &opt.pcm_channels)) goto done;
        } else if ((r = opt_value(argc, argv, &i, "format", 0, &v)) != 0) {
            if (r < 0) goto done;
            if (!asr_pcm_format_parse(v, &opt.pcm_format)) {
                fprintf(stderr, "asr: --format expects s16, s32, f32 or u8, not '%s'\n", v);
                goto done;
            }
        } else if ((r = opt_value(argc, argv, &i, "endpoint-silence-ms", 0, &v)) != 0) {
            if (r < 0 ||
                !opt_int("--endpoint-silence-ms", v, 0, 600000, &opt.params.endpoint_silence_ms))
                goto done;
        } else if ((r = opt_value(argc, argv, &i, "max-utterance-ms", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--max-utterance-ms", v, 1000, 600000,
                                  &opt.params.endpoint_max_utterance_ms))
                goto done;
        } else if ((r = lm_option(argc, argv, &i, &lmo)) != 0) {
            if (r < 0) goto done;
        } else {
            fprintf(stderr,
                    "asr transcribe: unknown option '%s' (see --help; '--' before a "
                    "file name that starts with '-')\n",
                    argv[i]);
            goto done;
        }
    }
    if (n_files == 0) {
        fprintf(stderr, "asr transcribe: no input files (see --help)\n");
        goto done;
    }
    int stdin_uses = 0;
    for (int i = 0; i < n_files; i++)
        stdin_uses += strcmp(files[i], "-") == 0;
    if (stdin_uses > 1) {
        fprintf(stderr, "asr transcribe: '-' (standard input) can be read only once\n");
        goto done;
    }
    if (!p.formats) p.formats = FMT_TEXT;
    int several_formats = (p.formats & (p.formats - 1)) != 0;
    if (p.output && p.output_dir) {
        fprintf(stderr, "asr transcribe: -o and --output-dir exclude each other\n");
        goto done;
    }
    if (p.output && n_files > 1) {
        fprintf(stderr,
                "asr transcribe: -o names one output for one input; with %d inputs use "
                "--output-dir DIR\n",
                n_files);
        goto done;
    }
    if (several_formats && !p.output_dir) {
        fprintf(stderr, "asr transcribe: several of --text/--json/--srt/--vtt need "
                        "--output-dir DIR (one file each)\n");
        goto done;
    }
    p.several = n_files > 1;
    int kept = plan_outputs(&p, files, n_files);
    if (kept < 0) goto done;
    asr_model *model =
        load_model_or_complain(model_path ? model_path : default_model_path(model_names));
    if (model && !lm_options_apply(&lmo, model, &opt.params)) {
        asr_model_free(model);
        model = NULL;
    }
    asr_model *detector = NULL;
    opt.model = model;
    if (model && !batch_find_detector(&opt, segment_model, &detector)) {
        asr_model_free(model);
        model = NULL;
    }
    if (model) {
        opt.on_done = print_item;
        opt.ctx = &p;
        batch_run(&opt, files, kept);
        asr_model_free(detector);
        asr_model_free(model);
        rc = p.failed ? EXIT_SOME_FAILED : EXIT_OK;
    }
done:
    printer_free(&p, n_files);
    lm_options_free(&lmo);
    free(files);
    return rc;
}
