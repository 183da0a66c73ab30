/*
 * Fuzz target: the typed views of TAP responses. Any body goes through every
 * parser; each result is walked (strings dereferenced) and freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pptap/tap.h>

static size_t sink;

static void touch(const char *s)
{
    if (s != NULL) {
        sink += strlen(s);
    }
}

static void touch_list(const pptap_strlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        touch(l->v[i]);
    }
}

static void walk_message(const pptap_message *m)
{
    touch(m->guid);
    touch(m->subject);
    touch(m->cluster);
    touch_list(&m->recipient);
    touch_list(&m->from_address);
    touch_list(&m->modules_run);
    for (size_t i = 0; i < m->n_parts; i++) {
        touch(m->parts[i].sha256);
        touch(m->parts[i].sandbox_status);
    }
    for (size_t i = 0; i < m->n_threats; i++) {
        touch(m->threats[i].threat_id);
        touch(m->threats[i].campaign_id);
        touch_list(&m->threats[i].actors);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    pptap_siem_result *r;
    if (pptap_siem_parse(&r, body, size) == 0) {
        for (size_t i = 0; i < r->n_messages_delivered; i++) {
            walk_message(&r->messages_delivered[i]);
        }
        for (size_t i = 0; i < r->n_messages_blocked; i++) {
            walk_message(&r->messages_blocked[i]);
        }
        for (size_t i = 0; i < r->n_clicks_permitted; i++) {
            touch(r->clicks_permitted[i].recipient);
            touch(r->clicks_permitted[i].campaign_id);
        }
        pptap_siem_result_free(r);
    }
    pptap_campaign *c;
    if (pptap_campaign_parse(&c, body, size) == 0) {
        for (size_t i = 0; i < c->actors.n; i++) {
            touch(c->actors.v[i].name);
        }
        for (size_t i = 0; i < c->n_members; i++) {
            touch(c->members[i].threat);
        }
        pptap_campaign_free(c);
    }
    pptap_forensics *f;
    if (pptap_forensics_parse(&f, body, size) == 0) {
        for (size_t i = 0; i < f->n_reports; i++) {
            for (size_t j = 0; j < f->reports[i].n_forensics; j++) {
                const pptap_evidence *e = &f->reports[i].forensics[j];
                touch(e->what.url);
                touch_list(&e->what.ips);
                for (size_t k = 0; k < e->n_platforms; k++) {
                    touch(e->platforms[k].name);
                }
            }
        }
        pptap_forensics_free(f);
    }
    pptap_threat_summary *t;
    if (pptap_threat_summary_parse(&t, body, size) == 0) {
        touch(t->name);
        pptap_threat_summary_free(t);
    }
    pptap_people *p;
    if (pptap_people_parse(&p, body, size) == 0) {
        for (size_t i = 0; i < p->n_users; i++) {
            touch_list(&p->users[i].emails);
            for (size_t k = 0; k < p->users[i].n_families; k++) {
                touch(p->users[i].families[k].name);
            }
        }
        pptap_people_free(p);
    }
    pptap_campaign_ids *ids;
    if (pptap_campaign_ids_parse(&ids, body, size) == 0) {
        for (size_t i = 0; i < ids->n_campaigns; i++) {
            touch(ids->campaigns[i].id);
        }
        pptap_campaign_ids_free(ids);
    }
    pptap_url_decode_result *u;
    if (pptap_url_decode_parse(&u, body, size) == 0) {
        for (size_t i = 0; i < u->n_urls; i++) {
            touch(u->urls[i].decoded_url);
        }
        pptap_url_decode_result_free(u);
    }
    return 0;
}
