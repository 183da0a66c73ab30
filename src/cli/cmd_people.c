/*
 * pptap people vap | top-clickers: Very Attacked People and top clickers of
 * the last 14, 30 or 90 days, as a table or the API's JSON object (merged
 * over pages with --all).
 */
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

void cmd_people_usage(FILE *out)
{
    fputs("usage: pptap people vap --window 14|30|90 [--size N] [--page N | --all] [--json]\n"
          "       pptap people top-clickers --window 14|30|90 [--size N] [--page N | --all]\n"
          "                                 [--json]\n"
          "\n"
          "vap: the Very Attacked People of the window, by attack index (GET\n"
          "/v2/people/vap; 50 requests a day). top-clickers: the users who clicked most\n"
          "(GET /v2/people/top-clickers). Without --all one page is read (the API's\n"
          "default size: 1000 VAPs, 100 top clickers); --all reads every page, at the\n"
          "largest size unless --size says otherwise, and says on stderr how many\n"
          "requests it takes.\n"
          "\n"
          "Options:\n"
          "  --window DAYS   14, 30 or 90 (required)\n"
          "  --size N        users per page (VAP 1 to 1000, top clickers 1 to 200)\n"
          "  --page N        the page to read (from 1)\n"
          "  --all           read every page\n"
          "  -j, --json      one JSON object: the API's (interval, totals, users), with the\n"
          "                  users of every page\n"
          "  -h, --help      show this help and exit\n"
          "\n"
          "Exit status: 0 ok, 64 bad arguments, 69 API unreachable, 75 rate limit or\n"
          "timeout, 77 credentials refused, 78 no credentials.\n",
          out);
}

static void put_user(cli_out *o, const pptap_person *p, int vap)
{
    char num[64];
    int64_t v = vap ? p->attack_index : p->click_count;
    if (v != PPTAP_INT_NONE) {
        snprintf(num, sizeof num, "%8lld  ", (long long)v);
    } else {
        snprintf(num, sizeof num, "%8s  ", "-");
    }
    cli_out_puts(o, num);
    for (size_t i = 0; i < p->emails.n; i++) {
        cli_out_puts(o, i ? "," : "");
        cli_out_text(o, p->emails.v[i]);
    }
    if (p->emails.n == 0) {
        cli_out_puts(o, "-");
    }
    cli_out_puts(o, "  ");
    cli_out_text(o, p->name != NULL ? p->name : "-");
    cli_out_puts(o, p->vip > 0 ? "  VIP  " : "  ");
    for (size_t i = 0; i < p->n_families; i++) {
        const pptap_family_stat *f = &p->families[i];
        int64_t n = vap ? f->score : f->clicks;
        cli_out_puts(o, i ? ", " : "");
        cli_out_text(o, f->name != NULL ? f->name : "?");
        if (n != PPTAP_INT_NONE) {
            snprintf(num, sizeof num, " %lld", (long long)n);
            cli_out_puts(o, num);
        }
    }
    if (p->n_families == 0) {
        cli_out_puts(o, "-");
    }
    cli_out_putc(o, '\n');
}

enum { O_WINDOW = 256, O_SIZE, O_PAGE, O_ALL };

int cmd_people(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"window", required_argument, NULL, O_WINDOW},
        {"size", required_argument, NULL, O_SIZE},
        {"page", required_argument, NULL, O_PAGE},
        {"all", no_argument, NULL, O_ALL},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        cmd_people_usage(stdout);
        return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "vap") != 0 && strcmp(argv[1], "top-clickers") != 0)) {
        if (argc >= 2) {
            cli_err("unknown people subcommand \"%s\": use 'vap' or 'top-clickers' (see 'pptap "
                    "people --help')",
                    argv[1]);
        } else {
            cli_err("use 'pptap people vap ...' or 'pptap people top-clickers ...' (see 'pptap "
                    "people --help')");
        }
        return EXIT_USAGE;
    }
    int vap = strcmp(argv[1], "vap") == 0;
    pptap_endpoint ep = vap ? PPTAP_EP_PEOPLE_VAP : PPTAP_EP_PEOPLE_TOP_CLICKERS;
    argc--;
    argv++;
    pptap_people_query q = {0};
    long v;
    int all = 0, json = cli_g.json, have_window = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
        switch (opt) {
        case O_WINDOW:
            if (cli_parse_int(optarg, -1000000, 1000000, &v) != 0) {
                cli_err("--window must be 14, 30 or 90 (days), not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            q.window = (int)v;
            have_window = 1;
            break;
        case O_SIZE:
            if (cli_parse_int(optarg, -1000000, 1000000, &v) != 0 || v == 0) {
                cli_err("--size must be a positive number, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            q.size = (int)v;
            break;
        case O_PAGE:
            if (cli_parse_int(optarg, -1000000, 1000000, &v) != 0 || v == 0) {
                cli_err("--page must be a positive number, not \"%s\"", optarg);
                return EXIT_USAGE;
            }
            q.page = (int)v;
            break;
        case O_ALL:
            all = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            cmd_people_usage(stdout);
            return 0;
        default:
            return cli_usage_error("people", argv, opt);
        }
    }
    if (optind < argc) {
        cli_err("unexpected argument '%s' (see 'pptap people --help')", argv[optind]);
        return EXIT_USAGE;
    }
    if (!have_window) {
        cli_err("--window is required: 14, 30 or 90 (days)");
        return EXIT_USAGE;
    }
    if (all && q.page != 0) {
        cli_err("--all reads every page: it cannot be combined with --page");
        return EXIT_USAGE;
    }
    if (all && q.size == 0) {
        q.size = vap ? PPTAP_VAP_SIZE_MAX : PPTAP_TOP_CLICKERS_SIZE_MAX;
    }
    char err[PPTAP_ERRMSG_LEN];
    if (pptap_people_query_validate(ep, &q, err) != 0) {
        cli_err("%s", err);
        return EXIT_USAGE;
    }
    pptap_client *cl = NULL;
    int rc = cli_client_open(&cl);
    if (rc != 0) {
        return rc;
    }
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 1u << 16) != 0) {
        pptap_client_free(cl);
        return EXIT_SOFTWARE;
    }
    json_t *merged = NULL; /* --json: the first page's object with every user */
    int page = all ? 1 : q.page;
    for (;;) {
        pptap_people_query pq = q;
        pq.page = page;
        pptap_people *r = NULL;
        int e =
            vap ? pptap_people_vap_get(cl, &r, &pq) : pptap_people_top_clickers_get(cl, &r, &pq);
        if (e != 0) {
            rc = cli_api_error(cl, e);
            break;
        }
        if (all && page == 1 && r->total != PPTAP_INT_NONE && r->total > 0) {
            long long pages = (r->total + q.size - 1) / q.size;
            if (pages > 1) {
                cli_err("%lld %s in %lld pages of %d: %lld more request%s in pool %s%s",
                        (long long)r->total, vap ? "VAPs" : "top clickers", pages, q.size,
                        pages - 1, pages == 2 ? "" : "s", pptap_pool_name(pptap_endpoint_pool(ep)),
                        vap ? " (50 a day)" : "");
            }
        }
        if (json) {
            if (merged == NULL) {
                merged = json_copy(r->raw);
                if (merged != NULL) {
                    json_object_set_new(merged, "users", json_array());
                }
            }
            json_t *users = json_object_get(r->raw, "users");
            if (merged != NULL && json_is_array(users)) {
                json_array_extend(json_object_get(merged, "users"), users);
            }
        } else {
            char line[256];
            if (page == (all ? 1 : q.page)) {
                if (vap) {
                    snprintf(line, sizeof line,
                             "VAPs: %lld in %s; average attack index %.2f, VAP threshold %.2f",
                             (long long)(r->total != PPTAP_INT_NONE ? r->total : 0),
                             r->interval != NULL ? r->interval : "-",
                             isnan(r->average_attack_index) ? 0.0 : r->average_attack_index,
                             isnan(r->vap_attack_index_threshold) ? 0.0
                                                                  : r->vap_attack_index_threshold);
                } else {
                    snprintf(line, sizeof line, "top clickers: %lld in %s",
                             (long long)(r->total != PPTAP_INT_NONE ? r->total : 0),
                             r->interval != NULL ? r->interval : "-");
                }
                cli_out_text(&o, line);
                cli_out_putc(&o, '\n');
                cli_out_puts(&o, vap ? "  ATTACK  EMAILS  NAME  FAMILIES\n"
                                     : "  CLICKS  EMAILS  NAME  FAMILIES\n");
            }
            for (size_t i = 0; i < r->n_users; i++) {
                put_user(&o, &r->users[i], vap);
            }
        }
        size_t n = r->n_users;
        int64_t total = r->total;
        pptap_people_free(r);
        if (!all || n == 0 || (q.size > 0 && n < (size_t)q.size) ||
            (total != PPTAP_INT_NONE && (int64_t)page * q.size >= total)) {
            break;
        }
        page++;
    }
    if (merged != NULL) {
        if (rc == 0) {
            cli_out_json(&o, merged);
            cli_out_putc(&o, '\n');
        }
        json_decref(merged);
    }
    if (cli_out_flush(&o) != 0 && rc == 0) {
        cli_err("cannot write output: %s", strerror(o.failed));
        rc = EXIT_IOERR;
    }
    cli_out_dispose(&o);
    pptap_client_free(cl);
    return rc;
}
