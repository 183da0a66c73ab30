/*
 * siem_tail — print TAP SIEM events of the last N seconds as NDJSON, one
 * event per line, as they stream in. A small, complete user of libpptap:
 * settings from the environment (and an optional config file), validation,
 * streaming with a bounded memory, typed access and error reporting.
 *
 *   PPTAP_PRINCIPAL=… PPTAP_SECRET=… siem_tail [-c pptap.conf] [-v] [seconds] [endpoint]
 *
 * endpoint: all (default), issues, clicks-blocked, clicks-permitted,
 * messages-blocked, messages-delivered. seconds: 30..3600 (default 300).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/client.h>
#include <pptap/settings.h>
#include <pptap/tap.h>

static int print_event(pptap_event_type type, json_t *event, void *payload)
{
    size_t *n = payload;
    /* typed access to one field, raw JSON for the rest */
    const char *who = "";
    pptap_click_obj *click = NULL;
    pptap_message_obj *msg = NULL;
    if (type == PPTAP_EVENT_CLICKS_BLOCKED || type == PPTAP_EVENT_CLICKS_PERMITTED) {
        if (pptap_click_parse(&click, event) == 0 && pptap_click_get(click)->recipient) {
            who = pptap_click_get(click)->recipient;
        }
    } else if (pptap_message_parse(&msg, event) == 0 && pptap_message_get(msg)->recipient.n > 0) {
        who = pptap_message_get(msg)->recipient.v[0];
    }
    /* {"type":…,"recipient":…,"event":{…}}: jansson does the escaping */
    json_t *out = json_pack("{s:s, s:s, s:O}", "type", pptap_event_type_name(type), "recipient",
                            who, "event", event);
    char *line = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
    if (line != NULL) {
        printf("%s\n", line);
        free(line);
    }
    json_decref(out);
    pptap_click_free(click);
    pptap_message_free(msg);
    (*n)++;
    return 0;
}

static void trace(const pptap_trace *t, void *payload)
{
    (void)payload;
    static const char *const kinds[] = {"request", "response", "retry", "error"};
    fprintf(stderr, "siem_tail: %s %s %s attempt %d status %ld %lld ms%s%s\n", kinds[t->kind],
            t->method, t->url, t->attempt, t->status, (long long)t->elapsed_ms,
            t->message[0] ? ": " : "", t->message);
    if (t->headers[0]) {
        fprintf(stderr, "%s", t->headers); /* Authorization is redacted by the library */
    }
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        pptap_endpoint ep;
    } eps[] = {
        {"all", PPTAP_EP_SIEM_ALL},
        {"issues", PPTAP_EP_SIEM_ISSUES},
        {"clicks-blocked", PPTAP_EP_SIEM_CLICKS_BLOCKED},
        {"clicks-permitted", PPTAP_EP_SIEM_CLICKS_PERMITTED},
        {"messages-blocked", PPTAP_EP_SIEM_MESSAGES_BLOCKED},
        {"messages-delivered", PPTAP_EP_SIEM_MESSAGES_DELIVERED},
    };
    const char *conf = NULL;
    int verbose = 0;
    long seconds = 300;
    pptap_endpoint ep = PPTAP_EP_SIEM_ALL;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (positional == 0) {
            char *end;
            seconds = strtol(argv[i], &end, 10);
            if (*end != '\0') {
                fprintf(stderr, "siem_tail: \"%s\" is not a number of seconds\n", argv[i]);
                return 64;
            }
            positional++;
        } else {
            size_t k = 0;
            while (k < sizeof eps / sizeof eps[0] && strcmp(eps[k].name, argv[i]) != 0) {
                k++;
            }
            if (k == sizeof eps / sizeof eps[0]) {
                fprintf(stderr, "siem_tail: unknown endpoint \"%s\"\n", argv[i]);
                return 64;
            }
            ep = eps[k].ep;
        }
    }

    /* defaults < config file < environment */
    pptap_settings s = PPTAP_SETTINGS_INIT;
    if ((conf != NULL && pptap_settings_load_file(&s, conf) != 0) ||
        pptap_settings_load_env(&s) != 0) {
        fprintf(stderr, "siem_tail: %s\n", s.error);
        pptap_settings_dispose(&s);
        return 78;
    }
    if (!pptap_settings_has_credentials(&s)) {
        fprintf(stderr, "siem_tail: no credentials: set PPTAP_PRINCIPAL and PPTAP_SECRET "
                        "(see docs/configuration.md)\n");
        pptap_settings_dispose(&s);
        return 78;
    }
    pptap_client_opts opts = PPTAP_CLIENT_OPTS_INIT;
    pptap_settings_apply(&s, &opts);
    if (verbose) {
        opts.trace = trace;
    }
    pptap_client *c;
    int rc = pptap_client_new(&c, &opts);
    pptap_settings_dispose(&s); /* the client keeps its own copies */
    if (rc != 0) {
        fprintf(stderr, "siem_tail: cannot create the client: %s\n", pptap_strerror(rc));
        return 78;
    }

    pptap_siem_query q = {0};
    q.endpoint = ep;
    q.since_seconds = seconds;
    size_t n = 0;
    pptap_stream_result res;
    rc = pptap_siem_stream(c, &q, print_event, &n, &res);
    const pptap_response_info *ri = pptap_client_last_response(c);
    if (rc != 0) {
        fprintf(stderr, "siem_tail: %s (%s; %zu events delivered before the failure)\n",
                pptap_client_last_error(c), pptap_strerror(rc), res.delivered);
        if (rc == PPTAP_ERATELIMIT) {
            fprintf(stderr, "siem_tail: pool %s is exhausted for the rolling 24 h\n",
                    pptap_pool_name(ri->pool));
        }
        pptap_client_free(c);
        return rc == PPTAP_EINVAL ? 64 : rc == PPTAP_EAUTH ? 77 : 69;
    }
    char date[PPTAP_TIME_STRLEN] = "unknown";
    if (ri->server_date != PPTAP_TIME_NONE) {
        pptap_time_format(date, ri->server_date);
    }
    fprintf(stderr, "siem_tail: %zu events, queryEndTime %s, HTTP %ld, server date %s\n", n,
            res.query_end_time_str[0] ? res.query_end_time_str : "(none)", res.status, date);
    pptap_client_free(c);
    return 0;
}
