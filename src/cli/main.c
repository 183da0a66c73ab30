/*
 * pptap — entry point: global options and the command table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const pptap_cli_cmd commands[] = {
    {"decode", "decode URL Defense links (arguments, lines, or links found in text)", cmd_decode,
     cmd_decode_usage},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fputs("usage: pptap [--version] [-h|--help] <command> [options] [args]\n"
          "\n"
          "Proofpoint TAP toolkit.\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    }
    fputs("  help CMD     show the help of CMD (same as 'pptap CMD --help')\n"
          "\n"
          "Global options:\n"
          "  -h, --help     show this help and exit\n"
          "  --version      show the versions of pptap and its libraries and exit\n"
          "\n"
          "Exit status follows sysexits(3): 0 ok, 64 usage, 65 bad data, 66 no input,\n"
          "69 unavailable, 70 internal, 74 I/O, 75 temporary, 76 protocol, 77 auth,\n"
          "78 configuration. See pptap(1).\n",
          out);
}

static void version(void)
{
    char v[256];
    pptap_version_details(v, sizeof(v));
    printf("%s\n", v);
}

static const pptap_cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            version();
            return 0;
        }
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        cli_err("unknown option '%s' (see 'pptap --help')", a);
        return EXIT_USAGE;
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[i];
    if (strcmp(name, "help") == 0) {
        if (i + 1 >= argc) {
            usage(stdout);
            return 0;
        }
        const pptap_cli_cmd *c = find_command(argv[i + 1]);
        if (c == NULL) {
            cli_err("unknown command '%s' (see 'pptap --help')", argv[i + 1]);
            return EXIT_USAGE;
        }
        c->usage(stdout);
        return 0;
    }
    const pptap_cli_cmd *c = find_command(name);
    if (c == NULL) {
        cli_err("unknown command '%s' (see 'pptap --help')", name);
        return EXIT_USAGE;
    }
    optind = 1;
    return c->run(argc - i, argv + i);
}
