/*
 * URL Defense decoder tests, table-driven: {input, status, output bytes,
 * version, flags}. Expected values come from reference/urldefense.md (the
 * reference grammar of section 3, the byte-counted reading of section 4, the
 * edge cases of section 5 and pptap's decisions in section D), never from
 * the decoder's own output. Then the buffer contract (PPTAP_EBUFS at every
 * size below the decoded length, success at exactly that length) and large
 * inputs that would expose quadratic work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pptap/urldefense.h>

#include "internal.h"

/* A string literal and its length (embedded NULs allowed). */
#define S(x) x, sizeof(x) - 1

/* Flags not checked (error cases). */
#define F_ANY (-1)
#define NONREF PPTAP_URLDEF_F_NONREF_HOST
#define REPAIRED PPTAP_URLDEF_F_SLASH_REPAIRED
#define BADUTF8 PPTAP_URLDEF_F_INVALID_UTF8

#define V1 "https://urldefense.proofpoint.com/v1/url?u="
#define V1T "&k=oIvRg1%2BdGAgOoM1BIlLLqw%3D%3D%0A&r=IKM5u8%3D%0A&m=Ww6i%3D%0A&s=d3583cfa"
#define V2 "https://urldefense.proofpoint.com/v2/url?u="
#define V2T "&d=DwMFaQ&c=euGZstcaTDllvimEN8b7jXrwqOf-v5A_CdpgnVfiiMM&r=abc&m=def&s=ghi&e="
#define V3 "https://urldefense.com/v3/__"
#define SIG "!!LIr3w8kk_Xxm!6BNqFLJQZ0123456789abcdefghijklmnopqrstuvwxyzABCD$"

/* Lower-cased v3 link parts (D6): T after the first '!' with 31 or 32
 * bytes that are not '!'. */
#define LCU "https://urldefense.com/v3/__https://example.com/a*b__;"
#define T31 "!!abcdefghijklmnopqrstuvwxyz-_012$"
#define T32 "!!abcdefghijklmnopqrstuvwxyz-_0123$"

#define FFFD "\xEF\xBF\xBD"

typedef struct {
    const char *in;
    size_t inlen;
    pptap_urldef_status st;
    const char *out; /* when st == OK */
    size_t outlen;
    int version;
    int flags; /* F_ANY: not checked */
} dcase;

#define OK(in, out, ver, fl)                                                                       \
    {                                                                                              \
        S(in), PPTAP_URLDEF_OK, S(out), ver, fl                                                    \
    }
#define ERR(in, status, ver)                                                                       \
    {                                                                                              \
        S(in), status, NULL, 0, ver, F_ANY                                                         \
    }

static const dcase cases[] = {
    /* ---- The three versions, real shapes ---- */
    OK(V1 "http://www.bouncycastle.org/" V1T, "http://www.bouncycastle.org/", 1, 0),
    OK(V2 "http-3A__links.mkt3337.com_ctt-3Fkn-3D3-26ms-3DMzQ3OTg3MDQS1-26r-3DMzkxNjgwNTQ2NDYS1-"
          "26b-3D0-26j-3DNjU5OTY2NDE1S0-26mt-3D1-26rt-3D0" V2T,
       "http://links.mkt3337.com/ctt?kn=3&ms=MzQ3OTg3MDQS1&r=MzkxNjgwNTQ2NDYS1&b=0&j=NjU5OTY2NDE1S0"
       "&mt=1&rt=0",
       2, 0),
    OK("https://urldefense.com/v3/__https://google.com:443/search?q=a*test&gs=ps__;Kw!-"
       "612Flbf0JvQ3kNJkRi5Jg!Ue6tQudNKaShHg93trcdjqDP8se2ySE65jyCIe2K1D_uNjZ1Lnf6YLQERujngZv9UWf66"
       "ujQIQ$",
       "https://google.com:443/search?q=a+test&gs=ps", 3, 0),
    OK("https://urldefense.com/v3/__https://contact.framasoft.org/*newsletter__;Iw!!LIr3w8kk_Xxm!"
       "6BNqFLJQZ$",
       "https://contact.framasoft.org/#newsletter", 3, 0),
    OK("https://urldefense.com/v3/__http://www.nytimes.com__;!!HXCxUKc!gS3RJyo$",
       "http://www.nytimes.com", 3, 0),
    OK("https://urldefense.us/v2/url?u=https-3A__github.com_jungwonkim_amd-2Dtoy&d=DwMF-g&c=x",
       "https://github.com/jungwonkim/amd-toy", 2, NONREF),
    OK("https://urldefense.us/v3/__https://pds.nasa.gov/JSON__;!!PvBDto6Hs4WbVuu7!abc$",
       "https://pds.nasa.gov/JSON", 3, NONREF),
    OK("https://urldefense.com/v2/url?u=http-3A__a.com&d=DwMFaQ", "http://a.com", 2, 0),
    OK("https://urldefense.proofpoint.com/v3/__http://a.com__;!!a!b$", "http://a.com", 3, 0),

    /* ---- Hosts: scheme and host case-insensitive, flagged when outside
     * the reference's pattern (the full host x scheme grid is in
     * test_hosts) ---- */
    OK("HTTPS://URLDEFENSE.COM/v3/__http://a.com__;!!ABC!DEF$", "http://a.com", 3, NONREF),
    OK("https://URLDefense.com/v3/__http://a.com__;!!ABC!DEF$", "http://a.com", 3, NONREF),
    OK("Https://urldefense.com/v3/__http://a.com__;!!ABC!DEF$", "http://a.com", 3, NONREF),
    OK("https://urldefense.COM/v3/__http://a.com__;!!ABC!DEF$", "http://a.com", 3, NONREF),
    OK("https://urldefense.Proofpoint.com/v2/url?u=http-3A__a.com&d=x", "http://a.com", 2, NONREF),
    OK("HTTP://URLDEFENSE.PROOFPOINT.US/v1/url?u=http://a.com&k=x", "http://a.com", 1, NONREF),
    OK("hTtP://urldefense.US/v3/__http://a.com__;!!ABC!DEF$", "http://a.com", 3, NONREF),
    /* Unanchored: leading junk is ignored */
    OK("see <https://urldefense.com/v3/__http://a.com__;!!ABC!DEF$>", "http://a.com", 3, 0),
    OK("xhttps://urldefense.com/v3/__http://a.com__;!!ABC!DEF$", "http://a.com", 3, 0),
    OK("https://urldefense.com/x https://urldefense.com/v3/__http://a.com__;!!A!B$", "http://a.com",
       3, 0),

    /* ---- not-urldefense ---- */
    ERR("", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("hello", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://example.com/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https:/urldefense.com/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https//urldefense.com/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("ftp://urldefense.com/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("hxxps://urldefense.com/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://www.urldefense.com/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.net/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.co/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.proofpoint/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefensecom/v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.com/V3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.com/v33/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.com/vx/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.com//v3/__http://a.com__;!!A!B$", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.com/v3", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.com/", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    /* SafeLinks around v3: the inner "https%3A//" is encoded */
    ERR("https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Furldefense.com%2Fv3%2F__"
        "https%3A%2F%2Fa.com__%3B%21%21abc%24&data=05",
        PPTAP_URLDEF_NOT_URLDEFENSE, 0),

    /* ---- unknown-version ---- */
    ERR("https://urldefense.com/v4/__http://a.com__;!!A!B$", PPTAP_URLDEF_UNKNOWN_VERSION, 0),
    ERR("https://urldefense.com/v0/__http://a.com__;!!A!B$", PPTAP_URLDEF_UNKNOWN_VERSION, 0),
    ERR("https://urldefense.proofpoint.com/v9/url?u=http-3A__a.com&d=x",
        PPTAP_URLDEF_UNKNOWN_VERSION, 0),
    ERR("http://urldefense.us/v5/", PPTAP_URLDEF_UNKNOWN_VERSION, 0),

    /* ---- v1 ---- */
    OK(V1 "http://a.com/&k=", "http://a.com/", 1, 0),
    /* u=&k=x&k=y: the URL takes at least one character */
    OK(V1 "&k=x&k=y", "&k=x", 1, 0),
    OK(V1 "x&k=", "x", 1, 0),
    ERR(V1 "&k=", PPTAP_URLDEF_V1_NO_MATCH, 1),
    ERR(V1 "http://a.com/", PPTAP_URLDEF_V1_NO_MATCH, 1),
    ERR(V1 "http://a.com/&d=x&c=y", PPTAP_URLDEF_V1_NO_MATCH, 1),
    ERR("https://urldefense.proofpoint.com/v1/url?k=x", PPTAP_URLDEF_V1_NO_MATCH, 1),
    /* Proofpoint's documentation sample, copied out of HTML */
    ERR("https://urldefense.proofpoint.com/v1/url?u=http://www.bouncycastle.org/"
        "&amp;k=oIvRg1%2BdGAgOoM1BIlLLqw%3D%3D%0A&amp;r=IKM5u8%3D%0A&amp;m=Ww6i%3D%0A&amp;s="
        "d3583cfa",
        PPTAP_URLDEF_V1_NO_MATCH, 1),
    /* '.' does not match LF; CR is fine */
    ERR(V1 "http://a\n.com/&k=x", PPTAP_URLDEF_V1_NO_MATCH, 1),
    OK(V1 "a\rb&k=x", "a\rb", 1, 0),
    OK(V1 "\nu=b&k=x", "b", 1, 0),
    /* Percent-decoding: raw bytes, invalid escapes kept, '+' kept, '-' and
     * '_' literal in v1 */
    OK(V1 "http://a.com/%7Euser/%2B-_%zz%4%&k=x", "http://a.com/~user/+-_%zz%4%", 1, 0),
    OK(V1 "a+b&k=x", "a+b", 1, 0),
    OK(V1 "%C3%A9&k=x", "\xC3\xA9", 1, 0),
    OK(V1 "%e9&k=x", "\xE9", 1, BADUTF8),
    OK(V1 "%00%0a&k=x", "\0\n", 1, 0),
    /* HTML unescape after percent-decoding, once */
    OK(V1 "http://a.com/?a=1&amp;b=2&k=x", "http://a.com/?a=1&b=2", 1, 0),
    OK(V1 "a%26amp%3Bb&k=x", "a&b", 1, 0),
    OK(V1 "%26%2365%3B&k=x", "A", 1, 0),
    OK(V1 "&#37;41&k=x", "%41", 1, 0),
    OK(V1 "&#xD800;&k=x", FFFD, 1, 0),
    OK(V1 "&region=us&k=x", "&region=us", 1, 0),

    /* ---- v2 ---- */
    /* u=&d=x&c=y decodes to "&d=x" */
    OK("https://urldefense.proofpoint.com/v2/url?u=&d=x&c=y", "&d=x", 2, 0),
    OK(V2 "&c=x&d=y", "&c=x", 2, 0),
    OK(V2 "a&c=b&d=c", "a", 2, 0),
    OK(V2 "a&d=b&c=c", "a", 2, 0),
    /* A later u= (after c=x&) still matches */
    OK("https://urldefense.proofpoint.com/v2/url?c=x&u=http-3A__a.com&d=y", "http://a.com", 2, 0),
    /* The first u= in the line wins, even before the wrapper */
    OK("menu=x&d=y https://urldefense.proofpoint.com/v2/url?u=http-3A__a.com&d=z", "x", 2, 0),
    /* A u= without &d=/&c= before the LF is passed over */
    OK(V2 "abc\nu=http-3A__b.com&d=x", "http://b.com", 2, 0),
    OK("x u=\n" V2 "http-3A__a.com&d=x", "http://a.com", 2, 0),
    ERR(V2 "http-3A__a.com", PPTAP_URLDEF_V2_NO_MATCH, 2),
    ERR(V2 "http-3A__a.com&k=x&e=", PPTAP_URLDEF_V2_NO_MATCH, 2),
    ERR(V2 "&d=x", PPTAP_URLDEF_V2_NO_MATCH, 2),
    ERR(V2 "a\n&d=x", PPTAP_URLDEF_V2_NO_MATCH, 2),
    ERR(V2 "a&amp;d=x&amp;c=y", PPTAP_URLDEF_V2_NO_MATCH, 2),
    /* Translation and one-pass percent-decoding */
    OK(V2 "-2541&d=x", "%41", 2, 0),
    OK(V2 "a-2Db-5Fc_d&d=x", "a-b_c/d", 2, 0),
    OK(V2 "-zz-4-&d=x", "%zz%4%", 2, 0),
    OK(V2 "%41-41&d=x", "AA", 2, 0),
    OK(V2 "a+b.c&d=x", "a+b.c", 2, 0),
    OK(V2 "http-3a__a.com&d=x", "http://a.com", 2, 0),
    OK(V2 "a-00b-0Ac&d=x", "a\0b\nc", 2, 0),
    OK(V2 "-E9-C3-A9-C3&d=x", "\xE9\xC3\xA9\xC3", 2, BADUTF8),
    OK(V2 "-ED-A0-80&d=x", "\xED\xA0\x80", 2, BADUTF8),
    OK(V2 "-F0-9F-98-80&d=x", "\xF0\x9F\x98\x80", 2, 0),
    /* Character references (D3) */
    OK(V2 "-26copy-3D2&d=x", "&copy=2", 2, 0),
    OK(V2 "a-3Fb-3D1-26region-3Dus&d=x", "a?b=1&region=us", 2, 0),
    OK(V2 "a-3Fx-3D1-26amp-3By-3D2&d=x", "a?x=1&y=2", 2, 0),
    OK(V2 "-26copy&d=x", "\xC2\xA9", 2, 0),
    OK(V2 "-26copy-2F&d=x", "\xC2\xA9/", 2, 0),
    OK(V2 "-26-2365-3B&d=x", "A", 2, 0),
    OK(V2 "-26-23x41&d=x", "A", 2, 0),
    OK(V2 "-26nGt-3B&d=x", "\xE2\x89\xAB\xE2\x83\x92", 2, 0),
    OK(V2 "-26nLt-3B-26nGt-3B&d=x", "\xE2\x89\xAA\xE2\x83\x92\xE2\x89\xAB\xE2\x83\x92", 2, 0),
    OK(V2 "-26-23x80-3B&d=x", "\xE2\x82\xAC", 2, 0),
    OK(V2 "-26-23x81-3B&d=x", "\xC2\x81", 2, 0),
    OK(V2 "-26-23xD800-3B&d=x", FFFD, 2, 0),
    OK(V2 "-26-230-3B&d=x", FFFD, 2, 0),
    OK(V2 "-26-23x110000-3B&d=x", FFFD, 2, 0),
    OK(V2 "-26-231-3B&d=x", "\x01", 2, 0),
    OK(V2 "-26-23x3A&d=x", ":", 2, 0),
    OK(V2 "-26-23-3B&d=x", "&#;", 2, 0),
    OK(V2 "-26amp-26lt-26gt-3D&d=x", "&<&gt=", 2, 0),
    OK(V2 "-26nGt&d=x", "&nGt", 2, 0),
    /* A lower-cased v2 link is never reported as lowercased */
    OK("https://urldefense.proofpoint.com/v2/url?u=http-3a__a.com&d=dwmfaq&c="
       "abcdefghijklmnopqrstuvwxyz0123456789abcdefg&r=abcdefghijklmnopqrstuvwxyz0123456789abcdefg&"
       "e=",
       "http://a.com", 2, 0),

    OK("https://urldefense.proofpoint.com/v1/url?u=http://a.com/x&k=abcdefghijklmnopqrstuvwxyz0123"
       "456789abc&r=abcdefghijklmnopqrstuvwxyz0123456789abc&s=d3",
       "http://a.com/x", 1, 0),

    /* ---- v3: layout (§3.4) ---- */
    ERR(V3 "__;Iw!!a!b$", PPTAP_URLDEF_V3_NO_MATCH, 3), /* v3/____;Iw! */
    OK("https://urldefense.com/v3/_____;!", "_", 3, 0),
    ERR(V3 "https://x.com/*__;Iw$", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR(V3 "https://x.com/*__;Iw", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR(V3 "https://x.com/", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR(V3 "https://x.com/__", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR("https://urldefense.com/v3/__", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR("https://urldefense.com/v3/__a", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR("https://urldefense.com/v3/__a_", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR("https://urldefense.com/v3/__a__", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR("https://urldefense.com/v3/__a__;", PPTAP_URLDEF_V3_NO_MATCH, 3),
    OK(V3 "a__;!x v3/__", "a", 3, 0),
    ERR(V2, PPTAP_URLDEF_V2_NO_MATCH, 2),
    ERR(V2 "a", PPTAP_URLDEF_V2_NO_MATCH, 2),
    ERR(V2 "a&", PPTAP_URLDEF_V2_NO_MATCH, 2),
    ERR(V2 "a&d", PPTAP_URLDEF_V2_NO_MATCH, 2),
    OK(V2 "a&d=", "a", 2, 0),
    ERR(V1 "a&k", PPTAP_URLDEF_V1_NO_MATCH, 1),
    ERR("https://urldefense.com/v3/", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR("https://urldefense.com/v3/_", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR("https://urldefense.com/v", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.us", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https:", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR(":", PPTAP_URLDEF_NOT_URLDEFENSE, 0),
    ERR("https://urldefense.com/v3/x__a__;!", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR(V3 "a\nb__;!", PPTAP_URLDEF_V3_NO_MATCH, 3),
    ERR(V3 "ab__;Iw\n!", PPTAP_URLDEF_V3_NO_MATCH, 3),
    OK(V3 "ab__;\n" V3 "cd__;!", "cd", 3, 0),
    OK(V3 "a__b__;!", "a__b", 3, 0),
    OK(V3 "a_b__;!", "a_b", 3, 0),
    OK(V3 "a___;!", "a_", 3, 0),
    OK(V3 "a__;b__;!", "a", 3, 0),
    OK(V3 "a!b$c__;!", "a!b$c", 3, 0),
    /* The v3 pattern is searched in the whole line */
    OK("v3/__a__;! https://urldefense.com/v3/__b__;!", "a", 3, 0),
    /* No unescape in v3 */
    OK(V3 "https://x.com/?a=1&amp;b=2__;" SIG, "https://x.com/?a=1&amp;b=2", 3, 0),
    /* Percent-decoding before substitution */
    OK(V3 "x%2Ay__;Iw" SIG, "x#y", 3, 0),
    OK(V3 "x%2ay__;Iw" SIG, "x#y", 3, 0),
    OK(V3 "x%2A%2A%41__;IyM" SIG, "x##", 3, 0),
    OK(V3 "x%252A__;" SIG, "x%2A", 3, 0),
    OK(V3 "x%y%4%zz%__;" SIG, "x%y%4%zz%", 3, 0),
    OK(V3 "%41%42__;" SIG, "AB", 3, 0),
    OK(V3 "a+b__;" SIG, "a+b", 3, 0),
    /* LF from %0A cannot be a run code */
    OK(V3 "x**%0A__;IyM" SIG, "x##\n", 3, 0),
    OK(V3 "x%0A**A__;IyM" SIG, "x\n##", 3, 0),
    OK(V3 "x%0A*__;Iw" SIG, "x\n#", 3, 0),

    /* ---- v3: tokens, byte-counted (D1, §5) ---- */
    OK(V3 "https://x.com/*a*__;w6k" SIG,
       "https://x.com/\xC3"
       "a\xA9",
       3, BADUTF8),
    OK(V3 "https://x.com/**Aa*.html__;w60j" SIG,
       "https://x.com/\xC3\xAD"
       "a#.html",
       3, 0),
    OK(V3 "https://x.com/**A__;w6k" SIG, "https://x.com/\xC3\xA9", 3, 0),
    OK(V3 "https://x.com/*__;_w" SIG, "https://x.com/\xFF", 3, BADUTF8),
    OK(V3 "https://x/**E.html__;5L2g5aW9" SIG, "https://x/\xE4\xBD\xA0\xE5\xA5\xBD.html", 3, 0),
    OK(V3 "https://www.linkedin.com/in/pastora-mart**Anez__;w60" SIG,
       "https://www.linkedin.com/in/pastora-mart\xC3\xAD"
       "nez",
       3, 0),
    OK(V3 "x*y*z*w*__;8J-YgA" SIG, "x\xF0y\x9Fz\x98w\x80", 3, BADUTF8),
    OK(V3 "x**C__;8J-YgA" SIG, "x\xF0\x9F\x98\x80", 3, 0),
    /* a** at the end: two single tokens */
    OK(V3 "a**__;IyM" SIG, "a##", 3, 0),
    OK(V3 "a*__;Iw" SIG, "a#", 3, 0),
    /* Runs silently short at the end */
    OK(V3 "x**C__;IyM" SIG, "x##", 3, 0),
    OK(V3 "x**C**A__;IyM" SIG, "x##", 3, 0),
    OK(V3 "x**A__;" SIG, "x", 3, 0),
    OK("https://urldefense.com/v3/__**A__;!", "", 3, 0),
    /* Unused replacement bytes are ignored */
    OK(V3 "x__;IyM" SIG, "x", 3, 0),
    OK(V3 "x*__;IyM" SIG, "x#", 3, 0),
    /* token-overrun */
    ERR(V3 "x*__;" SIG, PPTAP_URLDEF_TOKEN_OVERRUN, 3),
    ERR(V3 "x*y*__;Iw" SIG, PPTAP_URLDEF_TOKEN_OVERRUN, 3),
    ERR(V3 "x**C*__;IyM" SIG, PPTAP_URLDEF_TOKEN_OVERRUN, 3),
    ERR(V3 "x**A*__;IyM=IyM" SIG, PPTAP_URLDEF_TOKEN_OVERRUN, 3),
    ERR(V3 "x*y*z**!__;Iw" SIG, PPTAP_URLDEF_TOKEN_OVERRUN, 3),
    /* bad-run-code */
    ERR(V3 "x**!__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x***__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x***A__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x**\0__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x**\xC3\xA9__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x**.__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x**=__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x**%2A__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x**!*__;" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),
    ERR(V3 "x**!__;" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 3),

    /* ---- v3: base64 (§3.5) ---- */
    OK(V3 "x*__;Kw==Iw" SIG, "x+", 3, 0),
    OK(V3 "x**A__;IyM=j" SIG, "x##", 3, 0),
    OK(V3 "x**B__;Kw=Iw" SIG,
       "x+\x02"
       "0",
       3, 0),
    OK(V3 "x*__;Iw$!!a!b", "x#", 3, 0),
    OK(V3 "x*__;Iw==Iw!", "x#", 3, 0),
    OK(V3 "x*__;I.w" SIG, "x#", 3, 0),
    OK(V3 "x*__;I w" SIG, "x#", 3, 0),
    OK(V3 "x*__;$I$w$" SIG, "x#", 3, 0),
    OK(V3 "x*__;=I=w" SIG, "x#", 3, 0),
    OK(V3 "x*__;Iw==$$$I" SIG, "x#", 3, 0),
    OK(V3 "x*__;-w" SIG, "x\xFB", 3, BADUTF8),
    OK(V3 "x*__;+w" SIG, "x\xFB", 3, BADUTF8),
    OK(V3 "x*__;_w" SIG, "x\xFF", 3, BADUTF8),
    OK(V3 "x*__;/w" SIG, "x\xFF", 3, BADUTF8),
    OK(V3 "x**A__;Kio" SIG, "x**", 3, 0),
    ERR(V3 "x*__;I!", PPTAP_URLDEF_BASE64_INVALID, 3),
    ERR(V3 "x*__;I" SIG, PPTAP_URLDEF_BASE64_INVALID, 3),
    ERR(V3 "x*__;IwAAA" SIG, PPTAP_URLDEF_BASE64_INVALID, 3),
    ERR(V3 "x*__;I$$$" SIG, PPTAP_URLDEF_BASE64_INVALID, 3),
    ERR(V3 "x__;IwAAA" SIG, PPTAP_URLDEF_BASE64_INVALID, 3),
    /* base64 errors come before token errors */
    ERR(V3 "x**!__;I" SIG, PPTAP_URLDEF_BASE64_INVALID, 3),
    ERR(V3 "x*y*z*__;I" SIG, PPTAP_URLDEF_BASE64_INVALID, 3),
    ERR(V3 "x*__;I\xC3\xA9w" SIG, PPTAP_URLDEF_BASE64_NONASCII, 3),
    ERR(V3 "x*__;\x80" SIG, PPTAP_URLDEF_BASE64_NONASCII, 3),
    ERR(V3 "x__;Iw\xFF" SIG, PPTAP_URLDEF_BASE64_NONASCII, 3),
    ERR(V3 "x*__;I\xC3" SIG, PPTAP_URLDEF_BASE64_NONASCII, 3),
    ERR(V3 "x**!__;\xC3\xA9" SIG, PPTAP_URLDEF_BASE64_NONASCII, 3),

    /* ---- v3: the single-slash repair (D5) ---- */
    OK(V3 "https:/x__;" SIG, "https:/x", 3, 0),
    OK(V3 "https:/xy__;" SIG, "https://xy", 3, REPAIRED),
    OK(V3 "https:///xy__;" SIG, "https:///xy", 3, 0),
    OK(V3 "https://xy__;" SIG, "https://xy", 3, 0),
    OK(V3 "HTTPS:/xy__;" SIG, "HTTPS://xy", 3, REPAIRED),
    OK(V3 "HtTp:/xy__;" SIG, "HtTp://xy", 3, REPAIRED),
    OK(V3 "a:/xy__;" SIG, "a://xy", 3, REPAIRED),
    OK(V3 "x+y.z-1:/ab__;" SIG, "x+y.z-1://ab", 3, REPAIRED),
    OK(V3 "mailto:/ab__;" SIG, "mailto://ab", 3, REPAIRED),
    OK(V3 ":/xy__;" SIG, ":/xy", 3, 0),
    OK(V3 "ht tp:/xy__;" SIG, "ht tp:/xy", 3, 0),
    OK(V3 "ht_tp:/xy__;" SIG, "ht_tp:/xy", 3, 0),
    OK(V3 "https:/x*__;Iw" SIG, "https://x#", 3, REPAIRED),
    OK(V3 "https:/%2Fx__;" SIG, "https:///x", 3, REPAIRED),
    OK(V3 "https:/*__;Lw" SIG, "https://", 3, 0),
    OK(V3 "https:/*x__;Lw" SIG, "https:///x", 3, REPAIRED),
    OK(V3 "https:/host__;" SIG, "https://host", 3, REPAIRED),
    OK(V3 "https:/a.com/b__;" SIG, "https://a.com/b", 3, REPAIRED),
    OK(V3 "https:/\xC3\xA9x__;" SIG, "https://\xC3\xA9x", 3, REPAIRED),
    /* "[^/].+" is two characters: one two-byte character is not enough */
    OK(V3 "https:/\xC3\xA9__;" SIG, "https:/\xC3\xA9", 3, 0),
    OK(V3 "https:/\xF0\x9F\x98\x80__;" SIG, "https:/\xF0\x9F\x98\x80", 3, 0),
    /* Only ASCII letters: 'ſ' (U+017F) is not 's' */
    OK(V3 "http\xC5\xBF:/x.com__;" SIG, "http\xC5\xBF:/x.com", 3, 0),

    /* ---- lowercased (D6) ---- */
    OK(LCU "iw" T31,
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    ERR(LCU "iw" T32, PPTAP_URLDEF_LOWERCASED, 3),
    ERR(LCU "iw!!abcdefghijklmnop!qrstuvwxyz-_0123$", PPTAP_URLDEF_LOWERCASED, 3),
    ERR(LCU "iw!!!!!!abcdefghijklmnop!!qrstuvwxyz-_0123", PPTAP_URLDEF_LOWERCASED, 3),
    OK(LCU "iw!!abcdefghijklmnop!!qrstuvwxyz-_012$",
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    OK(LCU "iw!!abcdefghijklmnop$qrstuvwxyz-_0123",
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    OK(LCU "iw!!abcdefghijklmnop.qrstuvwxyz-_0123",
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    OK(LCU "iw!!abcdefghijklmnopqrstuvwxyz-_0123X$",
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    OK(LCU "iw!!Xabcdefghijklmnopqrstuvwxyz-_0123",
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    ERR(LCU "iw!!abcdefghijklmnopqrstuvwxyz-_0123$X", PPTAP_URLDEF_LOWERCASED, 3),
    ERR(LCU "iw!abcdefghijklmnopqrstuvwxyz-_0123", PPTAP_URLDEF_LOWERCASED, 3),
    /* An upper-case letter in U */
    OK("https://urldefense.com/v3/__https://example.com/A*b__;iw" T32,
       "https://example.com/A\x8B"
       "b",
       3, BADUTF8),
    OK("https://urldefense.com/v3/__https://example.com/a%2Ab__;iw" T32,
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    ERR("https://urldefense.com/v3/__https://example.com/a%2ab__;iw" T32, PPTAP_URLDEF_LOWERCASED,
        3),
    /* The host is not part of U */
    ERR("HTTPS://URLDEFENSE.COM/v3/__https://example.com/a*b__;iw" T32, PPTAP_URLDEF_LOWERCASED, 3),
    /* E: empty, no letter, an upper-case letter, other bytes */
    OK("https://urldefense.com/v3/__https://example.com/ab__;" T32, "https://example.com/ab", 3, 0),
    OK(LCU "00" T32,
       "https://example.com/a\xD3"
       "b",
       3, BADUTF8),
    OK(LCU "-_" T32,
       "https://example.com/a\xFB"
       "b",
       3, BADUTF8),
    OK(LCU "iW" T32,
       "https://example.com/a\x89"
       "b",
       3, BADUTF8),
    OK(LCU "i$w" T32,
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    OK(LCU "i+w" T32,
       "https://example.com/a\x8B"
       "b",
       3, BADUTF8),
    ERR(LCU "a0" T32, PPTAP_URLDEF_LOWERCASED, 3),
    ERR(LCU "i-_w" T32, PPTAP_URLDEF_LOWERCASED, 3),
    /* Whatever else is wrong */
    ERR(LCU "i" T32, PPTAP_URLDEF_LOWERCASED, 3),
    ERR(LCU "i" T31, PPTAP_URLDEF_BASE64_INVALID, 3),
    ERR("https://urldefense.com/v3/__https://example.com/a**!b__;iw" T32, PPTAP_URLDEF_LOWERCASED,
        3),
    ERR("https://urldefense.com/v3/__https://example.com/a**!b__;iw" T31, PPTAP_URLDEF_BAD_RUN_CODE,
        3),
    ERR("https://urldefense.com/v3/__https://example.com/a*b*c__;iw" T32, PPTAP_URLDEF_LOWERCASED,
        3),
    ERR("https://urldefense.com/v3/__https://example.com/a*b*c__;iw" T31,
        PPTAP_URLDEF_TOKEN_OVERRUN, 3),
    ERR("https://urldefense.com/v3/__https://example.com/ab__;iw" T32, PPTAP_URLDEF_LOWERCASED, 3),
    ERR("https://urldefense.com/v3/__http://a.com/x*y__;iw!!abcdefg!"
        "hijklmnopqrstuvwxyz0123456789-_abc$",
        PPTAP_URLDEF_LOWERCASED, 3),

    /* ---- Several links on one line, nesting ---- */
    OK(V3 "http://a.com__;" SIG " " V3 "http://b.com__;" SIG, "http://a.com", 3, 0),
    OK(V2 "http-3A__a.com" V2T " " V3 "http://b.com__;" SIG, "http://a.com", 2, 0),
    OK(V3 "http://b.com__;" SIG " " V2 "http-3A__a.com" V2T, "http://b.com", 3, 0),
    OK(V3 "https://urldefense.proofpoint.com/v2/url?u=http-3A__a.com&d=DwMFaQ&c=x__;" SIG,
       "https://urldefense.proofpoint.com/v2/url?u=http-3A__a.com&d=DwMFaQ&c=x", 3, 0),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static int hexdig(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static const char *show(const char *s, size_t n, char *buf, size_t bufsz)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < bufsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '\\') {
            buf[o++] = (char)c;
        } else {
            o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02X", c);
        }
    }
    buf[o < bufsz ? o : bufsz - 1] = '\0';
    return buf;
}

/* 1 when s[0..n) holds a byte <= 0x20 or 0x7F (PPTAP_URLDEF_F_CONTROL). */
static int has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7F) {
            return 1;
        }
    }
    return 0;
}

/* Decodes into an exactly sized heap buffer and checks one case; returns 1
 * (after printing the difference) when it fails. */
static int decode_fails(const char *in, size_t inlen, pptap_urldef_status st, const char *out,
                        size_t outlen, int version, int flags, const char *what)
{
    size_t cap = PPTAP_URLDEF_DECODE_MAX(inlen);
    char *buf = malloc(cap);
    assert_non_null(buf);
    /* The input too, so that a read past its end is caught. */
    char *copy = malloc(inlen ? inlen : 1);
    assert_non_null(copy);
    memcpy(copy, in, inlen);
    pptap_urldef_result res;
    memset(&res, 0xA5, sizeof(res));
    int rc = pptap_urldef_decode(&res, buf, cap, copy, inlen);
    free(copy);
    /* PPTAP_URLDEF_F_CONTROL follows from the expected bytes. */
    if (flags != F_ANY && st == PPTAP_URLDEF_OK && has_control(out, outlen)) {
        flags |= PPTAP_URLDEF_F_CONTROL;
    }
    int bad = rc != (st == PPTAP_URLDEF_OK ? 0 : PPTAP_EDECODE) || res.status != st ||
              res.version != version || (flags != F_ANY && (int)res.flags != flags) ||
              (st == PPTAP_URLDEF_OK && (res.len != outlen || memcmp(buf, out, outlen) != 0));
    if (bad) {
        char b1[512], b2[512], b3[512];
        print_error("%s: input \"%s\"\n  rc %d status %s version %d flags %u len %zu out \"%s\"\n"
                    "  expected status %s version %d flags %d out \"%s\"\n",
                    what, show(in, inlen, b1, sizeof(b1)), rc, pptap_urldef_status_code(res.status),
                    res.version, res.flags, res.len,
                    rc == 0 ? show(buf, res.len, b2, sizeof(b2)) : "", pptap_urldef_status_code(st),
                    version, flags, out ? show(out, outlen, b3, sizeof(b3)) : "");
    }
    free(buf);
    return bad;
}

static void check_decode(const char *in, size_t inlen, pptap_urldef_status st, const char *out,
                         size_t outlen, int version, int flags, const char *what)
{
    assert_false(decode_fails(in, inlen, st, out, outlen, version, flags, what));
}

static void test_table(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < NCASES; i++) {
        const dcase *c = &cases[i];
        char what[32];
        snprintf(what, sizeof(what), "case %zu", i);
        failed +=
            decode_fails(c->in, c->inlen, c->st, c->out, c->outlen, c->version, c->flags, what);
    }
    print_message("%zu decoder cases, %d failed\n", NCASES, failed);
    assert_int_equal(failed, 0);
}

/* Every host over http and https, every version; only https on the two
 * .com hosts, all lower case, is the reference's pattern. */
static void test_hosts(void **state)
{
    (void)state;
    static const char *const hosts[] = {"urldefense.proofpoint.com", "urldefense.com",
                                        "urldefense.us", "urldefense.proofpoint.us"};
    static const char *const schemes[] = {"https", "http", "HTTPS", "hTTp"};
    static const char *const paths[] = {
        "/v1/url?u=http://a.com/%7Ex&amp;y&k=oIvRg1%2BdGAgOoM1BIlLLqw%3D%3D%0A&s=d3",
        "/v2/url?u=http-3A__a.com_-7Ex-26amp-3By&d=DwMFaQ&c=abc&e=",
        "/v3/__http://a.com/*x&amp;y__;fg!!abcDEF!ghiJKL$",
    };
    for (size_t h = 0; h < 4; h++) {
        for (size_t s = 0; s < 4; s++) {
            for (int v = 1; v <= 3; v++) {
                char in[256];
                int n = snprintf(in, sizeof(in), "%s://%s%s", schemes[s], hosts[h], paths[v - 1]);
                int nonref = s != 0 || h >= 2;
                const char *exp = v == 3 ? "http://a.com/~x&amp;y" : "http://a.com/~x&y";
                check_decode(in, (size_t)n, PPTAP_URLDEF_OK, exp, strlen(exp), v,
                             nonref ? NONREF : 0, "host");
                /* The same host in upper case is always flagged. */
                char up[256];
                memcpy(up, in, (size_t)n);
                for (size_t k = 0; k < strlen(schemes[s]) + 3 + strlen(hosts[h]); k++) {
                    if (up[k] >= 'a' && up[k] <= 'z') {
                        up[k] = (char)(up[k] - 32);
                    }
                }
                check_decode(up, (size_t)n, PPTAP_URLDEF_OK, exp, strlen(exp), v, NONREF,
                             "upper-case host");
            }
        }
    }
}

/* res.start is the offset of the wrapper's scheme. */
static void test_start_offset(void **state)
{
    (void)state;
    static const struct {
        const char *prefix;
        const char *link;
    } cases_[] = {
        {"", V3 "http://a.com__;" SIG},
        {"see <", V3 "http://a.com__;" SIG},
        {"x", V3 "http://a.com__;" SIG},
        {"https://urldefense.com/ ", V3 "http://a.com__;" SIG},
        {"http:// https://urldefense ", "http://urldefense.us/v2/url?u=a&d=x"},
        {"<a href=\"", V1 "a&k=x\">"},
    };
    for (size_t i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
        char in[512];
        int n = snprintf(in, sizeof(in), "%s%s", cases_[i].prefix, cases_[i].link);
        char out[512];
        pptap_urldef_result res;
        assert_int_equal(pptap_urldef_decode(&res, out, sizeof(out), in, (size_t)n), 0);
        assert_int_equal(res.start, strlen(cases_[i].prefix));
    }
}

/* ---- Generated v3 cases: a small independent base64url encoder ---- */

static size_t b64url(char *dst, const unsigned char *src, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)src[i] << 16;
        if (i + 1 < n) {
            v |= (unsigned)src[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= src[i + 2];
        }
        dst[o++] = al[(v >> 18) & 63];
        dst[o++] = al[(v >> 12) & 63];
        if (i + 1 < n) {
            dst[o++] = al[(v >> 6) & 63];
        }
        if (i + 2 < n) {
            dst[o++] = al[v & 63];
        }
    }
    return o;
}

/* Builds V3 <url> "__;" b64(repl) SIG into a new buffer. */
static char *make_v3(size_t *len, const char *url, size_t urllen, const unsigned char *repl,
                     size_t repllen)
{
    size_t cap = strlen(V3) + urllen + 3 + repllen * 4 / 3 + 4 + strlen(SIG);
    char *s = malloc(cap);
    assert_non_null(s);
    size_t o = 0;
    memcpy(s + o, V3, strlen(V3));
    o += strlen(V3);
    memcpy(s + o, url, urllen);
    o += urllen;
    memcpy(s + o, "__;", 3);
    o += 3;
    o += b64url(s + o, repl, repllen);
    memcpy(s + o, SIG, strlen(SIG));
    o += strlen(SIG);
    assert_true(o <= cap);
    *len = o;
    return s;
}

/* The "**X" table: A = 2 ... Z = 27, a = 28 ... z = 53, 0 = 54 ... 9 = 63,
 * '-' = 64, '_' = 65. */
static void test_run_codes(void **state)
{
    (void)state;
    static const char codes[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char repl[70];
    for (size_t i = 0; i < sizeof(repl); i++) {
        repl[i] = (unsigned char)(0x30 + i); /* '0', '1', ... */
    }
    for (size_t k = 0; k < 64; k++) {
        size_t n = k + 2;
        char url[8] = {'x', '*', '*', codes[k], 'y'};
        /* Exactly n bytes, then one more for a following single token. */
        size_t len;
        char *in = make_v3(&len, url, 5, repl, n);
        char exp[80];
        exp[0] = 'x';
        memcpy(exp + 1, repl, n);
        exp[n + 1] = 'y';
        check_decode(in, len, PPTAP_URLDEF_OK, exp, n + 2, 3, 0, "run code");
        free(in);
        /* One byte short: the run is silently short at the end. */
        in = make_v3(&len, url, 5, repl, n - 1);
        exp[n] = 'y';
        check_decode(in, len, PPTAP_URLDEF_OK, exp, n + 1, 3, 0, "short run");
        free(in);
        /* A single token after the run takes byte n + 1. */
        char url2[8] = {'x', '*', '*', codes[k], '*'};
        in = make_v3(&len, url2, 5, repl, n + 1);
        memcpy(exp + 1, repl, n + 1);
        check_decode(in, len, PPTAP_URLDEF_OK, exp, n + 2, 3, 0, "run then single");
        free(in);
        in = make_v3(&len, url2, 5, repl, n);
        check_decode(in, len, PPTAP_URLDEF_TOKEN_OVERRUN, NULL, 0, 3, F_ANY, "run then overrun");
        free(in);
    }
}

/* Long runs of replaced bytes in 65-byte chunks, splitting multi-byte
 * characters (§2 "What the v3 encoder replaces", §4). */
static void test_long_runs(void **state)
{
    (void)state;
    static const struct {
        const char *chr; /* repeated */
        size_t reps;
        const char *munged;
    } runs[] = {
        {"\xC3\xA9", 62, "**_**5"},               /* 124 bytes, cardi's accent run */
        {"\xC3\xA9", 33, "**_*"},                 /* 66 */
        {"#", 66, "**_*"},                        /* 66 */
        {"#", 67, "**_**A"},                      /* 67 */
        {"#", 130, "**_**_"},                     /* 130 */
        {"#", 131, "**_**_*"},                    /* 131 */
        {"#", 65, "**_"},                         /* 65 */
        {"#", 64, "**-"},                         /* 64 */
        {"\xE4\xBD\xA0", 22, "**_*"},             /* 66: the 22nd character split 2 + 1 */
        {"\xF0\x9F\x98\x80", 17, "**_**B"},       /* 68: the 17th split 1 + 3 */
        {"\xF0\x9F\x98\x80", 50, "**_**_**_**D"}, /* 200 */
        {"*", 200, "**_**_**_**D"},
        {"%", 100, "**_**h"},
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        size_t cl = strlen(runs[i].chr);
        size_t n = cl * runs[i].reps;
        unsigned char *repl = malloc(n);
        assert_non_null(repl);
        for (size_t k = 0; k < runs[i].reps; k++) {
            memcpy(repl + k * cl, runs[i].chr, cl);
        }
        char url[64];
        int ul = snprintf(url, sizeof(url), "https://x/%s.html", runs[i].munged);
        size_t len;
        char *in = make_v3(&len, url, (size_t)ul, repl, n);
        char *exp = malloc(n + 20);
        assert_non_null(exp);
        memcpy(exp, "https://x/", 10);
        memcpy(exp + 10, repl, n);
        memcpy(exp + 10 + n, ".html", 5);
        check_decode(in, len, PPTAP_URLDEF_OK, exp, n + 15, 3, 0, "long run");
        /* The encoder writes the same link part. */
        char *enc = malloc(PPTAP_URLDEF_ENCODE_MAX(n + 15));
        assert_non_null(enc);
        size_t enclen;
        assert_int_equal(pptap_urldef_encode(&enclen, enc, PPTAP_URLDEF_ENCODE_MAX(n + 15), 3, exp,
                                             n + 15, NULL),
                         0);
        size_t pl = strlen(V3) + (size_t)ul + 3;
        assert_true(enclen > len - strlen(SIG));
        assert_memory_equal(enc, in, pl + (len - strlen(SIG) - pl));
        free(enc);
        free(exp);
        free(in);
        free(repl);
    }
}

/* Tokens made of percent escapes, and the reference's crash at 995 tokens
 * (RecursionError) which pptap does not have. */
static void test_many_tokens(void **state)
{
    (void)state;
    static const size_t counts[] = {994, 995, 1000, 100000};
    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        size_t t = counts[c];
        char *url = malloc(2 * t);
        unsigned char *repl = malloc(t);
        char *exp = malloc(2 * t);
        assert_true(url && repl && exp);
        for (size_t k = 0; k < t; k++) {
            url[2 * k] = '*';
            url[2 * k + 1] = 'a';
            repl[k] = (unsigned char)('!' + k % 90);
            exp[2 * k] = (char)repl[k];
            exp[2 * k + 1] = 'a';
        }
        size_t len;
        char *in = make_v3(&len, url, 2 * t, repl, t);
        check_decode(in, len, PPTAP_URLDEF_OK, exp, 2 * t, 3, 0, "many tokens");
        free(in);
        /* One byte fewer than tokens: overrun at the last token. */
        in = make_v3(&len, url, 2 * t, repl, t - 1);
        check_decode(in, len, PPTAP_URLDEF_TOKEN_OVERRUN, NULL, 0, 3, F_ANY, "overrun at last");
        free(in);
        free(url);
        free(repl);
        free(exp);
    }
}

/* "&#" followed by 4301 digits in v2 (Python's int limit does not apply). */
static void test_long_numeric_reference(void **state)
{
    (void)state;
    static const struct {
        char fill;
        size_t n;
        const char *tail;
        const char *out;
    } refs[] = {
        {'0', 4299, "65", "A"},
        {'1', 4301, "", FFFD},
        {'0', 4301, "", FFFD},
        {'0', 100000, "233", "\xC3\xA9"},
    };
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        size_t cap = strlen(V2) + 6 + refs[i].n + 16 + strlen(V2T);
        char *in = malloc(cap);
        assert_non_null(in);
        size_t o = 0;
        memcpy(in, V2 "-26-23", strlen(V2) + 6);
        o = strlen(V2) + 6;
        memset(in + o, refs[i].fill, refs[i].n);
        o += refs[i].n;
        memcpy(in + o, refs[i].tail, strlen(refs[i].tail));
        o += strlen(refs[i].tail);
        memcpy(in + o, "-3Bz" V2T, 4 + strlen(V2T));
        o += 4 + strlen(V2T);
        char exp[16];
        int el = snprintf(exp, sizeof(exp), "%sz", refs[i].out);
        check_decode(in, o, PPTAP_URLDEF_OK, exp, (size_t)el, 2, 0, "long numeric reference");
        free(in);
    }
}

static void test_status_strings(void **state)
{
    (void)state;
    for (int i = 0; i < PPTAP_URLDEF_STATUS_COUNT_; i++) {
        const char *c = pptap_urldef_status_code((pptap_urldef_status)i);
        const char *m = pptap_urldef_status_message((pptap_urldef_status)i);
        assert_non_null(c);
        assert_non_null(m);
        assert_true(strlen(c) > 0);
        assert_true(strlen(m) > 0);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(c, pptap_urldef_status_code((pptap_urldef_status)j));
            assert_string_not_equal(m, pptap_urldef_status_message((pptap_urldef_status)j));
        }
    }
    static const char *const codes[] = {
        "ok",          "not-urldefense",  "unknown-version", "v1-no-match",   "v2-no-match",
        "v3-no-match", "base64-nonascii", "base64-invalid",  "token-overrun", "bad-run-code",
        "lowercased",
    };
    assert_int_equal(sizeof(codes) / sizeof(codes[0]), PPTAP_URLDEF_STATUS_COUNT_);
    for (int i = 0; i < PPTAP_URLDEF_STATUS_COUNT_; i++) {
        assert_string_equal(pptap_urldef_status_code((pptap_urldef_status)i), codes[i]);
    }
    /* Out of range: still a string */
    assert_non_null(pptap_urldef_status_code(PPTAP_URLDEF_STATUS_COUNT_));
    assert_non_null(pptap_urldef_status_message(PPTAP_URLDEF_STATUS_COUNT_ + 5));
}

/* ---- Buffer contract ---- */

/*
 * For an input that decodes to `want` bytes: every size below gives
 * PPTAP_EBUFS with res.len >= want, and res.len itself, exactly `want`,
 * PPTAP_URLDEF_DECODE_MAX(inlen) and more all succeed with the same bytes.
 * An input that fails to decode fails the same way at every size.
 */
static void check_buffers(const char *in, size_t inlen, pptap_urldef_status st, const char *want,
                          size_t wantlen)
{
    pptap_urldef_result res;
    int erc = st == PPTAP_URLDEF_OK ? 0 : PPTAP_EDECODE;

    /* NULL with size 0 */
    int rc = pptap_urldef_decode(&res, NULL, 0, in, inlen);
    if (st != PPTAP_URLDEF_OK || wantlen == 0) {
        assert_int_equal(rc, erc);
        assert_int_equal(res.status, st);
    } else {
        assert_int_equal(rc, PPTAP_EBUFS);
        assert_true(res.len >= wantlen);
    }
    size_t step = wantlen > 2000 ? wantlen / 500 : 1;
    size_t suggested = 0;
    for (size_t sz = 0; sz < wantlen; sz += (sz + step < wantlen ? step : 1)) {
        char *buf = malloc(sz ? sz : 1);
        assert_non_null(buf);
        rc = pptap_urldef_decode(&res, buf, sz, in, inlen);
        if (st != PPTAP_URLDEF_OK) {
            assert_int_equal(rc, erc);
            assert_int_equal(res.status, st);
        } else {
            if (rc != PPTAP_EBUFS) {
                char b1[256];
                print_error("size %zu of %zu: rc %d for \"%s\"\n", sz, wantlen, rc,
                            show(in, inlen, b1, sizeof(b1)));
            }
            assert_int_equal(rc, PPTAP_EBUFS);
            assert_true(res.len >= wantlen);
            suggested = res.len;
        }
        free(buf);
    }
    /* Exactly the length and every size up to 24 more, the suggested size,
     * the documented maximum and beyond */
    size_t sizes[28] = {suggested, PPTAP_URLDEF_DECODE_MAX(inlen), wantlen + 1000};
    for (int k = 3; k < 28; k++) {
        sizes[k] = wantlen + (size_t)(k - 3);
    }
    for (int k = 0; k < 28; k++) {
        size_t sz = sizes[k];
        if (k == 0 && sz == 0) {
            continue;
        }
        char *buf = malloc(sz ? sz : 1);
        assert_non_null(buf);
        memset(&res, 0, sizeof(res));
        rc = pptap_urldef_decode(&res, buf, sz, in, inlen);
        if (rc != erc || (rc == 0 && (res.len != wantlen || memcmp(buf, want, wantlen) != 0))) {
            char b1[256], b2[256];
            print_error("size %zu (want %zu): rc %d len %zu \"%s\" for \"%s\"\n", sz, wantlen, rc,
                        res.len, rc == 0 ? show(buf, res.len, b2, sizeof(b2)) : "",
                        show(in, inlen, b1, sizeof(b1)));
        }
        assert_int_equal(rc, erc);
        assert_int_equal(res.status, st);
        if (st == PPTAP_URLDEF_OK) {
            assert_int_equal(res.len, wantlen);
            assert_memory_equal(buf, want, wantlen);
        }
        free(buf);
    }
}

static void test_buffer_contract_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        check_buffers(cases[i].in, cases[i].inlen, cases[i].st, cases[i].out, cases[i].outlen);
    }
}

/* Inputs whose intermediate (percent-decoded) text is much longer or
 * shorter than the result, and NULL input. */
static void test_buffer_contract_extra(void **state)
{
    (void)state;
    static const dcase extra[] = {
        OK(V2 "-26amp-3B-26amp-3B-26amp-3B-26amp-3B&d=x", "&&&&", 2, 0),
        OK(V1 "&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;x&k=", "&&&&&&&&x", 1, 0),
        OK(V1 "&#x000000000000000000041;&k=", "A", 1, 0),
        OK(V1 "&CounterClockwiseContourIntegral;&k=", "\xE2\x88\xB3", 1, 0),
        OK(V1 "&nGt;&amp;&nLt;&k=", "\xE2\x89\xAB\xE2\x83\x92&\xE2\x89\xAA\xE2\x83\x92", 1, 0),
        OK(V1 "&nGt;&nGt;&nGt;&nGt;&k=",
           "\xE2\x89\xAB\xE2\x83\x92\xE2\x89\xAB\xE2\x83\x92\xE2\x89\xAB\xE2\x83\x92\xE2\x89\xAB"
           "\xE2\x83\x92",
           1, 0),
        OK(V2 "-26nGt-3B-26nGt-3B-26nGt-3B&d=x",
           "\xE2\x89\xAB\xE2\x83\x92\xE2\x89\xAB\xE2\x83\x92\xE2\x89\xAB\xE2\x83\x92", 2, 0),
        OK(V3 "**_**_x__;" SIG, "x", 3, 0),
        OK("https://urldefense.com/v3/__**A__;!", "", 3, 0),
    };
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        check_decode(extra[i].in, extra[i].inlen, extra[i].st, extra[i].out, extra[i].outlen,
                     extra[i].version, extra[i].flags, "extra");
        check_buffers(extra[i].in, extra[i].inlen, extra[i].st, extra[i].out, extra[i].outlen);
    }
    pptap_urldef_result res;
    assert_int_equal(pptap_urldef_decode(&res, NULL, 0, NULL, 0), PPTAP_EDECODE);
    assert_int_equal(res.status, PPTAP_URLDEF_NOT_URLDEFENSE);
    assert_int_equal(pptap_urldef_decode(&res, NULL, 0, NULL, 100), PPTAP_EDECODE);
    assert_int_equal(res.status, PPTAP_URLDEF_NOT_URLDEFENSE);
    /* res may be NULL */
    char out[64];
    static const char l[] = V3 "x__;" SIG;
    assert_int_equal(pptap_urldef_decode(NULL, out, sizeof(out), l, sizeof(l) - 1), 0);
    assert_int_equal(pptap_urldef_decode(NULL, NULL, 0, l, sizeof(l) - 1), PPTAP_EBUFS);
}

/*
 * Random v1/v2 links dense in references, escapes and '&': the result in a
 * buffer of exactly its length, or of any size up to 8 more, equals the
 * result in a large buffer; one byte less gives PPTAP_EBUFS with a size that
 * suffices. (v1/v2 decode in place when the buffer holds the url group, and
 * in one streaming pass otherwise; both must agree.)
 */
static void test_buffer_contract_random(void **state)
{
    (void)state;
    static const char *const atoms[] = {
        "&",
        "&amp;",
        "&amp",
        "&#",
        "&#x",
        "&#65",
        "&#x41;",
        "&#0;",
        "&#128",
        "&#x9d;",
        "&nGt;",
        "&nLt;",
        "&nGt",
        "&copy",
        "&copy=",
        "&region",
        "&notin;",
        "&not",
        "&sup2",
        "&lt",
        "&gt;",
        "%26",
        "%23",
        "%3B",
        "%41",
        "%",
        "%2",
        "-26",
        "-23",
        "-3B",
        "-",
        "_",
        "a",
        "Z",
        "0",
        "9",
        ";",
        "=",
        "x",
        "X",
        "#",
        "\xC3\xA9",
        "%C3",
        "%A9",
        "-E9",
        "&#x1F600;",
        "&#55296;",
        "-26nGt-3B",
        "-26-23",
        "&CounterClockwiseContourIntegral;",
        "&#00000000000000000000000065;",
    };
    uint64_t x = 0x243F6A8885A308D3ull;
    char in[1024], big[2048];
    unsigned long checked = 0;
    for (int i = 0; i < 20000; i++) {
        int v2 = i & 1;
        size_t n = (size_t)snprintf(in, sizeof(in), "%s", v2 ? V2 : V1);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned count = 1 + (unsigned)(x % 24);
        for (unsigned k = 0; k < count; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const char *a = atoms[x % (sizeof(atoms) / sizeof(atoms[0]))];
            size_t al = strlen(a);
            memcpy(in + n, a, al);
            n += al;
        }
        memcpy(in + n, v2 ? "&d=x" : "&k=x", 4);
        n += 4;
        pptap_urldef_result res;
        int rc = pptap_urldef_decode(&res, big, sizeof(big), in, n);
        assert_int_equal(rc, 0);
        size_t want = res.len;
        for (size_t sz = want > 0 ? want - 1 : 0; sz <= want + 8; sz++) {
            char *buf = malloc(sz ? sz : 1);
            assert_non_null(buf);
            pptap_urldef_result r2;
            rc = pptap_urldef_decode(&r2, buf, sz, in, n);
            if (sz < want) {
                assert_int_equal(rc, PPTAP_EBUFS);
                assert_true(r2.len >= want);
            } else {
                if (rc != 0 || r2.len != want || memcmp(buf, big, want) != 0 ||
                    r2.flags != res.flags) {
                    char b1[1200];
                    print_error("size %zu: rc %d len %zu (want %zu) for \"%s\"\n", sz, rc, r2.len,
                                want, show(in, n, b1, sizeof(b1)));
                }
                assert_int_equal(rc, 0);
                assert_int_equal(r2.len, want);
                assert_memory_equal(buf, big, want);
                assert_int_equal(r2.flags, res.flags);
            }
            free(buf);
            checked++;
        }
    }
    print_message("%lu random buffer checks\n", checked);
}

/* ---- Differential test against a naive model written from the spec ---- */

/*
 * A direct, slow transcription of reference/urldefense.md: the regular
 * expressions of §3 tried at every position (leftmost, lazy), unquote of
 * §3.5, CPython's lenient base64, the byte-counted tokens of §4, the repair
 * of D5 and the lower-casing test of D6. Character references use
 * pptap__html_unescape(), which test_html.c checks on its own.
 */
typedef struct {
    pptap_urldef_status st;
    int version;
    unsigned flags;
    unsigned char out[4096];
    size_t len;
} model_result;

static int m_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive match of the lower-case word w at s[i..n). */
static int m_word(const unsigned char *s, size_t n, size_t i, const char *w, int *exact)
{
    size_t l = strlen(w);
    if (i + l > n) {
        return 0;
    }
    for (size_t k = 0; k < l; k++) {
        if (m_lower(s[i + k]) != w[k]) {
            return 0;
        }
        if (s[i + k] != (unsigned char)w[k]) {
            *exact = 0;
        }
    }
    return 1;
}

/* `(https?)://urldefense(\.proofpoint)?\.(com|us)/v([0-9])/` at i (regex
 * backtracking order). Returns the digit or 0. */
static int m_wrapper_at(const unsigned char *s, size_t n, size_t i, int *exact)
{
    static const char *const schemes[] = {"https", "http"};
    static const char *const mids[] = {".proofpoint", ""};
    static const char *const tlds[] = {".com", ".us"};
    for (int a = 0; a < 2; a++) {
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 2; c++) {
                int ex = 1;
                size_t j = i;
                if (!m_word(s, n, j, schemes[a], &ex)) {
                    continue;
                }
                j += strlen(schemes[a]);
                if (!m_word(s, n, j, "://urldefense", &ex)) {
                    continue;
                }
                j += 13;
                if (!m_word(s, n, j, mids[b], &ex)) {
                    continue;
                }
                j += strlen(mids[b]);
                if (!m_word(s, n, j, tlds[c], &ex)) {
                    continue;
                }
                j += strlen(tlds[c]);
                if (j + 4 > n || s[j] != '/' || s[j + 1] != 'v' || s[j + 2] < '0' ||
                    s[j + 2] > '9' || s[j + 3] != '/') {
                    continue;
                }
                *exact = ex && a == 0 && c == 0;
                return s[j + 2];
            }
        }
    }
    return 0;
}

static int m_has_lf(const unsigned char *s, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        if (s[i] == '\n') {
            return 1;
        }
    }
    return 0;
}

static size_t m_unquote(unsigned char *o, const unsigned char *s, size_t n, int v2)
{
    /* v2: '-' -> '%', '_' -> '/', then unquote. */
    unsigned char t[4096];
    for (size_t i = 0; i < n; i++) {
        t[i] = v2 && s[i] == '-' ? '%' : v2 && s[i] == '_' ? '/' : s[i];
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int h1 = i + 2 < n ? hexdig(t[i + 1]) : -1, h2 = i + 2 < n ? hexdig(t[i + 2]) : -1;
        if (t[i] == '%' && h1 >= 0 && h2 >= 0) {
            o[w++] = (unsigned char)(h1 * 16 + h2);
            i += 2;
        } else {
            o[w++] = t[i];
        }
    }
    return w;
}

/* CPython a2b_base64, non-strict, on enc + "==" after the url-safe mapping.
 * Returns the byte count, or -1 (invalid) / -2 (non-ASCII). */
static long m_b64(unsigned char *o, const unsigned char *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (e[i] >= 0x80) {
            return -2;
        }
    }
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int pos = 0, pads = 0;
    unsigned left = 0;
    long w = 0;
    for (size_t i = 0; i < n + 2; i++) {
        int c = i < n ? e[i] : '=';
        c = c == '-' ? '+' : c == '_' ? '/' : c;
        if (c == '=') {
            if (pos >= 2 && pos + ++pads >= 4) {
                return w;
            }
            continue;
        }
        const char *f = c ? strchr(al, c) : NULL;
        if (f == NULL) {
            continue;
        }
        unsigned v = (unsigned)(f - al);
        pads = 0;
        if (pos == 0) {
            left = v;
        } else if (pos == 1) {
            o[w++] = (unsigned char)((left << 2) | (v >> 4));
            left = v & 15;
        } else if (pos == 2) {
            o[w++] = (unsigned char)((left << 4) | (v >> 2));
            left = v & 3;
        } else {
            o[w++] = (unsigned char)((left << 6) | v);
        }
        pos = (pos + 1) % 4;
    }
    return pos == 0 ? w : -1;
}

static int m_in(int c, const char *set)
{
    return c != 0 && strchr(set, c) != NULL;
}

static void model_v3(model_result *m, const unsigned char *s, size_t n)
{
    size_t ub = 0, ue = 0, bang = 0;
    int found = 0;
    for (size_t p = 0; p + 5 <= n && !found; p++) {
        if (memcmp(s + p, "v3/__", 5) != 0) {
            continue;
        }
        size_t lo = p + 5;
        for (size_t q = lo + 1; q + 3 <= n && !found; q++) {
            if (m_has_lf(s, lo, q)) {
                break;
            }
            if (memcmp(s + q, "__;", 3) != 0) {
                continue;
            }
            for (size_t r = q + 3; r < n; r++) {
                if (s[r] == '\n') {
                    break;
                }
                if (s[r] == '!') {
                    ub = lo, ue = q, bang = r, found = 1;
                    break;
                }
            }
        }
    }
    if (!found) {
        m->st = PPTAP_URLDEF_V3_NO_MATCH;
        return;
    }
    /* D6 */
    const unsigned char *e = s + ue + 3;
    size_t el = bang - ue - 3, t = 0, tn = 0;
    int e_ok = el > 0, e_letter = 0, t_upper = 0, u_upper = 0;
    for (size_t i = 0; i < el; i++) {
        e_ok &= m_in(e[i], "abcdefghijklmnopqrstuvwxyz0123456789_-");
        e_letter |= e[i] >= 'a' && e[i] <= 'z';
    }
    for (t = bang + 1; t < n && m_in(s[t], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789_!-");
         t++) {
        t_upper |= s[t] >= 'A' && s[t] <= 'Z';
        tn += s[t] != '!';
    }
    for (size_t i = ub; i < ue; i++) {
        u_upper |= s[i] >= 'A' && s[i] <= 'Z';
    }
    if (e_ok && e_letter && !t_upper && tn >= 32 && !u_upper) {
        m->st = PPTAP_URLDEF_LOWERCASED;
        return;
    }
    unsigned char dec[4096];
    long dl = m_b64(dec, e, el);
    if (dl < 0) {
        m->st = dl == -2 ? PPTAP_URLDEF_BASE64_NONASCII : PPTAP_URLDEF_BASE64_INVALID;
        return;
    }
    /* D5 */
    unsigned char url[4096];
    size_t un = 0, j = 0, n0 = ue - ub;
    const unsigned char *u = s + ub;
    while (j < n0 && m_in(m_lower(u[j]), "abcdefghijklmnopqrstuvwxyz0123456789+.-")) {
        j++;
    }
    int repair = 0;
    if (j > 0 && j + 2 < n0 && u[j] == ':' && u[j + 1] == '/' && u[j + 2] != '/') {
        size_t cl = 1;
        unsigned char c0 = u[j + 2];
        size_t want = c0 >= 0xF0 ? 4 : c0 >= 0xE0 ? 3 : c0 >= 0xC2 ? 2 : 1;
        if (want > 1 && j + 2 + want <= n0 && pptap__utf8_valid(u + j + 2, want)) {
            cl = want;
        }
        repair = j + 2 + cl < n0;
    }
    if (repair) {
        memcpy(url, u, j + 2);
        url[j + 2] = '/';
        memcpy(url + j + 3, u + j + 2, n0 - j - 2);
        un = n0 + 1;
        m->flags |= PPTAP_URLDEF_F_SLASH_REPAIRED;
    } else {
        memcpy(url, u, n0);
        un = n0;
    }
    unsigned char uq[4096];
    size_t qn = m_unquote(uq, url, un, 0);
    static const char codes[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t marker = 0;
    m->len = 0;
    for (size_t i = 0; i < qn; i++) {
        if (uq[i] != '*') {
            m->out[m->len++] = uq[i];
            continue;
        }
        if (i + 2 < qn && uq[i + 1] == '*' && uq[i + 2] != '\n') {
            const char *f = uq[i + 2] ? strchr(codes, uq[i + 2]) : NULL;
            if (f == NULL) {
                m->st = PPTAP_URLDEF_BAD_RUN_CODE;
                return;
            }
            size_t rl = (size_t)(f - codes) + 2;
            for (size_t k = 0; k < rl && marker < (size_t)dl; k++) {
                m->out[m->len++] = dec[marker++];
            }
            i += 2;
            continue;
        }
        if (marker >= (size_t)dl) {
            m->st = PPTAP_URLDEF_TOKEN_OVERRUN;
            return;
        }
        m->out[m->len++] = dec[marker++];
    }
    m->st = PPTAP_URLDEF_OK;
}

static void model_decode(model_result *m, const unsigned char *s, size_t n)
{
    memset(m, 0, sizeof(*m));
    int digit = 0, exact = 0;
    for (size_t i = 0; i < n && digit == 0; i++) {
        digit = m_wrapper_at(s, n, i, &exact);
    }
    if (digit == 0) {
        m->st = PPTAP_URLDEF_NOT_URLDEFENSE;
        return;
    }
    m->flags = exact ? 0 : PPTAP_URLDEF_F_NONREF_HOST;
    if (digit < '1' || digit > '3') {
        m->st = PPTAP_URLDEF_UNKNOWN_VERSION;
        return;
    }
    m->version = digit - '0';
    if (m->version == 3) {
        model_v3(m, s, n);
    } else {
        int v2 = m->version == 2;
        int found = 0;
        size_t lo = 0, q = 0;
        for (size_t p = 0; p + 2 <= n && !found; p++) {
            if (s[p] != 'u' || s[p + 1] != '=') {
                continue;
            }
            lo = p + 2;
            for (q = lo + 1; q + 3 <= n; q++) {
                if (m_has_lf(s, lo, q)) {
                    break;
                }
                if (s[q] == '&' && s[q + 2] == '=' &&
                    (v2 ? s[q + 1] == 'd' || s[q + 1] == 'c' : s[q + 1] == 'k')) {
                    found = 1;
                    break;
                }
            }
        }
        if (!found) {
            m->st = v2 ? PPTAP_URLDEF_V2_NO_MATCH : PPTAP_URLDEF_V1_NO_MATCH;
            return;
        }
        m->len = m_unquote(m->out, s + lo, q - lo, v2);
        assert_int_equal(pptap__html_unescape((char *)m->out, &m->len, sizeof(m->out)), 0);
        m->st = PPTAP_URLDEF_OK;
    }
    if (m->st == PPTAP_URLDEF_OK && !pptap__utf8_valid(m->out, m->len)) {
        m->flags |= PPTAP_URLDEF_F_INVALID_UTF8;
    }
    if (m->st == PPTAP_URLDEF_OK && has_control((const char *)m->out, m->len)) {
        m->flags |= PPTAP_URLDEF_F_CONTROL;
    }
}

static void test_differential_model(void **state)
{
    (void)state;
    static const char *const heads[] = {
        "https://urldefense.com/v3/__",
        "https://urldefense.proofpoint.com/v3/__",
        "http://urldefense.us/v3/__",
        "HTTPS://URLDEFENSE.COM/v3/__",
        "https://urldefense.proofpoint.us/v3/__",
        "https://urldefense.proofpoint.com/v2/url?u=",
        "https://urldefense.proofpoint.com/v1/url?u=",
        "https://urldefense.com/v2/url?u=",
        "https://urldefense.com/v4/",
        "https://urldefense.net/v3/__",
        "x https://urldefense.com/v3/__",
        "v3/__",
        "",
    };
    static const char *const atoms[] = {
        "*",
        "**",
        "**A",
        "**B",
        "**_",
        "**-",
        "***",
        "**!",
        "%2A",
        "%2a",
        "%0A",
        "%25",
        "%",
        "%4",
        "https:/",
        "HTTP:/",
        "a:/",
        ":/",
        "/",
        "//",
        "a",
        "B",
        "x",
        "__",
        "_",
        "__;",
        ";",
        "!",
        "!!",
        "$",
        "\n",
        "\r",
        " ",
        "\xC3\xA9",
        "\xC3",
        "\xFF",
        "\xF0\x9F\x98\x80",
        "v3/__",
        "u=",
        "&k=",
        "&d=",
        "&c=",
        "&",
        "&amp;",
        "&#65",
        "-26",
        "-3D",
        "-",
        "Iw",
        "IyM",
        "iw",
        "w6k",
        "_w",
        "=",
        "==",
        "I",
        "Kw",
        "abcdefghijklmnopqrstuvwxyz",
        "0123456789-_",
        "ABCDEFG",
        "https://urldefense.com/v3/__",
        "https://urldefense.proofpoint.com/v2/url?u=",
    };
    static const char *const b64s[] = {
        "Iw",       "IyM",  "w6k",  "w60j", "_w", "-w",     "+w",    "/w",     "=",
        "==",       "I",    "Kw",   "$",    ".",  "iw",     "abc",   "8J-YgA", "AAAA",
        "5L2g5aW9", "\xC3", "iw-_", "00",   " ",  "Iw==Iw", "IyM=j",
    };
    static const char *const tracks[] = {
        "!LIr3w8kk_Xxm!6BNqFLJQZ$",
        "!abcdefghijklmnop!qrstuvwxyz-_0123$",
        "!abcdefghijklmnopqrstuvwxyz-_012$",
        "!abcdefghijklmnopqrstuvwxyz-_0123",
        "$",
        "!abc",
        "",
        "!abcdefghijklmnopqrstuvwxyz-_0123X$",
        "\n",
        "!!!!",
        "!abcdefghijklmnopqrstu$vwxyz",
    };
    uint64_t x = 0x9E3779B97F4A7C15ull;
    unsigned char in[2048];
    char out[4096];
    static model_result m;
    unsigned char *tail = malloc(sizeof(in));
    assert_non_null(tail);
    unsigned long mismatches = 0, n_ok = 0;
    const unsigned long total = 300000;
    unsigned long per_status[PPTAP_URLDEF_STATUS_COUNT_] = {0};
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
#define PICK(arr) arr[NEXT() % (sizeof(arr) / sizeof(arr[0]))]
#define APPEND(str)                                                                                \
    do {                                                                                           \
        const char *a_ = (str);                                                                    \
        size_t al_ = strlen(a_);                                                                   \
        memcpy(in + n, a_, al_);                                                                   \
        n += al_;                                                                                  \
    } while (0)
    for (unsigned long i = 0; i < total; i++) {
        size_t n = 0;
        const char *h = PICK(heads);
        APPEND(h);
        int v3 = strstr(h, "v3/__") != NULL;
        unsigned count = 1 + (unsigned)(NEXT() % 10);
        for (unsigned k = 0; k < count; k++) {
            APPEND(PICK(atoms));
        }
        if (NEXT() % 10 != 0) {
            if (v3 || NEXT() % 2) {
                APPEND("__;");
                count = (unsigned)(NEXT() % 5);
                for (unsigned k = 0; k < count; k++) {
                    APPEND(PICK(b64s));
                }
                if (NEXT() % 10 != 0) {
                    APPEND(NEXT() % 3 ? "!" : "");
                    APPEND(PICK(tracks));
                }
            } else {
                APPEND(NEXT() % 2 ? "&k=x" : NEXT() % 2 ? "&d=x" : "&c=y");
            }
        }
        if (NEXT() % 5 == 0) {
            count = 1 + (unsigned)(NEXT() % 4);
            for (unsigned k = 0; k < count; k++) {
                APPEND(PICK(atoms));
            }
        }
        pptap_urldef_result res;
        /* From the end of a heap block, so reads past the input are caught. */
        memcpy(tail + sizeof(in) - n, in, n);
        int rc =
            pptap_urldef_decode(&res, out, sizeof(out), (const char *)tail + sizeof(in) - n, n);
        model_decode(&m, in, n);
        per_status[m.st]++;
        n_ok += m.st == PPTAP_URLDEF_OK;
        int bad = res.status != m.st || rc != (m.st == PPTAP_URLDEF_OK ? 0 : PPTAP_EDECODE) ||
                  res.version != m.version ||
                  (m.st == PPTAP_URLDEF_OK &&
                   (res.flags != m.flags || res.len != m.len || memcmp(out, m.out, m.len) != 0));
        if (bad && ++mismatches <= 10) {
            char b1[1200], b2[1200], b3[1200];
            print_error(
                "model mismatch: \"%s\"\n  pptap %s v%d flags %u \"%s\"\n  model %s v%d "
                "flags %u \"%s\"\n",
                show((const char *)in, n, b1, sizeof(b1)), pptap_urldef_status_code(res.status),
                res.version, res.flags, rc == 0 ? show(out, res.len, b2, sizeof(b2)) : "",
                pptap_urldef_status_code(m.st), m.version, m.flags,
                m.st == PPTAP_URLDEF_OK ? show((const char *)m.out, m.len, b3, sizeof(b3)) : "");
        }
    }
#undef NEXT
#undef PICK
#undef APPEND
    print_message("model: %lu inputs, %lu decoded;", total, n_ok);
    for (int k = 1; k < PPTAP_URLDEF_STATUS_COUNT_; k++) {
        print_message(" %s %lu", pptap_urldef_status_code((pptap_urldef_status)k), per_status[k]);
    }
    print_message("; %lu mismatches\n", mismatches);
    free(tail);
    assert_int_equal(mismatches, 0);
}

/* ---- Large inputs: must complete quickly (linear work) ---- */

static char *repeat(size_t *len, const char *head, const char *unit, size_t reps, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    *len = hl + ul * reps + tl;
    char *s = malloc(*len + 1);
    assert_non_null(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < reps; i++) {
        memcpy(s + hl + i * ul, unit, ul);
    }
    memcpy(s + hl + ul * reps, tail, tl);
    return s;
}

/* Decodes `in` and checks status and, for OK, the output length and that
 * it is `unit` repeated (when unit is non-NULL). */
static void check_large(char *in, size_t len, pptap_urldef_status st, size_t outlen,
                        const char *unit)
{
    size_t cap = PPTAP_URLDEF_DECODE_MAX(len);
    char *out = malloc(cap);
    assert_non_null(out);
    pptap_urldef_result res;
    int rc = pptap_urldef_decode(&res, out, cap, in, len);
    if (res.status != st || (st == PPTAP_URLDEF_OK && res.len != outlen)) {
        char b1[128];
        print_error("large input (%zu bytes) \"%s...\": status %s len %zu, expected %s %zu\n", len,
                    show(in, len < 80 ? len : 80, b1, sizeof(b1)),
                    pptap_urldef_status_code(res.status), res.len, pptap_urldef_status_code(st),
                    outlen);
    }
    assert_int_equal(res.status, st);
    assert_int_equal(rc, st == PPTAP_URLDEF_OK ? 0 : PPTAP_EDECODE);
    if (st == PPTAP_URLDEF_OK) {
        assert_int_equal(res.len, outlen);
        if (unit != NULL) {
            size_t ul = strlen(unit);
            for (size_t i = 0; i + ul <= outlen; i += ul) {
                assert_memory_equal(out + i, unit, ul);
            }
        }
        /* And the size query alone */
        assert_int_equal(pptap_urldef_decode(&res, NULL, 0, in, len), outlen ? PPTAP_EBUFS : 0);
    }
    free(out);
    free(in);
}

/* Builds head + unit * reps + tail and checks it. */
static void check_rep(const char *head, const char *unit, size_t reps, const char *tail,
                      pptap_urldef_status st, size_t outlen, const char *outunit)
{
    size_t len;
    char *in = repeat(&len, head, unit, reps, tail);
    check_large(in, len, st, outlen, outunit);
}

static void test_large_inputs(void **state)
{
    (void)state;
    size_t len;
    const size_t M = 1000000;

    /* 10 MB of '*' tokens: 5M single tokens with their bytes */
    {
        size_t t = 5 * M;
        unsigned char *repl = malloc(t);
        assert_non_null(repl);
        memset(repl, '#', t);
        char *url = repeat(&len, "", "*a", t, "");
        size_t inlen;
        char *in = make_v3(&inlen, url, len, repl, t);
        free(url);
        free(repl);
        check_large(in, inlen, PPTAP_URLDEF_OK, 2 * t, "#a");
    }
    /* 10 MB of "**_" runs with too few bytes: silently short */
    check_rep(V3, "**_", 10 * M / 3, "__;IyM" SIG, PPTAP_URLDEF_OK, 2, "#");
    /* 10 MB of '*': "***" is a bad run code at once */
    check_rep(V3, "*", 10 * M, "__;IyM" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 0, NULL);
    /* 10 MB of "*a" with 2 bytes: overrun at the third token */
    check_rep(V3, "*a", 5 * M, "__;IyM" SIG, PPTAP_URLDEF_TOKEN_OVERRUN, 0, NULL);
    /* 1 MB of '%' in each version */
    check_rep(V3, "%", M, "__;" SIG, PPTAP_URLDEF_OK, M, "%");
    check_rep(V2, "%", M, V2T, PPTAP_URLDEF_OK, M, "%");
    check_rep(V2, "-", M, V2T, PPTAP_URLDEF_OK, M, "%");
    check_rep(V1, "%", M, V1T, PPTAP_URLDEF_OK, M, "%");
    check_rep(V3, "%25", M, "__;" SIG, PPTAP_URLDEF_OK, M, "%");
    check_rep(V3, "a%2A", M / 4, "__;" SIG, PPTAP_URLDEF_TOKEN_OVERRUN, 0, NULL);
    check_rep(V3, "%2A", M / 3, "__;" SIG, PPTAP_URLDEF_BAD_RUN_CODE, 0, NULL);
    /* 1 MB lines with many u= */
    check_rep(V2, "u=", M / 2, "", PPTAP_URLDEF_V2_NO_MATCH, 0, NULL);
    check_rep(V2 "x", "u=", M / 2, "&d=x", PPTAP_URLDEF_OK, M + 1, NULL);
    check_rep(V2, "u=a&x", M / 5, "", PPTAP_URLDEF_V2_NO_MATCH, 0, NULL);
    check_rep(V1, "u=a&x\n", M / 6, "", PPTAP_URLDEF_V1_NO_MATCH, 0, NULL);
    check_rep(V1, "u=a&x\n", M / 6, "u=b&k=", PPTAP_URLDEF_OK, 1, "b");
    check_rep(V2, "u=a&x\n", M / 6, "&d=", PPTAP_URLDEF_V2_NO_MATCH, 0, NULL);
    check_rep(V2, "u=\n", M / 3, "u=c&c=", PPTAP_URLDEF_OK, 1, "c");
    check_rep(V1 "\n", "u=&&&&&&&&&&&&&&&&", M / 18, "&k=", PPTAP_URLDEF_OK, 18 * (M / 18) - 2,
              NULL);
    /* Many v3 starts without an end */
    check_rep(V3, "v3/__a__;", M / 9, "", PPTAP_URLDEF_V3_NO_MATCH, 0, NULL);
    check_rep(V3 "\n", "v3/__a__;\n", M / 10, "!", PPTAP_URLDEF_V3_NO_MATCH, 0, NULL);
    check_rep(V3 "\n", "v3/__a__;\n", M / 10, "v3/__b__;!", PPTAP_URLDEF_OK, 1, "b");
    check_rep(V3 "\n", "v3/__a\n", M / 7, "__;!", PPTAP_URLDEF_V3_NO_MATCH, 0, NULL);
    check_rep(V3 "\n", "v3/__a__;x&\n", M / 12, "!", PPTAP_URLDEF_V3_NO_MATCH, 0, NULL);
    check_rep("", "https://urldefense.com/", M / 23, "", PPTAP_URLDEF_NOT_URLDEFENSE, 0, NULL);
    check_rep("", "https://urldefense.com/v3/", M / 26, "", PPTAP_URLDEF_V3_NO_MATCH, 0, NULL);
    check_rep(V3, "_", M, ";" SIG, PPTAP_URLDEF_OK, M - 2, "_");
    check_rep(V3 "a", "__", M / 2, ";" SIG, PPTAP_URLDEF_OK, M - 1, NULL);
    /* References in v1/v2 */
    check_rep(V2, "-26", M / 3, V2T, PPTAP_URLDEF_OK, M / 3, "&");
    check_rep(V2, "-26amp", M / 6, V2T, PPTAP_URLDEF_OK, M / 6, "&");
    check_rep(V1, "&nGt;", M / 5, V1T, PPTAP_URLDEF_OK, 6 * (M / 5), "\xE2\x89\xAB\xE2\x83\x92");
    check_rep(V1 "&#", "0", M, "65;" V1T, PPTAP_URLDEF_OK, 1, "A");
    check_rep(V1 "&#x", "F", M, V1T, PPTAP_URLDEF_OK, 3, FFFD);
    check_rep(V1 "&", "a", M, V1T, PPTAP_URLDEF_OK, M + 1, NULL);
    /* A huge base64 field and a huge tracking part */
    check_rep(V3 "x*__;", "IyMj", M, SIG, PPTAP_URLDEF_OK, 2, "x#");
    check_rep(V3 "x*__;", "$", M, "Iw!", PPTAP_URLDEF_OK, 2, "x#");
    check_rep(LCU "iw!!", "abcdefgh", M, "$", PPTAP_URLDEF_LOWERCASED, 0, NULL);
    check_rep(LCU "iw!!", "abcdefgh", M, "X", PPTAP_URLDEF_OK, 23, NULL);
    /* Nothing but noise */
    check_rep("", ":", 10 * M, "", PPTAP_URLDEF_NOT_URLDEFENSE, 0, NULL);
    check_rep("", "://", 3 * M, "", PPTAP_URLDEF_NOT_URLDEFENSE, 0, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_start_offset),
        cmocka_unit_test(test_run_codes),
        cmocka_unit_test(test_long_runs),
        cmocka_unit_test(test_many_tokens),
        cmocka_unit_test(test_long_numeric_reference),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_buffer_contract_table),
        cmocka_unit_test(test_buffer_contract_extra),
        cmocka_unit_test(test_buffer_contract_random),
        cmocka_unit_test(test_differential_model),
        cmocka_unit_test(test_large_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
