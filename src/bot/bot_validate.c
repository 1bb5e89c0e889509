/* Answer validators for flow questions. Each finds the answer inside free text (customers
 * write "it's 12345 I think"), checks it and writes it in one normal form, or says briefly
 * what was expected. */
#define _GNU_SOURCE /* memmem */
#include "bot_text.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *out, size_t outsize, const char *hint)
{
    snprintf(out, outsize, "%s", hint);
    return PARLEY_EINVAL;
}

/* ---- numbers ---------------------------------------------------------------------------- */

/* The first number in the text: digits with optional thousands commas (12,345; "12 345" reads
 * as 12) and an optional decimal part; digits gets it without the commas. */
static bool first_number(const char *t, size_t len, double *v, char *digits, size_t dsize)
{
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)t[i])) continue;
        bool neg = i > 0 && t[i - 1] == '-' && (i == 1 || !isalnum((unsigned char)t[i - 2]));
        char buf[64];
        size_t n = 0;
        if (neg) buf[n++] = '-';
        bool dot = false;
        for (; i < len && n < sizeof(buf) - 1; i++) {
            char c = t[i];
            if (isdigit((unsigned char)c))
                buf[n++] = c;
            else if (c == ',' && i + 1 < len && isdigit((unsigned char)t[i + 1]))
                continue; /* 12,345 */
            else if (c == '.' && !dot && i + 1 < len && isdigit((unsigned char)t[i + 1])) {
                buf[n++] = c;
                dot = true;
            } else
                break;
        }
        buf[n] = '\0';
        snprintf(digits, dsize, "%s", buf);
        char *end;
        *v = strtod(buf, &end);
        return *end == '\0' && isfinite(*v);
    }
    return false;
}

static int validate_number(const struct flow_input *in, const char *t, size_t len, char *out,
                           size_t outsize)
{
    double v;
    char range[96] = "";
    if (in->has_min && in->has_max)
        snprintf(range, sizeof(range), " between %.15g and %.15g", in->min, in->max);
    else if (in->has_min)
        snprintf(range, sizeof(range), " of at least %.15g", in->min);
    else if (in->has_max)
        snprintf(range, sizeof(range), " of at most %.15g", in->max);
    char hint[160];
    snprintf(hint, sizeof(hint), "Please give a %snumber%s.", in->integer ? "whole " : "", range);
    char digits[64];
    if (!first_number(t, len, &v, digits, sizeof(digits))) return fail(out, outsize, hint);
    if ((in->has_min && v < in->min) || (in->has_max && v > in->max) ||
        (in->integer && floor(v) != v))
        return fail(out, outsize, hint);
    /* A whole number keeps its digits as written: meter readings and account numbers have
     * leading zeros that matter. */
    if (in->integer && strspn(digits, "0123456789") == strlen(digits))
        snprintf(out, outsize, "%s", digits);
    else
        snprintf(out, outsize, "%.15g", v);
    return 0;
}

/* ---- dates ------------------------------------------------------------------------------ */

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool date_ok(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
    return d <= days[m - 1] + (m == 2 && leap(y) ? 1 : 0);
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    /* days since 1970-01-01 → date (Howard Hinnant's algorithm) */
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2 ? 1 : 0));
}

static int month_word(const char *w, size_t len)
{
    if (len < 3) return 0;
    for (int k = 0; k < 12; k++)
        if (strncmp(w, months[k], 3) == 0) return k + 1;
    return 0;
}

/* Words of the normalised text: numbers and month names; "14th" counts as 14. */
static bool parse_words_date(const char *norm, int *y, int *m, int *d, int this_year)
{
    int nums[3], nnum = 0, month = 0;
    const char *p = norm;
    while (*p != '\0') {
        while (*p == ' ') p++;
        const char *w = p;
        while (*p != '\0' && *p != ' ') p++;
        size_t len = (size_t)(p - w);
        if (len == 0) break;
        if (isdigit((unsigned char)w[0])) {
            char *end;
            long v = strtol(w, &end, 10);
            size_t rest = (size_t)(w + len - end);
            bool suffix = rest == 0 ||
                          (rest == 2 && (strncmp(end, "st", 2) == 0 || strncmp(end, "nd", 2) == 0 ||
                                         strncmp(end, "rd", 2) == 0 || strncmp(end, "th", 2) == 0));
            if (suffix && nnum < 3) nums[nnum++] = (int)v;
        } else if (month == 0) {
            month = month_word(w, len);
        }
    }
    if (month == 0 || nnum == 0) return false;
    *m = month;
    *d = nums[0];
    *y = nnum > 1 ? nums[1] : this_year;
    if (*d > 31 && nnum > 1) { /* "2026 march 14" */
        *y = nums[0];
        *d = nums[1];
    }
    if (*y < 100) *y += 2000;
    return true;
}

static int validate_date(const char *t, size_t len, int64_t now_ms, char *out, size_t outsize)
{
    static const char hint[] = "Please give a date, for example 14/03/2026 or 14 March 2026.";
    char norm[256];
    bot_normalise(t, len, norm, sizeof(norm));
    int y = 0, m = 0, d = 0;
    int64_t today = now_ms / 86400000;
    int ty, tm, td;
    civil_from_days(today, &ty, &tm, &td);
    bool found = false;
    if (strstr(norm, "today") != NULL) {
        y = ty, m = tm, d = td;
        found = true;
    } else if (strstr(norm, "tomorrow") != NULL) {
        civil_from_days(today + 1, &y, &m, &d);
        found = true;
    }
    /* numeric forms in the raw text: 2026-03-14, 14/03/2026, 14-03-26, 14.03.2026 */
    for (size_t i = 0; !found && i < len; i++) {
        if (!isdigit((unsigned char)t[i]) || (i > 0 && isdigit((unsigned char)t[i - 1]))) continue;
        int a, b, c, n = 0;
        char s1, s2;
        char buf[32];
        size_t k = 0;
        for (size_t j = i; j < len && k < sizeof(buf) - 1; j++) buf[k++] = t[j];
        buf[k] = '\0';
        if (sscanf(buf, "%4d%c%2d%c%4d%n", &a, &s1, &b, &s2, &c, &n) == 5 && s1 == s2 &&
            (s1 == '/' || s1 == '-' || s1 == '.')) {
            if (a >= 1000) /* ISO: year first */
                y = a, m = b, d = c;
            else
                d = a, m = b, y = c < 100 ? c + 2000 : c;
            found = true;
        }
    }
    if (!found) found = parse_words_date(norm, &y, &m, &d, ty);
    if (!found || !date_ok(y, m, d)) return fail(out, outsize, hint);
    snprintf(out, outsize, "%04d-%02d-%02d", y, m, d);
    return 0;
}

/* ---- email -------------------------------------------------------------------------------- */

static bool email_char(char c)
{
    return isalnum((unsigned char)c) || strchr("._%+-'", c) != NULL;
}

static int validate_email(const char *t, size_t len, char *out, size_t outsize)
{
    static const char hint[] = "Please give an email address, for example name@example.com.";
    const char *at = memchr(t, '@', len);
    if (at == NULL) return fail(out, outsize, hint);
    size_t a = (size_t)(at - t), s = a, e = a + 1;
    while (s > 0 && email_char(t[s - 1])) s--;
    while (e < len && (isalnum((unsigned char)t[e]) || t[e] == '.' || t[e] == '-')) e++;
    while (e > a + 1 && t[e - 1] == '.') e--; /* the full stop ending the sentence */
    size_t local = a - s, domain = e - a - 1;
    if (local == 0 || local > 64 || domain < 3 || domain > 253 || e - s >= outsize)
        return fail(out, outsize, hint);
    const char *dom = at + 1;
    const char *dot = memchr(dom, '.', domain);
    if (dot == NULL || dom[0] == '.' || dom[0] == '-' || memmem(dom, domain, "..", 2) != NULL ||
        t[s] == '.' || t[a - 1] == '.')
        return fail(out, outsize, hint);
    const char *last = dom + domain;
    const char *tld = last;
    while (tld > dom && tld[-1] != '.') tld--;
    if (last - tld < 2) return fail(out, outsize, hint);
    for (const char *p = tld; p < last; p++)
        if (!isalpha((unsigned char)*p)) return fail(out, outsize, hint);
    memcpy(out, t + s, e - s);
    out[e - s] = '\0';
    for (char *p = out + local; *p != '\0'; p++) *p = (char)tolower((unsigned char)*p);
    return 0;
}

/* ---- UK postcodes --------------------------------------------------------------------------- */

/* Outward code patterns: A9, A99, AA9, AA99, A9A, AA9A (A letter, 9 digit); inward 9AA. */
static bool outward_ok(const char *s, size_t n)
{
    char p[5];
    if (n < 2 || n > 4) return false;
    for (size_t i = 0; i < n; i++)
        p[i] = isalpha((unsigned char)s[i]) ? 'A' : isdigit((unsigned char)s[i]) ? '9' : '?';
    p[n] = '\0';
    return strcmp(p, "A9") == 0 || strcmp(p, "A99") == 0 || strcmp(p, "AA9") == 0 ||
           strcmp(p, "AA99") == 0 || strcmp(p, "A9A") == 0 || strcmp(p, "AA9A") == 0;
}

static bool inward_ok(const char *s)
{
    return isdigit((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
           isalpha((unsigned char)s[2]);
}

static int validate_postcode(const char *t, size_t len, char *out, size_t outsize)
{
    static const char hint[] = "Please give a UK postcode, for example SW1A 1AA.";
    /* compact the alphanumerics of each word run, then try every split ending in 9AA */
    char word[BOT_TEXT_MAX];
    size_t i = 0;
    while (i < len) {
        while (i < len && !isalnum((unsigned char)t[i])) i++;
        /* a candidate: up to two words, 5 to 7 alphanumerics in all */
        size_t n = 0, j = i, words = 0;
        while (j < len && words < 2) {
            size_t start = n;
            while (j < len && isalnum((unsigned char)t[j]) && n < 8)
                word[n++] = (char)toupper((unsigned char)t[j++]);
            if (n == start) break;
            words++;
            if (n >= 5 && n <= 7 && outward_ok(word, n - 3) && inward_ok(word + n - 3)) {
                bool edge = j >= len || !isalnum((unsigned char)t[j]);
                if (edge && n + 2 <= outsize) {
                    memcpy(out, word, n - 3);
                    out[n - 3] = ' ';
                    memcpy(out + n - 2, word + n - 3, 3);
                    out[n + 1] = '\0';
                    return 0;
                }
            }
            if (j < len && t[j] == ' ')
                j++;
            else
                break;
        }
        while (i < len && isalnum((unsigned char)t[i])) i++;
    }
    return fail(out, outsize, hint);
}

/* ---- choices and text ----------------------------------------------------------------------- */

/* Whether phrase (normalised) occurs in norm as whole words. */
static bool has_words(const char *norm, const char *phrase)
{
    size_t pl = strlen(phrase);
    if (pl == 0) return false;
    for (const char *p = strstr(norm, phrase); p != NULL; p = strstr(p + 1, phrase)) {
        bool start = p == norm || p[-1] == ' ';
        bool end = p[pl] == '\0' || p[pl] == ' ';
        if (start && end) return true;
    }
    return false;
}

static int validate_choice(const struct flow_input *in, const char *t, size_t len, char *out,
                           size_t outsize)
{
    char norm[BOT_TEXT_MAX], opt[256];
    bot_normalise(t, len, norm, sizeof(norm));
    int found = -1;
    for (size_t c = 0; c < in->n_choices; c++) {
        const struct flow_choice *ch = &in->choices[c];
        bool hit = false;
        bot_normalise(ch->value, strlen(ch->value), opt, sizeof(opt));
        hit = has_words(norm, opt);
        for (size_t k = 0; !hit && k < ch->n_synonyms; k++) {
            bot_normalise(ch->synonyms[k], strlen(ch->synonyms[k]), opt, sizeof(opt));
            hit = has_words(norm, opt);
        }
        /* "2" picks the second option when the customer answers with its number alone */
        if (!hit && (size_t)atoi(norm) == c + 1 && strspn(norm, "0123456789") == strlen(norm))
            hit = true;
        if (hit && found >= 0 && found != (int)c) {
            found = -2; /* two different choices: ambiguous */
            break;
        }
        if (hit) found = (int)c;
    }
    if (found < 0) {
        size_t n = (size_t)snprintf(out, outsize, "Please choose one of: ");
        for (size_t c = 0; c < in->n_choices && n < outsize; c++)
            n += (size_t)snprintf(out + n, outsize - n, "%s%s", c > 0 ? ", " : "",
                                  in->choices[c].value);
        if (n < outsize) snprintf(out + n, outsize - n, ".");
        return PARLEY_EINVAL;
    }
    snprintf(out, outsize, "%s", in->choices[found].value);
    return 0;
}

static int validate_text(const struct flow_input *in, const char *t, size_t len, char *out,
                         size_t outsize)
{
    while (len > 0 && isspace((unsigned char)*t)) t++, len--;
    while (len > 0 && isspace((unsigned char)t[len - 1])) len--;
    size_t max = in->max_length > 0 ? in->max_length : 500;
    if (len == 0) return fail(out, outsize, "Please type your answer.");
    if (len > max || len >= outsize) {
        char hint[96];
        snprintf(hint, sizeof(hint), "Please keep it to %zu characters or fewer.", max);
        return fail(out, outsize, hint);
    }
    memcpy(out, t, len);
    out[len] = '\0';
    return 0;
}

int bot_validate(const struct flow_input *in, const char *text, size_t len, int64_t now_ms,
                 char *out, size_t outsize)
{
    if (outsize == 0) return PARLEY_EINVAL;
    if (len > BOT_TEXT_MAX) len = BOT_TEXT_MAX;
    switch (in->type) {
    case INPUT_NUMBER:
        return validate_number(in, text, len, out, outsize);
    case INPUT_DATE:
        return validate_date(text, len, now_ms, out, outsize);
    case INPUT_EMAIL:
        return validate_email(text, len, out, outsize);
    case INPUT_POSTCODE:
        return validate_postcode(text, len, out, outsize);
    case INPUT_CHOICE:
        return validate_choice(in, text, len, out, outsize);
    case INPUT_TEXT:
        return validate_text(in, text, len, out, outsize);
    }
    return fail(out, outsize, "Please try again.");
}

size_t bot_normalise(const char *text, size_t len, char *out, size_t outsize)
{
    size_t n = 0;
    bool space = true; /* no leading space */
    if (outsize == 0) return 0;
    if (len > BOT_TEXT_MAX) len = BOT_TEXT_MAX;
    for (size_t i = 0; i < len && n + 1 < outsize; i++) {
        unsigned char c = (unsigned char)text[i];
        bool keep = isalnum(c) || c >= 0x80 || c == '\'';
        if (keep) {
            out[n++] = (char)tolower(c);
            space = false;
        } else if (!space) {
            out[n++] = ' ';
            space = true;
        }
    }
    while (n > 0 && out[n - 1] == ' ') n--;
    out[n] = '\0';
    return n;
}
