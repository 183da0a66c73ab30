/*
 * pptap case: the cases kept in the store — what SOAR actions created in
 * them (insights, entities) and the entities put there for scoping.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pptap/store.h>

#include "cmd.h"
#include "cmd_action.h"

void cmd_case_usage(FILE *out)
{
    fputs("usage: pptap case list [--state PATH] [--json]\n"
          "       pptap case show ID [--state PATH] [--json]\n"
          "       pptap case add-entity ID TYPE IDENTIFIER [--property KEY=VALUE]...\n"
          "                             [--state PATH] [--json]\n"
          "\n"
          "Cases live in the store: the entities and insights that 'pptap action' created\n"
          "in them, and entities added here so that an action's scope (\"All entities\",\n"
          "\"URL entities\", ...) finds them.\n"
          "list: every case with its number of entities and insights, latest first.\n"
          "show: the entities (type, identifier, properties, who created them, when) and\n"
          "insights (severity, title, action, entity, body) of case ID.\n"
          "add-entity: adds an entity of TYPE (URL, USERUNIQNAME, FILEHASH, ADDRESS,\n"
          "HOSTNAME, THREATACTOR...; DestinationURL, EMAIL, HASH, IP and HOST are taken as\n"
          "URL, USERUNIQNAME, FILEHASH, ADDRESS and HOSTNAME) to case ID unless the case\n"
          "already has it (identifiers compare without case).\n"
          "\n"
          "Options:\n"
          "  -S, --state PATH          the store (created by add-entity when missing);\n"
          "                            default $PPTAP_STATE, else the --ledger store\n"
          "  -p, --property KEY=VALUE  add-entity: a property of the entity (repeatable;\n"
          "                            true, false and integers are typed), e.g.\n"
          "                            OriginalIdentifier=https://Example.com/A\n"
          "  -j, --json                JSON: one object per case (list), one object with\n"
          "                            entities and insights (show), the entity (add-entity)\n"
          "  -h, --help                show this help and exit\n"
          "\n"
          "Exit status: 0 ok (also for a case with nothing in it), 64 bad arguments, 66 no\n"
          "store, 74 the store failed, 78 no store given or its mode or schema refused.\n",
          out);
}

typedef struct {
    cli_out *o;
    int json;
    json_t *acc;
    size_t n;
} case_walk;

static void time_str(char *buf, pptap_time_ms t)
{
    pptap_time_format(buf, t);
}

/* Writes HTML as text: tags dropped, <br> and </p> as new lines, the five
 * entities act_html() writes unescaped; lines indented by `indent`. */
static void put_html_text(cli_out *o, const char *html, const char *indent)
{
    pptap_buf b = PPTAP_BUF_INIT;
    static const struct {
        const char *ent, *ch;
    } ents[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
    pptap_buf_put(&b, indent, strlen(indent));
    for (const char *p = html; *p != '\0';) {
        if (*p == '<') {
            const char *e = strchr(p, '>');
            if (e == NULL) {
                break;
            }
            int brk = strncasecmp(p, "<br", 3) == 0 || strncasecmp(p, "</p", 3) == 0 ||
                      strncasecmp(p, "</h", 3) == 0;
            if (brk && e[1] != '\0') {
                pptap_buf_put(&b, "\n", 1);
                pptap_buf_put(&b, indent, strlen(indent));
            }
            p = e + 1;
            continue;
        }
        if (*p == '&') {
            size_t k;
            for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
                size_t n = strlen(ents[k].ent);
                if (strncmp(p, ents[k].ent, n) == 0) {
                    pptap_buf_put(&b, ents[k].ch, 1);
                    p += n;
                    break;
                }
            }
            if (k < sizeof ents / sizeof ents[0]) {
                continue;
            }
        }
        pptap_buf_put(&b, p, 1);
        p++;
    }
    pptap_buf_put(&b, "", 0);
    /* server text: control characters are shown as '?', line by line */
    for (char *line = b.ptr; line != NULL;) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        cli_out_text(o, line);
        cli_out_putc(o, '\n');
        line = nl != NULL ? nl + 1 : NULL;
    }
    pptap_buf_dispose(&b);
}

static int on_entity(const pptap_store_case_entity *e, void *payload)
{
    case_walk *w = payload;
    char t[PPTAP_TIME_STRLEN];
    time_str(t, e->created_at);
    w->n++;
    if (w->json) {
        json_t *props = json_loads(e->properties, 0, NULL);
        json_array_append_new(w->acc, json_pack("{s:s, s:s, s:o, s:s, s:s}", "entity_type",
                                                e->entity_type, "identifier", e->identifier,
                                                "properties", props != NULL ? props : json_object(),
                                                "created_by", e->created_by, "created_at", t));
        return 0;
    }
    cli_out_puts(w->o, "  ");
    cli_out_text(w->o, e->entity_type);
    cli_out_puts(w->o, "  ");
    cli_out_text(w->o, e->identifier);
    cli_out_puts(w->o, "\n      by ");
    cli_out_text(w->o, e->created_by);
    cli_out_puts(w->o, " at ");
    cli_out_puts(w->o, t);
    if (strcmp(e->properties, "{}") != 0) {
        cli_out_puts(w->o, "; ");
        cli_out_text(w->o, e->properties);
    }
    cli_out_putc(w->o, '\n');
    return 0;
}

static int on_insight(const pptap_store_case_insight *in, void *payload)
{
    case_walk *w = payload;
    char t[PPTAP_TIME_STRLEN];
    time_str(t, in->created_at);
    w->n++;
    if (w->json) {
        json_array_append_new(
            w->acc, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s}", "action", in->action, "title",
                              in->title, "severity", in->severity, "type", in->type, "entity",
                              in->entity, "body_html", in->body, "created_at", t));
        return 0;
    }
    cli_out_puts(w->o, "  [");
    cli_out_text(w->o, in->severity);
    cli_out_puts(w->o, "] ");
    cli_out_text(w->o, in->title);
    cli_out_puts(w->o, "\n      by ");
    cli_out_text(w->o, in->action);
    cli_out_puts(w->o, " at ");
    cli_out_puts(w->o, t);
    if (in->entity != NULL) {
        cli_out_puts(w->o, " about ");
        cli_out_text(w->o, in->entity);
    }
    cli_out_putc(w->o, '\n');
    put_html_text(w->o, in->body, "      ");
    return 0;
}

static int on_case(const pptap_store_case_summary *c, void *payload)
{
    case_walk *w = payload;
    char first[PPTAP_TIME_STRLEN], last[PPTAP_TIME_STRLEN];
    time_str(first, c->first);
    time_str(last, c->last);
    w->n++;
    if (w->json) {
        json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s}", "case_id", c->case_id, "entities",
                              (json_int_t)c->entities, "insights", (json_int_t)c->insights, "first",
                              first, "last", last);
        cli_out_json(w->o, j);
        cli_out_putc(w->o, '\n');
        json_decref(j);
        return 0;
    }
    char line[256];
    cli_out_text(w->o, c->case_id);
    snprintf(line, sizeof line, "  entities %lld, insights %lld, last change %s\n",
             (long long)c->entities, (long long)c->insights, last);
    cli_out_puts(w->o, line);
    return 0;
}

/* Types a --property value: true/false and integers as JSON, else a string. */
static json_t *property_value(const char *v)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        return json_boolean(v[0] == 't');
    }
    long n;
    if (cli_parse_int(v, -2147483647L, 2147483647L, &n) == 0) {
        return json_integer(n);
    }
    return json_string(v);
}

static int valid_type(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 63) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)t[i]) && t[i] != '_') {
            return 0;
        }
    }
    return 1;
}

static int add_entity(pptap_store *st, cli_out *o, int json, char **args, json_t *props)
{
    char type[64];
    if (!valid_type(args[1])) {
        cli_err("entity type '%s' is not a word of letters, digits and '_' (at most 63)", args[1]);
        return EXIT_USAGE;
    }
    actions_canon_type(type, sizeof type, args[1]);
    if (args[0][0] == '\0' || args[2][0] == '\0') {
        cli_err("the case id and the identifier must not be empty");
        return EXIT_USAGE;
    }
    char *text = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS);
    pptap_store_case_entity e = {
        .case_id = args[0],
        .entity_type = type,
        .identifier = args[2],
        .properties = text,
        .created_by = "pptap case add-entity",
    };
    int added = 0;
    int rc = text != NULL ? pptap_store_case_entity_add(st, &e, &added) : PPTAP_ENOMEM;
    free(text);
    if (rc != 0) {
        cli_err("cannot add the entity: %s",
                pptap_store_last_error(st)[0] ? pptap_store_last_error(st) : pptap_strerror(rc));
        return rc == PPTAP_EINVAL ? EXIT_USAGE : cli_exit_code(rc);
    }
    if (json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:O, s:b}", "case_id", args[0], "entity_type", type,
                              "identifier", args[2], "properties", props, "new", added);
        cli_out_json(o, j);
        cli_out_putc(o, '\n');
        json_decref(j);
    } else {
        cli_out_puts(o, added ? "added " : "already in the case: ");
        cli_out_text(o, type);
        cli_out_puts(o, " ");
        cli_out_text(o, args[2]);
        cli_out_puts(o, " (case ");
        cli_out_text(o, args[0]);
        cli_out_puts(o, ")\n");
    }
    return 0;
}

static int show_case(pptap_store *st, cli_out *o, int json, const char *id)
{
    case_walk ew = {o, json, json_array(), 0};
    case_walk iw = {o, json, json_array(), 0};
    int rc = 0;
    if (!json) {
        cli_out_puts(o, "case ");
        cli_out_text(o, id);
        cli_out_puts(o, "\nentities:\n");
    }
    int err = pptap_store_case_entity_list(st, id, on_entity, &ew);
    if (err == 0 && !json) {
        if (ew.n == 0) {
            cli_out_puts(o, "  (none)\n");
        }
        cli_out_puts(o, "insights:\n");
    }
    if (err == 0) {
        err = pptap_store_case_insight_list(st, id, on_insight, &iw);
    }
    if (err == 0 && !json && iw.n == 0) {
        cli_out_puts(o, "  (none)\n");
    }
    if (err != 0) {
        cli_err("cannot read case '%s': %s", id, pptap_store_last_error(st));
        rc = err == PPTAP_EINVAL ? EXIT_USAGE : cli_exit_code(err);
    } else if (json) {
        json_t *j =
            json_pack("{s:s, s:O, s:O}", "case_id", id, "entities", ew.acc, "insights", iw.acc);
        cli_out_json(o, j);
        cli_out_putc(o, '\n');
        json_decref(j);
    }
    json_decref(ew.acc);
    json_decref(iw.acc);
    return rc;
}

int cmd_case(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'S'},
        {"property", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *state = NULL;
    int json = cli_g.json;
    json_t *props = json_object();
    int opt, rc = 0;
    opterr = 0;
    if (props == NULL) {
        return EXIT_SOFTWARE;
    }
    while ((opt = getopt_long(argc, argv, ":S:p:jh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'S':
            state = optarg;
            break;
        case 'p': {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg) {
                cli_err("--property needs KEY=VALUE, not '%s'", optarg);
                json_decref(props);
                return EXIT_USAGE;
            }
            char *key = strndup(optarg, (size_t)(eq - optarg));
            json_object_set_new(props, key != NULL ? key : "", property_value(eq + 1));
            free(key);
            break;
        }
        case 'j':
            json = 1;
            break;
        case 'h':
            cmd_case_usage(stdout);
            json_decref(props);
            return 0;
        default:
            json_decref(props);
            return cli_usage_error("case", argv, opt);
        }
    }
    static const struct {
        const char *name;
        int args;
    } subs[] = {{"list", 0}, {"show", 1}, {"add-entity", 3}};
    int sub = -1;
    if (optind < argc) {
        for (int i = 0; i < 3; i++) {
            if (strcmp(argv[optind], subs[i].name) == 0) {
                sub = i;
            }
        }
    }
    if (sub < 0) {
        if (optind < argc) {
            cli_err("unknown subcommand '%s' (see 'pptap case --help')", argv[optind]);
        } else {
            cli_err("give a subcommand: list, show or add-entity (see 'pptap case --help')");
        }
        json_decref(props);
        return EXIT_USAGE;
    }
    if (argc - optind - 1 != subs[sub].args) {
        cli_err("case %s takes %s (see 'pptap case --help')", subs[sub].name,
                sub == 0   ? "no argument"
                : sub == 1 ? "a case ID"
                           : "ID TYPE IDENTIFIER");
        json_decref(props);
        return EXIT_USAGE;
    }
    if (sub != 2 && json_object_size(props) > 0) {
        cli_err("--property is for add-entity");
        json_decref(props);
        return EXIT_USAGE;
    }
    const char *path = cli_state_path(state);
    if (path == NULL) {
        cli_err("give the store with --state PATH (or PPTAP_STATE)");
        json_decref(props);
        return EXIT_CONFIG;
    }
    pptap_store *st = NULL;
    if (sub == 2) {
        rc = cli_case_store_open(&st, path);
    } else if (access(path, F_OK) != 0) {
        cli_err("no store at '%s' (check --state or PPTAP_STATE)", path);
        rc = EXIT_NOINPUT;
    } else {
        rc = cli_case_store_open(&st, path);
    }
    if (rc != 0) {
        json_decref(props);
        return rc;
    }
    cli_out o;
    if (cli_out_init(&o, STDOUT_FILENO, 1u << 16) != 0) {
        pptap_store_close(st);
        json_decref(props);
        return EXIT_SOFTWARE;
    }
    char **args = argv + optind + 1;
    if (sub == 0) {
        case_walk w = {&o, json, NULL, 0};
        int err = pptap_store_case_list(st, on_case, &w);
        if (err != 0) {
            cli_err("cannot list the cases: %s", pptap_store_last_error(st));
            rc = cli_exit_code(err);
        }
    } else if (sub == 1) {
        rc = show_case(st, &o, json, args[0]);
    } else {
        rc = add_entity(st, &o, json, args, props);
    }
    if (cli_out_flush(&o) != 0 && rc == 0) {
        rc = EXIT_IOERR;
    }
    cli_out_dispose(&o);
    pptap_store_close(st);
    json_decref(props);
    return rc;
}
