/*
 * ISO 8601 date-times, durations and intervals.
 */
#include <string.h>
#include <time.h>

#include <pptap/time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t len, size_t *i, size_t n, int *out)
{
    int v = 0;
    for (size_t k = 0; k < n; k++) {
        if (*i >= len || (unsigned)(s[*i] - '0') > 9u) {
            return -1;
        }
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return 0;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int pptap_time_parse(pptap_time_ms *out, const char *s, size_t len)
{
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t i = 0;
    int Y, M, D, h, m, sec;
    if (digits(s, len, &i, 4, &Y) || i >= len || s[i++] != '-' || digits(s, len, &i, 2, &M) ||
        i >= len || s[i++] != '-' || digits(s, len, &i, 2, &D) || i >= len ||
        (s[i] != 'T' && s[i] != 't' && s[i] != ' ')) {
        return PPTAP_EINVAL;
    }
    i++;
    if (digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' || digits(s, len, &i, 2, &m) ||
        i >= len || s[i++] != ':' || digits(s, len, &i, 2, &sec)) {
        return PPTAP_EINVAL;
    }
    if (M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 60) {
        return PPTAP_EINVAL;
    }
    int dim = mdays[M - 1] + (M == 2 && is_leap(Y));
    if (D > dim) {
        return PPTAP_EINVAL;
    }
    int64_t ms = 0;
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        i++;
        size_t f0 = i;
        int scale = 100;
        while (i < len && (unsigned)(s[i] - '0') <= 9u) {
            ms += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == f0) {
            return PPTAP_EINVAL;
        }
    }
    int64_t off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int neg = s[i] == '-';
        int oh, om = 0;
        i++;
        if (digits(s, len, &i, 2, &oh)) {
            return PPTAP_EINVAL;
        }
        if (i < len && s[i] == ':') {
            i++;
            if (digits(s, len, &i, 2, &om)) {
                return PPTAP_EINVAL;
            }
        } else if (i < len) {
            if (digits(s, len, &i, 2, &om)) {
                return PPTAP_EINVAL;
            }
        }
        if (oh > 23 || om > 59) {
            return PPTAP_EINVAL;
        }
        off = ((int64_t)oh * 60 + om) * 60000;
        if (neg) {
            off = -off;
        }
    }
    if (i != len) {
        return PPTAP_EINVAL;
    }
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    *out = ((days * 24 + h) * 60 + m) * 60000 + (int64_t)sec * 1000 + ms - off;
    return 0;
}

/* Reads a decimal number with optional fraction; returns its value times 1000. */
static int number_milli(const char *s, size_t len, size_t *i, int64_t *out, int *frac)
{
    size_t i0 = *i;
    int64_t v = 0;
    while (*i < len && (unsigned)(s[*i] - '0') <= 9u) {
        if (v > (INT64_MAX / 10000)) {
            return -1;
        }
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    if (*i == i0) {
        return -1;
    }
    v *= 1000;
    *frac = 0;
    if (*i < len && (s[*i] == '.' || s[*i] == ',')) {
        (*i)++;
        size_t f0 = *i;
        int scale = 100;
        while (*i < len && (unsigned)(s[*i] - '0') <= 9u) {
            v += (s[*i] - '0') * scale;
            scale /= 10;
            (*i)++;
        }
        if (*i == f0) {
            return -1;
        }
        *frac = 1;
    }
    *out = v;
    return 0;
}

int pptap_duration_parse(int64_t *out_ms, const char *s, size_t len)
{
    size_t i = 0;
    int64_t total = 0;
    int in_time = 0, any = 0, frac = 0;
    if (len < 2 || (s[0] != 'P' && s[0] != 'p')) {
        return PPTAP_EINVAL;
    }
    i = 1;
    /* Units in the order they may appear: W D (date part), H M S (time part). */
    const char *order = "WDHMS";
    int last = -1;
    while (i < len) {
        if (s[i] == 'T' || s[i] == 't') {
            if (in_time) {
                return PPTAP_EINVAL;
            }
            in_time = 1;
            i++;
            if (i == len) {
                return PPTAP_EINVAL;
            }
            continue;
        }
        if (frac) {
            return PPTAP_EINVAL; /* a fraction only on the last component */
        }
        int64_t v;
        if (number_milli(s, len, &i, &v, &frac) || i >= len) {
            return PPTAP_EINVAL;
        }
        char u = (char)(s[i] & ~0x20);
        const char *pos = strchr(order, u);
        if (pos == NULL || u == 0) {
            return PPTAP_EINVAL;
        }
        int idx = (int)(pos - order);
        if (idx <= last || (idx >= 2) != in_time) {
            return PPTAP_EINVAL;
        }
        last = idx;
        static const int64_t unit[] = {7 * 86400, 86400, 3600, 60, 1};
        if (v > INT64_MAX / unit[idx]) {
            return PPTAP_EINVAL;
        }
        total += v * unit[idx];
        any = 1;
        i++;
    }
    if (!any) {
        return PPTAP_EINVAL;
    }
    *out_ms = total;
    return 0;
}

int pptap_interval_parse(pptap_time_ms *start, pptap_time_ms *end, const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    if (slash == NULL) {
        return PPTAP_EINVAL;
    }
    size_t l1 = (size_t)(slash - s), l2 = len - l1 - 1;
    const char *b = slash + 1;
    int64_t a_ms, b_ms;
    if (l1 > 0 && (s[0] == 'P' || s[0] == 'p')) {
        if (pptap_duration_parse(&a_ms, s, l1) || pptap_time_parse(&b_ms, b, l2)) {
            return PPTAP_EINVAL;
        }
        *start = b_ms - a_ms;
        *end = b_ms;
    } else if (l2 > 0 && (b[0] == 'P' || b[0] == 'p')) {
        if (pptap_time_parse(&a_ms, s, l1) || pptap_duration_parse(&b_ms, b, l2)) {
            return PPTAP_EINVAL;
        }
        *start = a_ms;
        *end = a_ms + b_ms;
    } else {
        if (pptap_time_parse(&a_ms, s, l1) || pptap_time_parse(&b_ms, b, l2)) {
            return PPTAP_EINVAL;
        }
        *start = a_ms;
        *end = b_ms;
    }
    return *end < *start ? PPTAP_EINVAL : 0;
}

int pptap_duration_parse_human(int64_t *out_ms, const char *s)
{
    size_t len = strlen(s);
    if (len > 0 && (s[0] == 'P' || s[0] == 'p')) {
        return pptap_duration_parse(out_ms, s, len);
    }
    size_t i = 0;
    int64_t total = 0;
    if (len == 0) {
        return PPTAP_EINVAL;
    }
    while (i < len) {
        int64_t v;
        int frac;
        if (number_milli(s, len, &i, &v, &frac) || i >= len) {
            return PPTAP_EINVAL;
        }
        int64_t unit;
        switch (s[i]) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        case 'w':
            unit = 7 * 86400;
            break;
        default:
            return PPTAP_EINVAL;
        }
        if (v > INT64_MAX / unit - total) {
            return PPTAP_EINVAL;
        }
        total += v * unit;
        i++;
    }
    *out_ms = total;
    return 0;
}

static size_t format(char *out, pptap_time_ms t, int with_ms)
{
    int64_t ms = t % 1000;
    int64_t secs = t / 1000;
    if (ms < 0) {
        ms += 1000;
        secs--;
    }
    int64_t days = secs / 86400;
    int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    int h = (int)(rem / 3600), mi = (int)(rem / 60 % 60), se = (int)(rem % 60);
    char *p = out;
    /* Hand formatting: this runs for every event written. */
    int yy = (int)y;
    if (yy < 0 || yy > 9999) {
        yy = yy < 0 ? 0 : 9999;
    }
    p[0] = (char)('0' + yy / 1000);
    p[1] = (char)('0' + yy / 100 % 10);
    p[2] = (char)('0' + yy / 10 % 10);
    p[3] = (char)('0' + yy % 10);
    p[4] = '-';
    p[5] = (char)('0' + mo / 10);
    p[6] = (char)('0' + mo % 10);
    p[7] = '-';
    p[8] = (char)('0' + d / 10);
    p[9] = (char)('0' + d % 10);
    p[10] = 'T';
    p[11] = (char)('0' + h / 10);
    p[12] = (char)('0' + h % 10);
    p[13] = ':';
    p[14] = (char)('0' + mi / 10);
    p[15] = (char)('0' + mi % 10);
    p[16] = ':';
    p[17] = (char)('0' + se / 10);
    p[18] = (char)('0' + se % 10);
    size_t n = 19;
    if (with_ms) {
        p[19] = '.';
        p[20] = (char)('0' + ms / 100);
        p[21] = (char)('0' + ms / 10 % 10);
        p[22] = (char)('0' + ms % 10);
        n = 23;
    }
    p[n++] = 'Z';
    p[n] = '\0';
    return n;
}

size_t pptap_time_format(char out[PPTAP_TIME_STRLEN], pptap_time_ms t)
{
    return format(out, t, 0);
}

size_t pptap_time_format_ms(char out[PPTAP_TIME_STRLEN], pptap_time_ms t)
{
    return format(out, t, 1);
}

pptap_time_ms pptap_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (pptap_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
