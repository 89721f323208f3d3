/* asr transcribe: files in, text out; -j N files at a time sharing one model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cli.h"

static const char usage[] =
    "Usage: asr transcribe [OPTIONS] FILE...\n"
    "\n"
    "Writes the text spoken in each audio file. Any format libsndfile reads (WAV,\n"
    "FLAC, Ogg Vorbis, AIFF, ...), any sample rate, channels are mixed to mono.\n"
    "FILE '-' reads raw 16-bit little-endian mono PCM from standard input.\n"
    "\n"
    "Options:\n"
    "  --model FILE   acoustic model (default: $ASR_MODEL, else pretrained/en-bilstm.gguf,\n"
    "                 else pretrained/en-lstm.gguf)\n"
    "  --beam N       CTC prefix beam width (default 8, " ASR_LM_BEAM_TEXT
    " with an LM)\n" LM_OPTIONS_HELP
    "  --json         one JSON object per file: text, duration, words with start/end\n"
    "                 seconds and confidence\n"
    "  -j N           transcribe N files at a time, sharing one model (default 1)\n"
    "  --rate HZ      sample rate of raw PCM on standard input (default 16000)\n"
    "  -h, --help     this text\n"
    "\n"
    "Output: the text of one file alone, or 'FILE<TAB>text' per file for several.\n"
    "A file that cannot be read gets a one-line error on stderr; the others are still\n"
    "transcribed, and the exit status is then 1 (2 for bad options or model).\n"
    "\n"
    "Examples:\n"
    "  asr transcribe samples/*.wav\n"
    "  asr transcribe --json -j 2 talk.flac interview.ogg\n"
    "  sox talk.mp3 -t raw -r 16000 -e signed -b 16 -c 1 - | asr transcribe - --rate 16000\n";

typedef struct {
    int json, several, failed;
} printer;

static void print_item(const batch_item *item, int index, void *ctx) {
    printer *p = ctx;
    (void)index;
    if (!item->text) {
        fprintf(stderr, "asr: %s\n", item->error ? item->error : "out of memory");
        p->failed = 1;
        return;
    }
    if (p->json)
        puts(item->json ? item->json : "{}");
    else if (p->several)
        printf("%s\t%s\n", item->path, item->text);
    else
        puts(item->text);
    fflush(stdout);
}

int cmd_transcribe(int argc, char **argv) {
    static const char *const model_names[] = {"en-bilstm.gguf", "en-lstm.gguf", NULL};
    batch_options opt = {.params = asr_stream_default_params(), .threads = 1, .pcm_rate = 16000};
    const char *model_path = NULL, *v;
    lm_options lmo = {0};
    int n_files = 0, rc = EXIT_USAGE;
    char **files = calloc((size_t)argc, sizeof *files);
    if (!files) return EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            rc = EXIT_OK;
            goto done;
        } else if (!strcmp(argv[i], "--json")) {
            opt.json = 1;
        } else if ((r = opt_value(argc, argv, &i, "model", 0, &v)) != 0) {
            if (r < 0) goto done;
            model_path = v;
        } else if ((r = opt_value(argc, argv, &i, "beam", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--beam", v, 1, 1024, &opt.params.beam_size)) goto done;
            lmo.beam_set = 1;
        } else if ((r = opt_value(argc, argv, &i, "jobs", 'j', &v)) != 0) {
            if (r < 0 || !opt_int("-j", v, 1, 256, &opt.threads)) goto done;
        } else if ((r = opt_value(argc, argv, &i, "rate", 0, &v)) != 0) {
            if (r < 0 || !opt_int("--rate", v, 1000, 384000, &opt.pcm_rate)) goto done;
        } else if ((r = lm_option(argc, argv, &i, &lmo)) != 0) {
            if (r < 0) goto done;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "asr transcribe: unknown option '%s' (see --help)\n", argv[i]);
            goto done;
        } else {
            files[n_files++] = argv[i];
        }
    }
    if (n_files == 0) {
        fprintf(stderr, "asr transcribe: no input files (see --help)\n");
        goto done;
    }
    asr_model *model =
        load_model_or_complain(model_path ? model_path : default_model_path(model_names));
    if (model && !lm_options_apply(&lmo, model, &opt.params)) {
        asr_model_free(model);
        model = NULL;
    }
    if (model) {
        printer p = {.json = opt.json, .several = n_files > 1};
        opt.model = model;
        opt.on_done = print_item;
        opt.ctx = &p;
        batch_run(&opt, files, n_files);
        asr_model_free(model);
        rc = p.failed ? EXIT_SOME_FAILED : EXIT_OK;
    }
done:
    lm_options_free(&lmo);
    free(files);
    return rc;
}
