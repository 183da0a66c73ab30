/*
 * pptap-sim — the deterministic synthetic tenant.
 *
 * Everything here is a pure function of the seed (and, for campaigns, of the
 * clock only to hide the future): items are numbered per minute of creation
 * time, threats per hour, campaigns per day. Identifiers (threat IDs, campaign
 * IDs) carry their coordinates XOR a seed mask plus a check part, so a lookup
 * decodes them and regenerates the object instead of keeping any table.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

const char *const sim_kind_name[SIM_K_COUNT] = {"clicksPermitted", "clicksBlocked",
                                                "messagesDelivered", "messagesBlocked"};
const char *const sim_tt_name[SIM_TT_COUNT] = {"url", "attachment", "messageText"};
const char *const sim_cl_name[SIM_CL_COUNT] = {"malware", "phish", "spam", "impostor", "toad"};
const char *const sim_ts_name[SIM_TS_COUNT] = {"active", "cleared", "falsePositive"};

#define COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* Tags keep the hash streams of different objects apart. */
enum {
    TAG_KIND = 1,
    TAG_ITEM,
    TAG_THREAT,
    TAG_TCAMP,
    TAG_CSTART,
    TAG_CAMP,
    TAG_IDMAC,
    TAG_USER,
    TAG_ORG,
    TAG_FEISTEL,
};

/* ---------------------------------------------------------------------- */
/* Hashing */

uint64_t sim_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t sim_hash(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t h = sim_mix(a);
    h = sim_mix(h ^ b);
    h = sim_mix(h ^ c);
    return sim_mix(h ^ d);
}

static uint64_t H(uint64_t tag, uint64_t a, uint64_t b, uint64_t c)
{
    return sim_hash(sim_cfg.seed ^ (tag * 0x100000001b3ull), a, b, c);
}

/* A keyed permutation of 64-bit values: identifiers carry their coordinates
 * without looking alike. */
static uint64_t permute(uint64_t v, int inverse)
{
    uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;
    for (int k = 0; k < 4; k++) {
        int i = inverse ? 3 - k : k;
        if (!inverse) {
            uint32_t t = r;
            r = l ^ (uint32_t)H(TAG_FEISTEL, t, (uint64_t)i, 0);
            l = t;
        } else {
            uint32_t t = l;
            l = r ^ (uint32_t)H(TAG_FEISTEL, t, (uint64_t)i, 0);
            r = t;
        }
    }
    return (uint64_t)l << 32 | r;
}

void sim_rng_init(sim_rng *r, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    r->s = sim_hash(sim_cfg.seed ^ (a * 0x100000001b3ull), b, c, d);
}

uint64_t sim_rng_next(sim_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t sim_rng_below(sim_rng *r, uint32_t n)
{
    if (n == 0) {
        return 0;
    }
    return (uint32_t)((sim_rng_next(r) >> 32) * n >> 32);
}

int sim_rng_permille(sim_rng *r, uint32_t permille)
{
    return sim_rng_below(r, 1000) < permille;
}

double sim_rng_unit(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) / 9007199254740992.0;
}

static const char *pick(sim_rng *r, const char *const *list, size_t n)
{
    return list[sim_rng_below(r, (uint32_t)n)];
}
#define PICK(r, list) pick((r), (list), COUNTOF(list))

static void hex_from(char *out, size_t nhex, sim_rng *r)
{
    static const char hx[] = "0123456789abcdef";
    uint64_t v = 0;
    for (size_t i = 0; i < nhex; i++) {
        if (i % 16 == 0) {
            v = sim_rng_next(r);
        }
        out[i] = hx[v & 15];
        v >>= 4;
    }
    out[nhex] = '\0';
}

static void alnum_from(char *out, size_t n, sim_rng *r)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++) {
        out[i] = al[sim_rng_below(r, 62)];
    }
    out[n] = '\0';
}

static void hex_bytes(char *out, const unsigned char *b, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void uuid_from_bytes(char out[37], const unsigned char b[16])
{
    hex_bytes(out, b, 4);
    out[8] = '-';
    hex_bytes(out + 9, b + 4, 2);
    out[13] = '-';
    hex_bytes(out + 14, b + 6, 2);
    out[18] = '-';
    hex_bytes(out + 19, b + 8, 2);
    out[23] = '-';
    hex_bytes(out + 24, b + 10, 6);
}

static void uuid_from_rng(char out[37], sim_rng *r)
{
    unsigned char b[16];
    uint64_t x = sim_rng_next(r), y = sim_rng_next(r);
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(x >> (8 * i));
        b[8 + i] = (unsigned char)(y >> (8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    uuid_from_bytes(out, b);
}

static void uuid_from_hash(char out[37], uint64_t h)
{
    sim_rng r = {h};
    uuid_from_rng(out, &r);
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    }
    return h;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parses `n` bytes of hex (dashes skipped) into b; returns 0 or -1. */
static int unhex(unsigned char *b, size_t n, const char *s)
{
    size_t k = 0;
    for (; *s && k < 2 * n; s++) {
        if (*s == '-') {
            continue;
        }
        int v = hexval((unsigned char)*s);
        if (v < 0) {
            return -1;
        }
        if (k % 2 == 0) {
            b[k / 2] = (unsigned char)(v << 4);
        } else {
            b[k / 2] |= (unsigned char)v;
        }
        k++;
    }
    return (k == 2 * n && *s == '\0') ? 0 : -1;
}

/* ---------------------------------------------------------------------- */
/* Word lists */

static const char *const first_names[] = {
    "dana",  "pat",   "alex",  "sam",    "chris", "jordan", "morgan", "taylor",
    "casey", "jamie", "robin", "avery",  "riley", "quinn",  "drew",   "blake",
    "kim",   "lee",   "noor",  "ana",    "marta", "yusuf",  "chen",   "priya",
    "omar",  "elena", "ivan",  "sophie", "lucas", "mia",    "hiro",   "fatima"};
static const char *const last_names[] = {
    "lee",    "kim",    "smith",  "garcia", "nguyen", "patel", "muller", "rossi",
    "dubois", "silva",  "ito",    "khan",   "cohen",  "novak", "larsen", "okafor",
    "brown",  "wilson", "moore",  "taylor", "clark",  "lewis", "walker", "young",
    "hall",   "allen",  "wright", "scott",  "green",  "baker", "adams",  "nelson"};
static const char *const departments[] = {"Finance", "Engineering", "Sales", "HR",
                                          "Legal",   "Executive",   "IT",    "Marketing"};
static const char *const titles[] = {"Accountant", "Engineer", "Account Executive", "Recruiter",
                                     "Counsel",    "CFO",      "Administrator",     "Analyst"};
static const char *const locations[] = {"New York",  "London",  "Paris",
                                        "Singapore", "Toronto", "Sydney"};
static const char *const bad_domains[] = {
    "login-micros0ft-secure.com", "docs-share-portal.net", "invoice-center.biz",
    "secure-verify-acct.info",    "newsoffer.xyz",         "dropbox-files.top",
    "m365-auth-check.com",        "parcel-tracking.live",  "payroll-update.site",
    "bank-alerts-online.co"};
static const char *const sender_domains[] = {
    "mailer.example.net", "billing-notice.com",  "hr-benefits.org",   "evil.zz",
    "badguy.zz",          "shipping-notify.net", "accounts-team.info"};
static const char *const sender_names[] = {"Billing",       "DocuSign",    "IT Helpdesk", "Payroll",
                                           "Microsoft 365", "DHL Express", "CEO Office"};
static const char *const subjects[] = {"Invoice overdue",
                                       "Please find a totally safe invoice attached.",
                                       "Your mailbox is almost full",
                                       "Action required: verify your account",
                                       "Shared document: Q3 results",
                                       "Payroll update for this month",
                                       "Delivery failed: reschedule your parcel",
                                       "Urgent wire transfer",
                                       "You got invoice from DocuSign Electronic Service",
                                       "Re: contract renewal"};
static const char *const xmailers[] = {"Spambot v2.5", "Microsoft Outlook 16.0", "PHPMailer 6.1.4",
                                       "Apple Mail (2.3654)"};
static const char *const user_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/99.0.4844.74 Safari/537.36 Edg/99.0.1150.46",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0(WindowsNT6.1;WOW64;rv:27.0)Gecko/20100101Firefox/27.0",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"};
static const char *const attach_names[][2] = {{"Invoice_", ".docm"},  {"scan_", ".zip"},
                                              {"PO-", ".xlsm"},       {"payment_", ".pdf.exe"},
                                              {"Statement-", ".iso"}, {"Remittance_", ".html"}};
static const char *const modules_list[][9] = {
    {"av", "zerohour", "spf", "dkimv", "spam", "dmarc", "pdr", "urldefense", NULL},
    {"pdr", "sandbox", "spam", "urldefense", NULL},
    {"av", "zerohour", "spf", "dkimv", "spam", "dmarc", "pdr", "sandbox", "urldefense"},
    {"av", "spam", "dmarc", "impostor", NULL}};
static const char *const routes_list[][3] = {{"default_inbound", NULL, NULL},
                                             {"default_inbound", "executives", NULL},
                                             {"allow_relay", "bypass_maxsize", NULL},
                                             {"default_inbound", "allow_relay", NULL}};

static const char *const actor_names[] = {"TA505", "TA511", "TA542", "TA570", "TA577", "TA4903"};
static const char *const family_names[] = {
    "Credential Phishing", "Keylogger", "Stealer", "Downloader", "Banking", "Remote Access Trojan"};
static const char *const malware_names[] = {"AgentTesla", "Tordal",        "QakBot", "IcedID",
                                            "Emotet",     "Lumma Stealer", "Pikabot"};
static const char *const technique_names[] = {"Compressed Executable", "Office VBA Macro",
                                              "Lookalike Domain",      "HTML Smuggling",
                                              "Malicious PDF",         "Abused Legit Service"};
static const char *const brand_names[] = {"Microsoft", "DocuSign", "DHL",
                                          "Adobe",     "Dropbox",  "PayPal"};
static const char *const detection_types[] = {"sandbox", "reputation", "signature",
                                              "machine learning", "analyst"};

/* ---------------------------------------------------------------------- */
/* Users */

void sim_user_email(char *out, size_t outsz, int user)
{
    int nf = (int)COUNTOF(first_names), nl = (int)COUNTOF(last_names);
    int suffix = user / (nf * nl);
    if (suffix > 0) {
        snprintf(out, outsz, "%s.%s%d@%s", first_names[user % nf], last_names[(user / nf) % nl],
                 suffix, sim_cfg.domain);
    } else {
        snprintf(out, outsz, "%s.%s@%s", first_names[user % nf], last_names[(user / nf) % nl],
                 sim_cfg.domain);
    }
}

uint64_t sim_user_guid_hash(int user)
{
    return H(TAG_USER, (uint64_t)user, 0, 0);
}

void sim_user_write_identity(sim_jw *w, int user)
{
    char email[128], guid[37], name[96];
    sim_rng r = {H(TAG_USER, (uint64_t)user, 1, 0)};
    uuid_from_hash(guid, sim_user_guid_hash(user));
    sim_user_email(email, sizeof email, user);
    int nf = (int)COUNTOF(first_names), nl = (int)COUNTOF(last_names);
    snprintf(name, sizeof name, "%c%s %c%s", first_names[user % nf][0] - 32,
             first_names[user % nf] + 1, last_names[(user / nf) % nl][0] - 32,
             last_names[(user / nf) % nl] + 1);
    int known = sim_rng_permille(&r, 600);
    sim_jw_key(w, "identity");
    sim_jw_obj(w);
    sim_jw_kstr(w, "guid", guid);
    sim_jw_key(w, "customerUserId");
    if (known) {
        char cid[24];
        snprintf(cid, sizeof cid, "E%06d", 100000 + user);
        sim_jw_str(w, cid);
    } else {
        sim_jw_null(w);
    }
    sim_jw_key(w, "emails");
    sim_jw_arr(w);
    sim_jw_str(w, email);
    sim_jw_arr_end(w);
    sim_jw_kstr(w, "name", known ? name : NULL);
    sim_jw_kstr(w, "department", known ? PICK(&r, departments) : NULL);
    sim_jw_kstr(w, "location", known ? PICK(&r, locations) : NULL);
    sim_jw_kstr(w, "title", known ? PICK(&r, titles) : NULL);
    sim_jw_key(w, "vip");
    sim_jw_bool(w, sim_rng_permille(&r, 80));
    sim_jw_obj_end(w);
}

static void random_ip(char *out, size_t outsz, sim_rng *r)
{
    static const unsigned first[] = {185, 45, 103, 91, 176, 198, 203, 89, 81, 175};
    unsigned a = first[sim_rng_below(r, COUNTOF(first))];
    snprintf(out, outsz, "%u.%u.%u.%u", a, sim_rng_below(r, 256), sim_rng_below(r, 256),
             1 + sim_rng_below(r, 254));
}

/* ---------------------------------------------------------------------- */
/* Threats */

uint32_t sim_gen_threats_in_hour(int64_t hour)
{
    (void)hour;
    double t = sim_cfg.rate / 50.0;
    if (t < 8) {
        t = 8;
    }
    if (t > 1000) {
        t = 1000;
    }
    return (uint32_t)t;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static pptap_time_ms threat_ident(int64_t hour, uint32_t idx)
{
    return hour * SIM_HOUR_MS + (int64_t)(H(TAG_THREAT, (uint64_t)hour, idx, 0) % 3600) * 1000;
}

static pptap_time_ms campaign_start(int64_t day, int k)
{
    return day * SIM_DAY_MS + (int64_t)k * 5 * SIM_HOUR_MS +
           (int64_t)(H(TAG_CSTART, (uint64_t)day, (uint64_t)k, 0) % 10800) * 1000;
}

/* The campaign of threat (hour, idx), if any: 1 with *day, *k set. */
static int threat_campaign(int64_t hour, uint32_t idx, int64_t *day, int *k)
{
    sim_rng r;
    sim_rng_init(&r, TAG_TCAMP, (uint64_t)hour, idx, 0);
    if (!sim_rng_permille(&r, 400)) {
        return 0;
    }
    pptap_time_ms ident = threat_ident(hour, idx);
    int64_t dd[2 * SIM_CAMPAIGNS_PER_DAY];
    int kk[2 * SIM_CAMPAIGNS_PER_DAY];
    int n = 0;
    int64_t d0 = floordiv(ident, SIM_DAY_MS);
    for (int64_t d = d0 - 1; d <= d0; d++) {
        for (int c = 0; c < SIM_CAMPAIGNS_PER_DAY; c++) {
            pptap_time_ms s = campaign_start(d, c);
            if (s <= ident && ident <= s + SIM_CAMPAIGN_SPAN_MS) {
                dd[n] = d;
                kk[n] = c;
                n++;
            }
        }
    }
    if (n == 0) {
        return 0;
    }
    int i = (int)sim_rng_below(&r, (uint32_t)n);
    *day = dd[i];
    *k = kk[i];
    return 1;
}

static const int camp_pos[8] = {0, 1, 2, 3, 4, 5, 9, 10};

static void campaign_id(char out[37], int64_t day, int k)
{
    unsigned char b[16];
    uint64_t v = permute((uint64_t)day << 8 | (uint64_t)k, 0);
    uint64_t mac1 = H(TAG_IDMAC, 2, (uint64_t)day, (uint64_t)k);
    for (int i = 0; i < 16; i++) {
        b[i] = (unsigned char)(mac1 >> (8 * (i % 8)));
    }
    for (int i = 0; i < 8; i++) {
        b[camp_pos[i]] = (unsigned char)(v >> (56 - 8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    uuid_from_bytes(out, b);
}

static void threat_id(char out[65], int64_t hour, uint32_t idx)
{
    unsigned char b[32];
    uint64_t v = permute((uint64_t)hour << 20 | idx, 0);
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(v >> (56 - 8 * i));
    }
    sim_rng r;
    sim_rng_init(&r, TAG_IDMAC, 1, (uint64_t)hour, idx);
    uint64_t x = 0;
    for (int i = 8; i < 32; i++) {
        if (i % 8 == 0) {
            x = sim_rng_next(&r);
        }
        b[i] = (unsigned char)x;
        x >>= 8;
    }
    hex_bytes(out, b, 32);
}

static char org_prefix[96];

void sim_gen_init(void)
{
    char org[37];
    uuid_from_hash(org, H(TAG_ORG, 0, 0, 0));
    snprintf(org_prefix, sizeof org_prefix, "https://threatinsight.proofpoint.com/%s/threat/email/",
             org);
}

void sim_threat_url(char *out, size_t outsz, const char *tid)
{
    size_t a = strlen(org_prefix), b = strlen(tid);
    if (a + b + 1 > outsz) {
        out[0] = '\0';
        return;
    }
    memcpy(out, org_prefix, a);
    memcpy(out + a, tid, b + 1);
}

void sim_gen_threat(sim_threat *t, int64_t hour, uint32_t idx)
{
    sim_rng r;
    memset(t, 0, sizeof *t);
    t->hour = hour;
    t->idx = idx;
    t->ident = threat_ident(hour, idx);
    sim_rng_init(&r, TAG_THREAT, (uint64_t)hour, idx, 1);
    threat_id(t->id, hour, idx);
    uint32_t x = sim_rng_below(&r, 1000);
    t->type = x < 600 ? SIM_TT_URL : x < 850 ? SIM_TT_ATTACHMENT : SIM_TT_MESSAGETEXT;
    x = sim_rng_below(&r, 1000);
    switch (t->type) {
    case SIM_TT_URL:
        t->cls = x < 500 ? SIM_CL_PHISH : x < 750 ? SIM_CL_MALWARE : SIM_CL_SPAM;
        break;
    case SIM_TT_ATTACHMENT:
        t->cls = x < 900 ? SIM_CL_MALWARE : SIM_CL_PHISH;
        break;
    default:
        t->cls = x < 600 ? SIM_CL_IMPOSTOR : SIM_CL_TOAD;
        break;
    }
    x = sim_rng_below(&r, 1000);
    t->status = x < 850 ? SIM_TS_ACTIVE : x < 950 ? SIM_TS_CLEARED : SIM_TS_FALSEPOSITIVE;
    {
        /* Its own stream, so the other fields stay as they were. */
        sim_rng rs;
        sim_rng_init(&rs, TAG_THREAT, (uint64_t)hour, idx, 2);
        t->status_at = t->status == SIM_TS_ACTIVE
                           ? 0
                           : t->ident + (pptap_time_ms)(20 + sim_rng_below(&rs, 100)) * 60000;
    }
    if (t->type == SIM_TT_URL) {
        char tok[12];
        alnum_from(tok, 8, &r);
        const char *dom = PICK(&r, bad_domains);
        uint32_t form = sim_rng_below(&r, 20);
        if (form == 0) {
            snprintf(t->threat, sizeof t->threat, "%s/", dom); /* scheme-less, as observed */
        } else if (form < 4) {
            snprintf(t->threat, sizeof t->threat, "http://%s/%s", dom, tok);
        } else {
            snprintf(t->threat, sizeof t->threat, "https://%s/%s/verify?id=%s", dom,
                     form < 10 ? "login" : "doc", tok);
        }
    } else if (t->type == SIM_TT_ATTACHMENT) {
        /* As in real events, an attachment's threat ID is its SHA-256. */
        snprintf(t->threat, sizeof t->threat, "%s", t->id);
        hex_from(t->md5, 32, &r);
        uint32_t an = sim_rng_below(&r, COUNTOF(attach_names));
        snprintf(t->filename, sizeof t->filename, "%s%05u%s", attach_names[an][0],
                 sim_rng_below(&r, 100000), attach_names[an][1]);
    } else {
        const char *f = PICK(&r, first_names);
        char dom[96];
        snprintf(dom, sizeof dom, "%s", sim_cfg.domain);
        /* A lookalike of the tenant domain: swap one letter for a digit. */
        for (char *p = dom; *p; p++) {
            if (*p == 'l') {
                *p = '1';
                break;
            }
            if (*p == 'o') {
                *p = '0';
                break;
            }
        }
        if (strcmp(dom, sim_cfg.domain) == 0) {
            snprintf(dom, sizeof dom, "%s-mail.com", sim_cfg.domain);
        }
        snprintf(t->threat, sizeof t->threat, "%s.ceo@%s", f, dom);
    }
    t->has_campaign = threat_campaign(hour, idx, &t->camp_day, &t->camp_k);
    if (t->has_campaign) {
        campaign_id(t->campaign, t->camp_day, t->camp_k);
    }
}

int sim_gen_threat_lookup(sim_threat *t, const char *id)
{
    unsigned char b[32];
    if (strlen(id) != 64 || unhex(b, 32, id) != 0) {
        return -1;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | b[i];
    }
    v = permute(v, 1);
    int64_t hour = (int64_t)(v >> 20);
    uint32_t idx = (uint32_t)(v & 0xfffff);
    if (hour < 0 || hour > 10000000 || idx >= sim_gen_threats_in_hour(hour)) {
        return -1;
    }
    char want[65];
    threat_id(want, hour, idx);
    for (int i = 0; i < 64; i++) {
        if (want[i] != (id[i] | 0x20)) {
            return -1;
        }
    }
    sim_gen_threat(t, hour, idx);
    return 0;
}

/* Picks a threat identified at or before `at`, preferring the types of `mask`. */
static void pick_threat(sim_threat *t, sim_rng *r, pptap_time_ms at, unsigned mask)
{
    int64_t h0 = floordiv(at, SIM_HOUR_MS);
    int have = 0;
    for (int tries = 0; tries < 40; tries++) {
        int64_t h = h0 - (int64_t)sim_rng_below(r, 24);
        uint32_t idx = sim_rng_below(r, sim_gen_threats_in_hour(h));
        if (threat_ident(h, idx) > at) {
            continue;
        }
        sim_gen_threat(t, h, idx);
        have = 1;
        if (mask & (1u << t->type)) {
            return;
        }
    }
    if (!have) {
        sim_gen_threat(t, h0 - 1, 0);
    }
}

/* ---------------------------------------------------------------------- */
/* Items */

/* Per-item shares (per mille) of the four kinds. */
static const uint32_t kind_share[SIM_K_COUNT] = {220, 80, 500, 200};
#define AVG_EVENTS_PER_ITEM 1.49 /* 0.3 * 1 + 0.7 * 1.7 recipients */

uint32_t sim_gen_items_in_minute(int64_t minute)
{
    double per_min = sim_cfg.rate / 60.0 / AVG_EVENTS_PER_ITEM;
    double a = (double)minute * per_min, b = (double)(minute + 1) * per_min;
    int64_t n = (int64_t)b - (int64_t)a;
    return n < 0 ? 0 : (uint32_t)n;
}

int sim_gen_item_kind(int64_t minute, uint32_t idx)
{
    uint32_t x = (uint32_t)(H(TAG_KIND, (uint64_t)minute, idx, 0) % 1000);
    for (int k = 0; k < SIM_K_COUNT; k++) {
        if (x < kind_share[k]) {
            return k;
        }
        x -= kind_share[k];
    }
    return SIM_K_MESSAGES_DELIVERED;
}

static int64_t index_delay(sim_rng *r)
{
    int64_t max = (int64_t)sim_cfg.max_delay_s * 1000;
    uint32_t x = sim_rng_below(r, 100);
    int64_t d;
    if (x < 70) {
        d = (int64_t)sim_rng_below(r, 120000);
    } else if (x < 95) {
        d = (int64_t)sim_rng_below(r, 600000);
    } else {
        d = (int64_t)(sim_rng_unit(r) * (double)max);
    }
    return d > max ? max : d;
}

/* Copies a NUL-terminated string, truncating to the destination. */
static void scopy(char *dst, size_t dstsz, const char *src)
{
    size_t n = strlen(src);
    if (n >= dstsz) {
        n = dstsz - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void gen_part(sim_part *p, sim_rng *r, const char *ct, const char *disp, const char *fn)
{
    scopy(p->content_type, sizeof p->content_type, ct);
    scopy(p->o_content_type, sizeof p->o_content_type, ct);
    scopy(p->disposition, sizeof p->disposition, disp);
    scopy(p->filename, sizeof p->filename, fn);
    hex_from(p->md5, 32, r);
    hex_from(p->sha256, 64, r);
    static const char *const text_sb[] = {"unsupported", "NOT_SUPPORTED", NULL};
    p->sandbox = text_sb[sim_rng_below(r, 3)];
}

static void gen_message(sim_item *it, sim_rng *r)
{
    pptap_time_ms c = it->created;
    int users = sim_cfg.users > 0 ? sim_cfg.users : 1;
    uint32_t x = sim_rng_below(r, 1000);
    it->nrcpt = x < 500 ? 1 : x < 800 ? 2 : 3;
    if (it->nrcpt > users) {
        it->nrcpt = users;
    }
    for (int i = 0; i < it->nrcpt; i++) {
        int u;
        int again;
        do {
            u = (int)sim_rng_below(r, (uint32_t)users);
            again = 0;
            for (int k = 0; k < i; k++) {
                again |= it->rcpt_user[k] == u;
            }
        } while (again);
        it->rcpt_user[i] = u;
        sim_user_email(it->rcpt[i], sizeof it->rcpt[i], u);
        uuid_from_rng(it->ids[i], r);
        it->delay[i] = index_delay(r);
    }
    it->late = it->kind == SIM_K_MESSAGES_DELIVERED &&
               sim_rng_permille(r, (uint32_t)sim_cfg.late_permille);
    it->message_time =
        it->late ? c - SIM_HOUR_MS - (int64_t)sim_rng_below(r, 60u * 24 * 3600) * 1000 : c;
    it->nthreats = sim_rng_permille(r, 150) ? 2 : 1;
    pick_threat(&it->threats[0], r, c, 7u);
    if (it->nthreats == 2) {
        pick_threat(&it->threats[1], r, c, 1u << SIM_TT_URL);
        if (strcmp(it->threats[1].id, it->threats[0].id) == 0) {
            it->nthreats = 1;
        }
    }
    for (int i = 0; i < it->nthreats; i++) {
        it->threat_time[i] = (it->late && i == 0) ? c : it->threats[i].ident;
    }
    alnum_from(it->guid, 32, r);
    char q[12];
    alnum_from(q, 10, r);
    snprintf(it->qid, sizeof it->qid, "%s-%u", q, 1 + sim_rng_below(r, 3));
    const char *sdom = PICK(r, sender_domains);
    const char *sname = PICK(r, sender_names);
    char local[40];
    if (sim_rng_permille(r, 500)) {
        hex_from(local, 32, r);
    } else {
        snprintf(local, sizeof local, "%s", PICK(r, first_names));
    }
    snprintf(it->sender, sizeof it->sender, "%s@%s", local, sdom);
    random_ip(it->sender_ip, sizeof it->sender_ip, r);
    char fl[16];
    snprintf(fl, sizeof fl, "%s", sim_rng_permille(r, 500) ? "billing" : "no-reply");
    snprintf(it->from, sizeof it->from, "%s@%s", fl, sdom);
    snprintf(it->header_from, sizeof it->header_from, "\"%s\" <%s>", sname, it->from);
    if (sim_rng_permille(r, 200)) {
        snprintf(it->reply_to, sizeof it->reply_to, "reply-%s@%s", fl, PICK(r, sender_domains));
    }
    it->xmailer = sim_rng_permille(r, 400) ? PICK(r, xmailers) : NULL;
    it->subject = PICK(r, subjects);
    if (sim_rng_permille(r, 200)) {
        sim_user_email(it->cc, sizeof it->cc, (int)sim_rng_below(r, (uint32_t)users));
    }
    char tsbuf[PPTAP_TIME_STRLEN];
    pptap_time_format(tsbuf, it->message_time);
    snprintf(it->message_id, sizeof it->message_id, "<%.4s%.2s%.2s%.2s%.2s%.2s.%u.mail@%s>", tsbuf,
             tsbuf + 5, tsbuf + 8, tsbuf + 11, tsbuf + 14, tsbuf + 17, sim_rng_below(r, 100000),
             sdom);
    if (sim_rng_permille(r, 30)) {
        /* messageID without angle brackets, as in the doc example */
        size_t n = strlen(it->message_id);
        memmove(it->message_id, it->message_id + 1, n - 2);
        it->message_id[n - 2] = '\0';
    }
    int has_url = 0;
    const sim_threat *att = NULL;
    int cls = it->threats[0].cls;
    for (int i = 0; i < it->nthreats; i++) {
        has_url |= it->threats[i].type == SIM_TT_URL;
        if (it->threats[i].type == SIM_TT_ATTACHMENT) {
            att = &it->threats[i];
        }
    }
    x = sim_rng_below(r, 100);
    if (has_url) {
        it->rewritten = x < 80 ? 1 : x < 88 ? 0 : x < 96 ? 2 : 3;
    } else {
        it->rewritten = x < 50 ? 1 : x < 70 ? 0 : 4;
    }
    it->spam = cls == SIM_CL_SPAM ? 90 + (int)sim_rng_below(r, 11) : (int)sim_rng_below(r, 40);
    it->phish = cls == SIM_CL_PHISH ? 70 + (int)sim_rng_below(r, 31) : (int)sim_rng_below(r, 50);
    it->malware = cls == SIM_CL_MALWARE ? 80 + (int)sim_rng_below(r, 21) : 0;
    it->impostor =
        cls == SIM_CL_IMPOSTOR || cls == SIM_CL_TOAD ? 60 + (int)sim_rng_below(r, 41) : 0;
    it->modules = (int)sim_rng_below(r, COUNTOF(modules_list));
    if (cls == SIM_CL_IMPOSTOR || cls == SIM_CL_TOAD) {
        it->modules = 3;
    }
    it->routes = (int)sim_rng_below(r, COUNTOF(routes_list));
    it->quarantine = -1;
    if (it->kind == SIM_K_MESSAGES_BLOCKED) {
        static const int qcode[SIM_CL_COUNT] = {0, 4, 2, 3, 4};
        it->quarantine = att ? 1 : qcode[cls];
    }
    gen_part(&it->parts[0], r, "text/plain", "inline", "text.txt");
    it->nparts = 1;
    if (sim_rng_permille(r, 600)) {
        gen_part(&it->parts[it->nparts++], r, "text/html", "inline", "text.html");
    }
    if (att) {
        sim_part *p = &it->parts[it->nparts++];
        gen_part(p, r, "application/octet-stream", "attached", att->filename);
        if (strstr(att->filename, ".pdf") == NULL) {
            snprintf(p->content_type, sizeof p->content_type, "%s", "application/vnd.ms-office");
        }
        snprintf(p->sha256, sizeof p->sha256, "%.64s", att->threat);
        snprintf(p->md5, sizeof p->md5, "%s", att->md5);
        p->sandbox = "threat";
    } else if (sim_rng_permille(r, 200)) {
        sim_part *p = &it->parts[it->nparts++];
        gen_part(p, r, "application/pdf", "attached", "Invoice.pdf");
        static const char *const sb[] = {"clean",      "CLEAN",          "prefilter", "uploaded",
                                         "inprogress", "uploaddisabled", NULL};
        p->sandbox = sb[sim_rng_below(r, COUNTOF(sb))];
    }
    it->size = 2000 + sim_rng_below(r, 150000);
}

/* Finds a delivered message carrying a URL threat a click can come from. */
static int click_source(sim_item *src, sim_rng *r, int64_t minute)
{
    for (int tries = 0; tries < 8; tries++) {
        int64_t m = minute - 1 - (int64_t)sim_rng_below(r, 2880);
        uint32_t n = sim_gen_items_in_minute(m);
        if (n == 0) {
            continue;
        }
        uint32_t j = sim_rng_below(r, n);
        if (sim_gen_item_kind(m, j) != SIM_K_MESSAGES_DELIVERED) {
            continue;
        }
        sim_gen_item(src, m, j);
        if (src->late) {
            continue;
        }
        for (int i = 0; i < src->nthreats; i++) {
            if (src->threats[i].type == SIM_TT_URL) {
                if (i != 0) {
                    src->threats[0] = src->threats[i];
                }
                return 1;
            }
        }
    }
    return 0;
}

static void gen_click(sim_item *it, sim_rng *r)
{
    sim_item src;
    pptap_time_ms c = it->created;
    if (click_source(&src, r, it->minute)) {
        snprintf(it->guid, sizeof it->guid, "%s", src.guid);
        snprintf(it->message_id, sizeof it->message_id, "%s", src.message_id);
        snprintf(it->sender, sizeof it->sender, "%s", src.sender);
        snprintf(it->sender_ip, sizeof it->sender_ip, "%s", src.sender_ip);
        int k = (int)sim_rng_below(r, (uint32_t)src.nrcpt);
        it->click_user = src.rcpt_user[k];
        it->threats[0] = src.threats[0];
        it->message_time = src.message_time;
    } else {
        alnum_from(it->guid, 32, r);
        snprintf(it->message_id, sizeof it->message_id, "<%u.%u.mail@%s>",
                 sim_rng_below(r, 1000000000), sim_rng_below(r, 100000), sender_domains[0]);
        char local[40];
        hex_from(local, 32, r);
        snprintf(it->sender, sizeof it->sender, "%s@%s", local, PICK(r, sender_domains));
        random_ip(it->sender_ip, sizeof it->sender_ip, r);
        it->click_user = (int)sim_rng_below(r, (uint32_t)(sim_cfg.users > 0 ? sim_cfg.users : 1));
        pick_threat(&it->threats[0], r, c - SIM_HOUR_MS, 1u << SIM_TT_URL);
        it->message_time = it->threats[0].ident + (int64_t)sim_rng_below(r, 3600) * 1000;
        if (it->message_time >= c) {
            it->message_time = c - 60000;
        }
    }
    it->nthreats = 1;
    it->nrcpt = 1;
    sim_user_email(it->rcpt[0], sizeof it->rcpt[0], it->click_user);
    uuid_from_rng(it->ids[0], r);
    it->delay[0] = index_delay(r);
    const sim_threat *t = &it->threats[0];
    if (it->kind == SIM_K_CLICKS_PERMITTED && sim_rng_permille(r, 700)) {
        /* Clicked before the URL was condemned: created at the threat time. */
        int64_t span = c - it->message_time;
        it->click_time =
            it->message_time + (span > 1 ? (int64_t)(sim_rng_unit(r) * (double)span) : 0);
        it->click_time -= it->click_time % 1000;
        if (it->click_time >= c) {
            it->click_time = c - 1000;
        }
        it->click_threat_time = c;
    } else {
        it->click_time = c;
        it->click_threat_time = t->ident;
    }
    char base[400];
    if (strncmp(t->threat, "http", 4) != 0) {
        snprintf(base, sizeof base, "http://%s", t->threat);
    } else {
        snprintf(base, sizeof base, "%s", t->threat);
    }
    if (sim_rng_permille(r, 300)) {
        char tok[16];
        alnum_from(tok, 12, r);
        size_t bl = strlen(base);
        snprintf(base + bl, sizeof base - bl, "%cu=%s", strchr(base, '?') ? '&' : '?', tok);
    }
    if (sim_rng_permille(r, 350)) {
        /* The link as URL Defense rewrote it in the message. */
        pptap_urldef_encode_opts o = {PPTAP_URLDEF_HOST_DEFAULT, it->h};
        int ver = sim_rng_permille(r, 400) ? 2 : 3;
        size_t n = 0;
        if (pptap_urldef_encode(&n, it->click_url, sizeof it->click_url - 1, ver, base,
                                strlen(base), &o) == 0) {
            it->click_url[n] = '\0';
        } else {
            snprintf(it->click_url, sizeof it->click_url, "%s", base);
        }
    } else {
        snprintf(it->click_url, sizeof it->click_url, "%s", base);
    }
    random_ip(it->click_ip, sizeof it->click_ip, r);
    it->user_agent = PICK(r, user_agents);
    it->cls_upper = sim_rng_permille(r, 50);
}

void sim_gen_item(sim_item *it, int64_t minute, uint32_t idx)
{
    sim_rng r;
    memset(it, 0, sizeof *it);
    it->minute = minute;
    it->idx = idx;
    it->kind = sim_gen_item_kind(minute, idx);
    it->h = H(TAG_ITEM, (uint64_t)minute, idx, 0);
    sim_rng_init(&r, TAG_ITEM, (uint64_t)minute, idx, 1);
    it->created = minute * SIM_MINUTE_MS + (int64_t)sim_rng_below(&r, 60000);
    if (it->kind == SIM_K_CLICKS_PERMITTED || it->kind == SIM_K_CLICKS_BLOCKED) {
        it->created -= it->created % 1000;
        gen_click(it, &r);
    } else {
        gen_message(it, &r);
    }
}

int sim_item_events(const sim_item *it)
{
    return it->nrcpt;
}

pptap_time_ms sim_event_created(const sim_event *ev)
{
    return ev->item->created;
}

pptap_time_ms sim_event_visible(const sim_event *ev)
{
    return ev->item->created + ev->item->delay[ev->r];
}

const char *sim_event_id(const sim_event *ev)
{
    return ev->item->ids[ev->r];
}

void sim_item_status_at(sim_item *it, pptap_time_ms now)
{
    for (int i = 0; i < it->nthreats; i++) {
        sim_threat *t = &it->threats[i];
        if (t->status_at != 0 && now < t->status_at) {
            t->status = SIM_TS_ACTIVE;
        }
    }
}

int sim_event_matches(const sim_event *ev, unsigned type_mask, unsigned status_mask)
{
    const sim_item *it = ev->item;
    for (int i = 0; i < it->nthreats; i++) {
        if ((type_mask & (1u << it->threats[i].type)) &&
            (status_mask & (1u << it->threats[i].status))) {
            return 1;
        }
    }
    return 0;
}

static void write_strings(sim_jw *w, const char *const *list, size_t n)
{
    sim_jw_arr(w);
    for (size_t i = 0; i < n && list[i]; i++) {
        sim_jw_str(w, list[i]);
    }
    sim_jw_arr_end(w);
}

static void write_one_or_empty(sim_jw *w, const char *s)
{
    sim_jw_arr(w);
    if (s && *s) {
        sim_jw_str(w, s);
    }
    sim_jw_arr_end(w);
}

static void write_cls(sim_jw *w, int cls, int upper)
{
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%s", sim_cl_name[cls]);
    if (upper) {
        for (char *p = tmp; *p; p++) {
            if (*p >= 'a' && *p <= 'z') {
                *p = (char)(*p - 32);
            }
        }
    }
    sim_jw_str(w, tmp);
}

static void write_message(sim_jw *w, const sim_event *ev, uint64_t variant)
{
    static const char *const qfolder[] = {"Malware", "Attachment Defense", "Spam", "Impostor",
                                          "Phish"};
    static const char *const qrule[] = {"malware", "module.sandbox.threat", "inbound_spam_definite",
                                        "impostor", "inbound_spam_phish"};
    const sim_item *it = ev->item;
    int late = it->late;
    char url[256];
    sim_jw_obj(w);
    sim_jw_kint(w, "spamScore", late ? 0 : it->spam);
    sim_jw_kint(w, "phishScore", late ? 0 : it->phish);
    sim_jw_key(w, "threatsInfoMap");
    sim_jw_arr(w);
    for (int i = 0; i < it->nthreats; i++) {
        const sim_threat *t = &it->threats[i];
        sim_jw_obj(w);
        sim_jw_kstr(w, "threatID", t->id);
        sim_jw_kstr(w, "threatStatus", sim_ts_name[t->status]);
        sim_jw_key(w, "classification");
        write_cls(w, t->cls, 0);
        sim_threat_url(url, sizeof url, t->id);
        sim_jw_kstr(w, "threatUrl", url);
        sim_jw_key(w, "threatTime");
        sim_jw_time_ms(w, it->threat_time[i]);
        sim_jw_kstr(w, "threat", t->threat);
        sim_jw_kstr(w, "campaignID", t->has_campaign ? t->campaign : NULL);
        sim_jw_kstr(w, "threatType", sim_tt_name[t->type]);
        sim_jw_obj_end(w);
    }
    sim_jw_arr_end(w);
    sim_jw_key(w, "messageTime");
    sim_jw_time_ms(w, it->message_time);
    sim_jw_key(w, "impostorScore");
    sim_jw_double(w, late ? 0 : it->impostor, 1);
    sim_jw_kint(w, "malwareScore", late ? 0 : it->malware);
    sim_jw_kstr(w, "cluster", sim_cfg.cluster);
    sim_jw_kstr(w, "subject", late ? NULL : it->subject);
    sim_jw_kstr(w, "quarantineFolder", it->quarantine >= 0 ? qfolder[it->quarantine] : NULL);
    sim_jw_kstr(w, "quarantineRule", it->quarantine >= 0 ? qrule[it->quarantine] : NULL);
    sim_jw_key(w, "policyRoutes");
    if (late) {
        sim_jw_null(w);
    } else {
        write_strings(w, routes_list[it->routes], 3);
    }
    sim_jw_key(w, "modulesRun");
    if (late) {
        sim_jw_null(w);
    } else {
        write_strings(w, modules_list[it->modules], 9);
    }
    sim_jw_kint(w, "messageSize", late ? 0 : it->size);
    sim_jw_kstr(w, "headerFrom", late ? NULL : it->header_from);
    char hrt[160];
    snprintf(hrt, sizeof hrt, "<%s>", it->reply_to);
    sim_jw_kstr(w, "headerReplyTo", late || !it->reply_to[0] ? NULL : hrt);
    sim_jw_key(w, "fromAddress");
    if (late) {
        sim_jw_null(w);
    } else {
        write_one_or_empty(w, it->from);
    }
    sim_jw_key(w, "ccAddresses");
    if (late) {
        sim_jw_null(w);
    } else {
        write_one_or_empty(w, it->cc);
    }
    sim_jw_key(w, "replyToAddress");
    if (late) {
        sim_jw_null(w);
    } else {
        write_one_or_empty(w, it->reply_to);
    }
    sim_jw_key(w, "toAddresses");
    if (late) {
        sim_jw_null(w);
    } else {
        sim_jw_arr(w);
        for (int i = 0; i < it->nrcpt; i++) {
            sim_jw_str(w, it->rcpt[i]);
        }
        sim_jw_arr_end(w);
    }
    sim_jw_kstr(w, "xmailer", late ? NULL : it->xmailer);
    sim_jw_key(w, "messageParts");
    if (late) {
        sim_jw_null(w);
    } else {
        /* The order of parts is not stable between requests, as in the real API. */
        int rot = (int)(sim_mix(variant ^ it->h) % (uint64_t)it->nparts);
        sim_jw_arr(w);
        for (int k = 0; k < it->nparts; k++) {
            const sim_part *p = &it->parts[(k + rot) % it->nparts];
            sim_jw_obj(w);
            sim_jw_kstr(w, "contentType", p->content_type);
            sim_jw_kstr(w, "oContentType", p->o_content_type);
            sim_jw_kstr(w, "disposition", p->disposition);
            sim_jw_kstr(w, "filename", p->filename);
            sim_jw_kstr(w, "md5", p->md5);
            sim_jw_kstr(w, "sha256", p->sha256);
            sim_jw_kstr(w, "sandboxStatus", p->sandbox);
            sim_jw_obj_end(w);
        }
        sim_jw_arr_end(w);
    }
    sim_jw_key(w, "completelyRewritten");
    switch (it->rewritten) {
    case 0:
        sim_jw_bool(w, 0);
        break;
    case 1:
        sim_jw_bool(w, 1);
        break;
    case 2:
        sim_jw_str(w, "true");
        break;
    case 3:
        sim_jw_str(w, "false");
        break;
    default:
        sim_jw_str(w, "na");
        break;
    }
    sim_jw_kstr(w, "id", it->ids[ev->r]);
    sim_jw_kstr(w, "QID", late ? NULL : it->qid);
    sim_jw_kstr(w, "GUID", it->guid);
    sim_jw_kstr(w, "sender", late ? "" : it->sender);
    sim_jw_key(w, "recipient");
    sim_jw_arr(w);
    sim_jw_str(w, it->rcpt[ev->r]);
    sim_jw_arr_end(w);
    sim_jw_kstr(w, "senderIP", it->sender_ip);
    sim_jw_kstr(w, "messageID", late ? "" : it->message_id);
    sim_jw_obj_end(w);
}

static void write_click(sim_jw *w, const sim_event *ev)
{
    const sim_item *it = ev->item;
    const sim_threat *t = &it->threats[0];
    char url[256];
    sim_jw_obj(w);
    sim_jw_kstr(w, "url", it->click_url);
    sim_jw_key(w, "classification");
    write_cls(w, t->cls, it->cls_upper);
    sim_jw_key(w, "clickTime");
    sim_jw_time_ms(w, it->click_time);
    sim_jw_key(w, "threatTime");
    sim_jw_time_ms(w, it->click_threat_time);
    sim_jw_kstr(w, "userAgent", it->user_agent);
    if (t->has_campaign) {
        sim_jw_kstr(w, "campaignId", t->campaign);
    }
    sim_jw_kstr(w, "id", it->ids[0]);
    sim_jw_kstr(w, "clickIP", it->click_ip);
    sim_jw_kstr(w, "sender", it->sender);
    sim_jw_kstr(w, "recipient", it->rcpt[0]);
    sim_jw_kstr(w, "senderIP", it->sender_ip);
    sim_jw_kstr(w, "GUID", it->guid);
    sim_jw_kstr(w, "threatID", t->id);
    sim_threat_url(url, sizeof url, t->id);
    sim_jw_kstr(w, "threatURL", url);
    sim_jw_kstr(w, "threatStatus", sim_ts_name[t->status]);
    sim_jw_kstr(w, "messageID", it->message_id);
    sim_jw_obj_end(w);
}

void sim_event_write(sim_jw *w, const sim_event *ev, uint64_t variant)
{
    if (ev->item->kind == SIM_K_CLICKS_PERMITTED || ev->item->kind == SIM_K_CLICKS_BLOCKED) {
        write_click(w, ev);
    } else {
        write_message(w, ev, variant);
    }
}

/* ---------------------------------------------------------------------- */
/* Campaigns */

void sim_gen_campaign(sim_campaign *c, int64_t day, int k, pptap_time_ms now)
{
    memset(c, 0, sizeof *c);
    c->day = day;
    c->k = k;
    campaign_id(c->id, day, k);
    c->start = campaign_start(day, k);
    c->last_updated = c->start;
    /* lastUpdatedAt: the latest member identified by now. */
    int64_t h0 = floordiv(c->start, SIM_HOUR_MS);
    int64_t h1 = floordiv(c->start + SIM_CAMPAIGN_SPAN_MS, SIM_HOUR_MS);
    for (int64_t h = h0; h <= h1; h++) {
        uint32_t n = sim_gen_threats_in_hour(h);
        for (uint32_t i = 0; i < n; i++) {
            int64_t d;
            int kk;
            pptap_time_ms ident = threat_ident(h, i);
            if (ident > now || ident <= c->last_updated) {
                continue;
            }
            if (threat_campaign(h, i, &d, &kk) && d == day && kk == k) {
                c->last_updated = ident;
            }
        }
    }
}

int sim_gen_campaign_lookup(sim_campaign *c, const char *id, pptap_time_ms now)
{
    unsigned char b[16];
    if (strlen(id) != 36 || unhex(b, 16, id) != 0) {
        return -1;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | b[camp_pos[i]];
    }
    v = permute(v, 1);
    int64_t d = (int64_t)(v >> 8);
    int k = (int)(v & 0xff);
    if (d < 0 || d > 1000000) {
        return -1;
    }
    if (k >= SIM_CAMPAIGNS_PER_DAY) {
        return -1;
    }
    char want[37];
    campaign_id(want, d, k);
    for (int i = 0; i < 36; i++) {
        char ch = id[i];
        if (ch >= 'A' && ch <= 'F') {
            ch = (char)(ch | 0x20);
        }
        if (want[i] != ch) {
            return -1;
        }
    }
    if (campaign_start(d, k) > now) {
        return -1;
    }
    sim_gen_campaign(c, d, k, now);
    return 0;
}

int sim_gen_campaign_members(const sim_campaign *c, pptap_time_ms now, int max,
                             void (*fn)(const sim_threat *t, void *payload), void *payload)
{
    int count = 0;
    int64_t h0 = floordiv(c->start, SIM_HOUR_MS);
    int64_t h1 = floordiv(c->start + SIM_CAMPAIGN_SPAN_MS, SIM_HOUR_MS);
    for (int64_t h = h0; h <= h1 && count < max; h++) {
        uint32_t n = sim_gen_threats_in_hour(h);
        for (uint32_t i = 0; i < n && count < max; i++) {
            int64_t d;
            int kk;
            if (threat_ident(h, i) > now) {
                continue;
            }
            if (threat_campaign(h, i, &d, &kk) && d == c->day && kk == c->k) {
                if (fn) {
                    sim_threat t;
                    sim_gen_threat(&t, h, i);
                    fn(&t, payload);
                }
                count++;
            }
        }
    }
    return count;
}

static void write_named(sim_jw *w, const char *key, const char *const *list, size_t n, sim_rng *r,
                        uint32_t max)
{
    char id[37];
    uint32_t count = sim_rng_below(r, max + 1);
    sim_jw_key(w, key);
    sim_jw_arr(w);
    uint32_t start = sim_rng_below(r, (uint32_t)n);
    for (uint32_t i = 0; i < count && i < n; i++) {
        const char *name = list[(start + i) % n];
        uuid_from_hash(id, name_hash(name));
        sim_jw_obj(w);
        sim_jw_kstr(w, "id", id);
        sim_jw_kstr(w, "name", name);
        sim_jw_obj_end(w);
    }
    sim_jw_arr_end(w);
}

typedef struct {
    sim_jw *w;
} member_ctx;

static void write_member(const sim_threat *t, void *payload)
{
    static const char *const subtype[] = {"COMPLETE_URL", "ATTACHMENT", "MESSAGE_TEXT"};
    member_ctx *m = payload;
    sim_jw *w = m->w;
    sim_jw_obj(w);
    sim_jw_kstr(w, "id", t->id);
    sim_jw_kstr(w, "threat", t->threat);
    sim_jw_kstr(w, "threatStatus", sim_ts_name[t->status]);
    sim_jw_kstr(w, "type", sim_tt_name[t->type]);
    sim_jw_kstr(w, "subType", subtype[t->type]);
    sim_jw_key(w, "threatTime");
    sim_jw_time_ms(w, t->ident);
    sim_jw_obj_end(w);
}

void sim_campaign_write(sim_jw *w, const sim_campaign *c, pptap_time_ms now)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    static const char *const targeting[] = {"US", "UK", "DE", "Global", "APAC"};
    static const char *const vectors[] = {"URLs", "Attachments", "Compressed Executables",
                                          "HTML Attachments"};
    sim_rng r;
    sim_rng_init(&r, TAG_CAMP, (uint64_t)c->day, (uint64_t)c->k, 0);
    const char *mal = PICK(&r, malware_names);
    char ts[PPTAP_TIME_STRLEN];
    pptap_time_format(ts, c->start);
    int mon = (ts[5] - '0') * 10 + (ts[6] - '0');
    char name[256];
    snprintf(name, sizeof name, "%s \"%u_%05u\" | %s Targeting | %s | %.2s %s %.4s", mal,
             2200 + sim_rng_below(&r, 99), sim_rng_below(&r, 100000), PICK(&r, targeting),
             PICK(&r, vectors), ts + 8, months[(mon + 11) % 12], ts);
    char desc[512];
    snprintf(desc, sizeof desc,
             "%s themed messages that contain links or attachments leading to %s.\r\n\r\n"
             "Example subjects:\r\n\r\n- %s\r\n- %s\r\n\n** %s C2 **\n\n - %s",
             brand_names[sim_rng_below(&r, COUNTOF(brand_names))], mal, PICK(&r, subjects),
             PICK(&r, subjects), mal, PICK(&r, bad_domains));
    sim_jw_obj(w);
    sim_jw_kstr(w, "id", c->id);
    sim_jw_kstr(w, "name", name);
    sim_jw_kstr(w, "description", desc);
    sim_jw_key(w, "startDate");
    sim_jw_time_ms(w, c->start);
    sim_jw_key(w, "notable");
    sim_jw_bool(w, sim_rng_permille(&r, 200));
    write_named(w, "actors", actor_names, COUNTOF(actor_names), &r, 1);
    write_named(w, "families", family_names, COUNTOF(family_names), &r, 2);
    sim_jw_key(w, "malware");
    sim_jw_arr(w);
    {
        char id[37];
        uuid_from_hash(id, name_hash(mal));
        sim_jw_obj(w);
        sim_jw_kstr(w, "id", id);
        sim_jw_kstr(w, "name", mal);
        sim_jw_obj_end(w);
    }
    sim_jw_arr_end(w);
    write_named(w, "techniques", technique_names, COUNTOF(technique_names), &r, 2);
    write_named(w, "brands", brand_names, COUNTOF(brand_names), &r, 1);
    sim_jw_key(w, "campaignMembers");
    sim_jw_arr(w);
    member_ctx m = {w};
    sim_gen_campaign_members(c, now, 100, write_member, &m);
    sim_jw_arr_end(w);
    sim_jw_obj_end(w);
}

/* ---------------------------------------------------------------------- */
/* Threat summary and forensics */

void sim_threat_summary_write(sim_jw *w, const sim_threat *t)
{
    sim_rng r;
    sim_rng_init(&r, TAG_THREAT, (uint64_t)t->hour, t->idx, 7);
    sim_jw_obj(w);
    sim_jw_kstr(w, "id", t->id);
    sim_jw_key(w, "identifiedAt");
    sim_jw_time_ms(w, t->ident);
    sim_jw_kstr(w, "name", t->threat);
    sim_jw_kstr(w, "type", sim_tt_name[t->type]);
    sim_jw_kstr(w, "category", sim_cl_name[t->cls]);
    sim_jw_kstr(w, "status", sim_ts_name[t->status]);
    sim_jw_kstr(w, "detectionType", PICK(&r, detection_types));
    sim_jw_kint(w, "severityScore", (int64_t)sim_rng_below(&r, 1001));
    sim_jw_kint(w, "attackSpread", 1 + (int64_t)sim_rng_below(&r, 60));
    sim_jw_key(w, "notable");
    sim_jw_bool(w, sim_rng_permille(&r, 150));
    sim_jw_key(w, "verticallyTargeted");
    sim_jw_bool(w, sim_rng_permille(&r, 300));
    sim_jw_key(w, "geoTargeted");
    sim_jw_bool(w, sim_rng_permille(&r, 300));
    write_named(w, "actors", actor_names, COUNTOF(actor_names), &r, 1);
    write_named(w, "families", family_names, COUNTOF(family_names), &r, 2);
    write_named(w, "malware", malware_names, COUNTOF(malware_names), &r,
                t->cls == SIM_CL_MALWARE ? 1 : 0);
    write_named(w, "techniques", technique_names, COUNTOF(technique_names), &r, 2);
    write_named(w, "brands", brand_names, COUNTOF(brand_names), &r, 1);
    sim_jw_obj_end(w);
}

typedef enum { PLAT_STATIC, PLAT_WIN10, PLAT_PPS, PLAT_WIN7 } plat;

static void evidence_begin(sim_jw *w, const char *type, const char *display, const char *engine,
                           int malicious, int with_time, const char *note)
{
    sim_jw_obj(w);
    sim_jw_kstr(w, "type", type);
    sim_jw_kstr(w, "display", display);
    if (engine) {
        sim_jw_kstr(w, "engine", engine);
    }
    sim_jw_key(w, "malicious");
    sim_jw_bool(w, malicious);
    if (note) {
        sim_jw_kstr(w, "note", note);
    }
    if (with_time) {
        sim_jw_kint(w, "time", 0);
    }
    sim_jw_key(w, "what");
    sim_jw_obj(w);
}

static void evidence_end(sim_jw *w, plat p)
{
    sim_jw_obj_end(w);
    sim_jw_key(w, "platforms");
    sim_jw_arr(w);
    sim_jw_obj(w);
    switch (p) {
    case PLAT_STATIC:
        sim_jw_kstr(w, "name", "static");
        sim_jw_kstr(w, "os", "static");
        sim_jw_kstr(w, "version", "0");
        break;
    case PLAT_WIN10:
        sim_jw_kstr(w, "name", "Win10");
        sim_jw_kstr(w, "os", "win");
        sim_jw_kstr(w, "version", "win10");
        break;
    case PLAT_WIN7:
        sim_jw_kstr(w, "name", "Win7");
        sim_jw_kstr(w, "os", "win");
        sim_jw_kstr(w, "version", "win7");
        break;
    default:
        sim_jw_kstr(w, "name", "pps");
        sim_jw_kstr(w, "os", "pps");
        break;
    }
    sim_jw_obj_end(w);
    sim_jw_arr_end(w);
    sim_jw_obj_end(w);
}

void sim_forensics_report_write(sim_jw *w, const sim_threat *t, const char *scope)
{
    sim_rng r;
    char disp[400], ip[40], host[128], tmp[200];
    sim_rng_init(&r, TAG_THREAT, (uint64_t)t->hour, t->idx, 9);
    random_ip(ip, sizeof ip, &r);
    const char *dom = PICK(&r, bad_domains);
    if (t->type == SIM_TT_URL) {
        const char *p = strstr(t->threat, "://");
        p = p ? p + 3 : t->threat;
        size_t n = strcspn(p, "/?");
        snprintf(host, sizeof host, "%.*s", (int)n, p);
    } else {
        snprintf(host, sizeof host, "%s", dom);
    }
    int wt = sim_rng_permille(&r, 500);
    sim_jw_obj(w);
    sim_jw_kstr(w, "scope", scope);
    sim_jw_kstr(w, "id", t->id);
    sim_jw_kstr(w, "name", t->type == SIM_TT_ATTACHMENT ? t->filename : t->threat);
    if (strcmp(scope, "THREAT") == 0) {
        sim_jw_kstr(w, "threatStatus", sim_ts_name[t->status]);
    }
    sim_jw_key(w, "forensics");
    sim_jw_arr(w);
    if (t->type == SIM_TT_ATTACHMENT) {
        snprintf(disp, sizeof disp, "Attachment with SHA-256: %s", t->threat);
        evidence_begin(w, "attachment", disp, "av", 1, 0, disp);
        sim_jw_key(w, "blacklisted");
        if (sim_rng_permille(&r, 500)) {
            sim_jw_int(w, 1); /* observed as an integer as well as a boolean */
        } else {
            sim_jw_bool(w, 1);
        }
        sim_jw_kstr(w, "rule", "Av");
        sim_jw_kstr(w, "sha256", t->threat);
        sim_jw_kstr(w, "md5", t->md5);
        sim_jw_kint(w, "size", 20000 + sim_rng_below(&r, 400000));
        evidence_end(w, PLAT_PPS);

        evidence_begin(w, "behavior", "Executes a macro that launches PowerShell", "iee", 1, wt,
                       NULL);
        sim_jw_kstr(w, "rule", "macro_spawns_powershell");
        sim_jw_kstr(w, "path", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
        evidence_end(w, PLAT_WIN10);

        snprintf(tmp, sizeof tmp, "http://%s/payload.bin", dom);
        snprintf(disp, sizeof disp, "Dropper downloads %s", tmp);
        evidence_begin(w, "dropper", disp, "iee", 1, wt, NULL);
        sim_jw_kstr(w, "path", "C:\\Users\\user\\AppData\\Local\\Temp\\upd.exe");
        sim_jw_kstr(w, "url", tmp);
        sim_jw_kstr(w, "rule", "dropper_download");
        evidence_end(w, PLAT_WIN10);

        evidence_begin(w, "file", "File created: upd.exe", "iee", 0, wt, NULL);
        sim_jw_kstr(w, "action", "create");
        sim_jw_kstr(w, "path", "C:\\Users\\user\\AppData\\Local\\Temp\\upd.exe");
        hex_from(tmp, 32, &r);
        sim_jw_kstr(w, "md5", tmp);
        hex_from(tmp, 64, &r);
        sim_jw_kstr(w, "sha256", tmp);
        sim_jw_kint(w, "size", 100000 + sim_rng_below(&r, 900000));
        evidence_end(w, PLAT_WIN10);

        evidence_begin(w, "process", "Process created: upd.exe", "iee", 0, wt, NULL);
        sim_jw_kstr(w, "action", "create");
        sim_jw_kstr(w, "path", "C:\\Users\\user\\AppData\\Local\\Temp\\upd.exe");
        evidence_end(w, PLAT_WIN10);

        evidence_begin(w, "mutex", "Mutex created: Global\\M1x2y3", "iee", 0, wt, NULL);
        sim_jw_kstr(w, "name", "Global\\M1x2y3");
        sim_jw_kstr(w, "path", "C:\\Users\\user\\AppData\\Local\\Temp\\upd.exe");
        evidence_end(w, PLAT_WIN7);

        evidence_begin(w, "registry", "Registry run key set", "iee", 1, wt, NULL);
        sim_jw_kstr(w, "action", "set");
        sim_jw_kstr(w, "key", "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run");
        sim_jw_kstr(w, "name", "Updater");
        sim_jw_kstr(w, "value", "C:\\Users\\user\\AppData\\Local\\Temp\\upd.exe");
        evidence_end(w, PLAT_WIN10);
    } else if (t->type == SIM_TT_URL) {
        snprintf(disp, sizeof disp, "Malicious URL seen: %s", t->threat);
        evidence_begin(w, "url", disp, "static", 1, wt, NULL);
        sim_jw_kstr(w, "url", t->threat);
        sim_jw_key(w, "blacklisted");
        sim_jw_bool(w, 1);
        sim_jw_kstr(w, "ip", ip);
        sim_jw_kint(w, "httpStatus", 200);
        evidence_end(w, PLAT_STATIC);

        snprintf(disp, sizeof disp, "redirect chain for %s", t->threat);
        evidence_begin(w, "redirect_chain", disp, "static", 1, wt, NULL);
        sim_jw_kstr(w, "url", t->threat);
        evidence_end(w, PLAT_STATIC);

        evidence_begin(w, "screenshot", "Screenshot", "static", 1, wt, "Screenshot");
        snprintf(tmp, sizeof tmp, "https://screenshots.example.invalid/%.16s.png", t->id);
        sim_jw_kstr(w, "url", tmp);
        evidence_end(w, PLAT_STATIC);

        evidence_begin(w, "cookie", "Cookie set by the landing page", "iee", 0, wt, NULL);
        sim_jw_kstr(w, "action", "set");
        sim_jw_kstr(w, "domain", host);
        sim_jw_kstr(w, "key", "session");
        sim_jw_kstr(w, "value", "a1b2c3");
        evidence_end(w, PLAT_WIN10);

        evidence_begin(w, "rule", "Phishing kit signature matched", "static", 1, wt, NULL);
        sim_jw_kstr(w, "rule", "phishkit_office365");
        evidence_end(w, PLAT_STATIC);
    } else {
        snprintf(disp, sizeof disp, "Impostor sender %s", t->threat);
        evidence_begin(w, "behavior", disp, "static", 1, wt, NULL);
        sim_jw_kstr(w, "rule", t->cls == SIM_CL_TOAD ? "toad_callback_number" : "impostor_bec");
        sim_jw_kstr(w, "note", "Sender domain is a lookalike of the recipient's domain");
        evidence_end(w, PLAT_STATIC);

        evidence_begin(w, "rule", "Business email compromise rule", "static", 1, wt, NULL);
        sim_jw_kstr(w, "rule", "bec_wire_transfer");
        evidence_end(w, PLAT_STATIC);
    }
    /* Network evidence common to URL and attachment threats. */
    if (t->type != SIM_TT_MESSAGETEXT) {
        snprintf(disp, sizeof disp, "DNS lookup of %s", host);
        evidence_begin(w, "dns", disp, "iee", 0, wt, NULL);
        sim_jw_kstr(w, "host", host);
        sim_jw_key(w, "ips");
        sim_jw_arr(w);
        sim_jw_str(w, ip);
        sim_jw_arr_end(w);
        sim_jw_key(w, "cnames");
        sim_jw_arr(w);
        sim_jw_arr_end(w);
        sim_jw_key(w, "nameservers");
        sim_jw_arr(w);
        sim_jw_str(w, "ns1.bulletproof.invalid");
        sim_jw_arr_end(w);
        sim_jw_key(w, "nameserversList");
        sim_jw_arr(w);
        sim_jw_str(w, "ns1.bulletproof.invalid");
        sim_jw_str(w, "ns2.bulletproof.invalid");
        sim_jw_arr_end(w);
        evidence_end(w, PLAT_WIN10);

        snprintf(disp, sizeof disp, "Connection to %s:443", ip);
        evidence_begin(w, "network", disp, "iee", 0, wt, NULL);
        sim_jw_kstr(w, "action", "connect");
        sim_jw_kstr(w, "ip", ip);
        sim_jw_kint(w, "port", 443);
        sim_jw_kstr(w, "type", "tcp");
        evidence_end(w, PLAT_WIN10);

        evidence_begin(w, "ids", "ET MALWARE Possible C2 beacon", "iee", 1, wt, NULL);
        sim_jw_kstr(w, "name", "ET MALWARE Possible C2 beacon");
        sim_jw_kint(w, "signatureId", 2000000 + sim_rng_below(&r, 100000));
        evidence_end(w, PLAT_WIN10);
    }
    sim_jw_arr_end(w);
    sim_jw_obj_end(w);
}
