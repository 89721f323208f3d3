/* asr: the command-line front end. Each subcommand lives in its own file. */
#include <cblas.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "asr - streaming speech recognition on the CPU, offline\n"
    "\n"
    "Usage: asr COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Commands:\n"
    "  transcribe FILE...   write the text spoken in audio files (WAV, FLAC, Ogg, ...)\n"
    "  live                 write what is said into a microphone while it is said\n"
    "  eval MANIFEST...     word and character error rates against reference transcripts\n"
    "  bench FILE...        speed, latency and memory of streaming recognition\n"
    "  lm-build IN OUT      convert (and prune) an ARPA n-gram LM to the binary form\n"
    "  lm-ppl LM TEXT...    perplexity of an n-gram LM on text\n"
    "  pronounce WORD...    how phone models pronounce words (dictionary or G2P)\n"
    "  serve                streaming recognition over WebSocket, and a page for browsers\n"
    "  client URL FILE...   send audio files to 'asr serve' and write what it hears\n"
    "\n"
    "Run 'asr COMMAND --help' for the options of a command.\n"
    "Options: -h, --help  this text;  --version  the version.\n"
    "\n"
    "Example:\n"
    "  asr transcribe samples/*.wav\n";

/* Models, LMs and dictionaries are memory-mapped: one cut short while in
 * use (copied over in place) makes the next read of it a SIGBUS. Said in
 * words instead of "Bus error"; renaming a new file over the old one is
 * safe (docs/ROBUSTNESS.md). */
static void on_sigbus(int sig) {
    static const char msg[] =
        "\nasr: a model, LM or dictionary file in use was cut short or overwritten in place, "
        "so it can no longer be read; replace such files by writing a new file and renaming "
        "it over the old one (docs/ROBUSTNESS.md)\n";
    (void)sig;
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing more can be done */
    }
    _exit(EXIT_SOME_FAILED);
}

int main(int argc, char **argv) {
    use_fast_blas_kernels(argv);
    /* One stream, one core: OpenBLAS's own threads only fight with ours. */
    openblas_set_num_threads(1);
    struct sigaction bus = {.sa_handler = on_sigbus};
    sigemptyset(&bus.sa_mask);
    sigaction(SIGBUS, &bus, NULL);
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("asr %s (OpenBLAS kernels for %s)\n", asr_version(), openblas_get_corename());
        return EXIT_OK;
    }
    if (!strcmp(cmd, "transcribe")) return cmd_transcribe(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "live")) return cmd_live(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "lm-build")) return cmd_lm_build(argc - 1, argv + 1);
    if (!strcmp(cmd, "lm-ppl")) return cmd_lm_ppl(argc - 1, argv + 1);
    if (!strcmp(cmd, "pronounce")) return cmd_pronounce(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve")) return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "client")) return cmd_client(argc - 1, argv + 1);
    fprintf(stderr, "asr: unknown command '%s' (see 'asr --help')\n", cmd);
    return EXIT_USAGE;
}
