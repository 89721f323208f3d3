/* asr pronounce: the pronunciations phone models use for words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "Usage: asr pronounce [OPTIONS] WORD...\n"
    "\n"
    "Prints how phone models pronounce each word: every variant the dictionary\n"
    "(or your --pronunciations file) lists, else the G2P model's guess. One line\n"
    "per pronunciation: WORD, TAB, the phones, TAB, where it came from (dict, user,\n"
    "g2p). Words are lower-cased as the models write them.\n"
    "\n"
    "Options:\n"
    "  --dict FILE    pronunciation dictionary (default: $ASR_DICT, else\n"
    "                 pretrained/" ASR_DEFAULT_DICT " if present)\n"
    "  --pronunciations FILE  extra or replacement pronunciations, 'WORD PH PH ...'\n"
    "                 per line as in CMUdict\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit status: 0, or 1 when a word cannot be pronounced (it is named), 2 on\n"
    "bad options or files.\n"
    "\n"
    "Example:\n"
    "  asr pronounce tomato kubernetes\n";

int cmd_pronounce(int argc, char **argv) {
    const char *dict_path = NULL, *user_path = NULL;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(help, stdout);
            return EXIT_OK;
        }
        if ((r = opt_value(argc, argv, &i, "dict", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            dict_path = v;
        } else if ((r = opt_value(argc, argv, &i, "pronunciations", 0, &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            user_path = v;
        } else if (!strcmp(argv[i], "--")) {
            first = i + 1;
            break;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "asr pronounce: unknown option '%s' (see --help)\n", argv[i]);
            return EXIT_USAGE;
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "asr pronounce: expected words (see --help)\n");
        return EXIT_USAGE;
    }
    char dict_buf[ASR_PATH_MAX];
    if (!dict_path) dict_path = default_data_path("ASR_DICT", ASR_DEFAULT_DICT, dict_buf);
    if (!dict_path) {
        fprintf(stderr,
                "asr pronounce: no pronunciation dictionary found (%s%s): pass --dict FILE or "
                "set ASR_DICT\n",
                getenv("ASR_DICT") ? "ASR_DICT is empty" : "looked in ",
                getenv("ASR_DICT") ? "" : data_search_places(ASR_DEFAULT_DICT));
        return EXIT_USAGE;
    }
    asr_dict *dict = asr_dict_load(dict_path, user_path);
    if (!dict) {
        fprintf(stderr, "asr pronounce: %s\n", asr_last_error());
        return EXIT_USAGE;
    }
    static const char *const sources[] = {"dict", "user", "g2p"};
    int status = EXIT_OK;
    for (int i = first; i < argc; i++) {
        char word[256], out[4096];
        snprintf(word, sizeof word, "%s", argv[i]);
        for (char *p = word; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p | 32);
        asr_pron_source source;
        if (strlen(argv[i]) >= sizeof word ||
            asr_dict_pronounce(dict, word, out, sizeof out, &source) != ASR_OK) {
            fprintf(stderr, "asr pronounce: %s\n",
                    strlen(argv[i]) >= sizeof word ? "word too long" : asr_last_error());
            status = EXIT_SOME_FAILED;
            continue;
        }
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
            printf("%s\t%s\t%s\n", word, line, sources[source]);
    }
    asr_dict_free(dict);
    return status;
}
