/* Redaction of personal data in free text (redact.h). Each rule is a small hand-written
 * matcher: no regex engine, every match is bounded and the whole pass is linear in the input
 * (each matcher looks at most ~270 bytes ahead, and most give up at the first byte). */
#include "redact.h"
#include "core_json.h"

#include <stdbool.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII letters and digits: what glues a token to its neighbours. Other bytes (punctuation,
 * spaces, UTF-8 sequences) are boundaries. */
static bool is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

/* The byte before i as the output will have it: lo is where the text after the previous
 * match starts (that match becomes a token ending in ']'), so looking back never sees a byte
 * that is replaced, and redacting the output again finds nothing new. */
static char before(const char *s, size_t i, size_t lo)
{
    return i > lo ? s[i - 1] : ']';
}

/* Starts a token: the byte before i is not a letter or digit. */
static bool at_boundary(const char *s, size_t i, size_t lo)
{
    return !is_alnum(before(s, i, lo));
}

/* Ends a token: the byte at i is not a letter or digit. */
static bool ends_token(const char *s, size_t i, size_t n)
{
    return i >= n || !is_alnum(s[i]);
}

/* ---- the matchers: length of the match starting at s[i], or 0 ------------------------------ */

static bool email_local(char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* local@domain.tld: local part up to 64 bytes, then dot-separated labels of letters, digits
 * and '-'; the address ends after the last label of two or more letters that follows at least
 * one other label ("a@b.cc.123456" is "[email].123456", so redacting twice changes nothing). */
static size_t match_email(const char *s, size_t i, size_t n, size_t lo)
{
    if (!email_local(s[i]) || email_local(before(s, i, lo))) return 0;
    size_t j = i;
    while (j < n && email_local(s[j]) && j - i < 64) j++;
    if (j >= n || s[j] != '@') return 0;
    size_t k = j + 1, best = 0;
    int labels = 0;
    while (k < n && k - j < 200) {
        size_t start = k;
        bool letters = true;
        for (; k < n && (is_alnum(s[k]) || s[k] == '-'); k++)
            if (!is_alpha(s[k])) letters = false;
        if (k == start) break;
        if (++labels >= 2 && letters && k - start >= 2) best = k;
        if (k + 1 < n && s[k] == '.' && (is_alnum(s[k + 1]) || s[k + 1] == '-'))
            k++;
        else
            break;
    }
    return best != 0 ? best - i : 0;
}

static bool luhn(const int *digits, size_t nd)
{
    int sum = 0;
    for (size_t k = 0; k < nd; k++) {
        int d = digits[nd - 1 - k];
        if (k % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return sum % 10 == 0;
}

/* 13 to 19 digits, single spaces or dashes allowed between them, passing the Luhn check. The
 * digits may run on in further groups ("4111 1111 1111 1111 2024"): the longest leading run of
 * whole groups that is a card number matches, so what follows a match never changes it. */
static size_t match_card(const char *s, size_t i, size_t n, size_t lo)
{
    if (!is_digit(s[i]) || !at_boundary(s, i, lo)) return 0;
    int digits[19];
    size_t nd = 0, j = i, best = 0;
    while (j < n && is_digit(s[j]) && nd < 19) {
        digits[nd++] = s[j++] - '0';
        if (j < n && is_digit(s[j])) continue;
        /* the end of a group */
        if (nd >= 13 && ends_token(s, j, n) && luhn(digits, nd)) best = j;
        if (j + 1 < n && (s[j] == ' ' || s[j] == '-') && is_digit(s[j + 1])) j++;
    }
    return best != 0 ? best - i : 0;
}

/* UK numbers: +44 / 0044 (optionally "(0)") or a trunk 0 (optionally in brackets with the
 * area code: "(020) 7946 0958"), then 9 or 10 national digits not starting with 0, single
 * spaces or dashes allowed between digits. As with cards, the longest leading run of whole
 * groups that is a phone number matches. */
static size_t match_phone(const char *s, size_t i, size_t n, size_t lo)
{
    /* '+' and '(' are boundaries of their own */
    if (s[i] != '+' && s[i] != '(' && !at_boundary(s, i, lo)) return 0;
    size_t j = i;
    bool paren = false;
    if (n - i >= 3 && memcmp(s + i, "+44", 3) == 0) {
        j += 3;
    } else if (n - i >= 4 && memcmp(s + i, "0044", 4) == 0) {
        j += 4;
    } else {
        if (j < n && s[j] == '(') {
            paren = true;
            j++;
        }
        if (j >= n || s[j] != '0') return 0;
        j++;
    }
    if (j > i + 2 && !paren) { /* after an international prefix */
        if (j < n && s[j] == ' ') j++;
        if (n - j >= 3 && memcmp(s + j, "(0)", 3) == 0) j += 3;
        if (j < n && s[j] == ' ') j++;
    }
    if (j >= n || s[j] < '1' || s[j] > '9') return 0;
    size_t nd = 0, best = 0;
    while (j < n && is_digit(s[j]) && nd < 10) {
        nd++;
        j++;
        if (j < n && is_digit(s[j])) continue;
        /* the end of a group */
        size_t k = j;
        if (paren && k < n && s[k] == ')') {
            paren = false;
            k++;
        }
        if (nd >= 9 && !paren && ends_token(s, j, n)) best = j;
        if (k < n && (s[k] == ' ' || s[k] == '-')) k++;
        if (k > j && k < n && is_digit(s[k])) j = k;
    }
    return best != 0 ? best - i : 0;
}

/* UK postcodes, any case: outward code A9, A99, AA9, AA99, A9A or AA9A, an optional space,
 * inward code 9AA. */
static size_t match_postcode(const char *s, size_t i, size_t n, size_t lo)
{
    if (!is_alpha(s[i]) || !at_boundary(s, i, lo)) return 0;
    size_t j = i + 1;
    if (j < n && is_alpha(s[j])) j++;
    if (j >= n || !is_digit(s[j])) return 0;
    j++;
    for (int take = 1; take >= 0; take--) {
        size_t k = j;
        if (take) {
            if (k >= n || !is_alnum(s[k])) continue;
            k++;
        }
        if (k < n && s[k] == ' ') k++;
        if (k + 3 <= n && is_digit(s[k]) && is_alpha(s[k + 1]) && is_alpha(s[k + 2]) &&
            ends_token(s, k + 3, n))
            return k + 3 - i;
    }
    return 0;
}

/* Account numbers and other references: a stand-alone run of 6 or more digits (not glued to
 * letters, so "ACME-100231" keeps its letters and loses the number, "v2" stays). */
static size_t match_number(const char *s, size_t i, size_t n, size_t lo)
{
    if (!is_digit(s[i]) || !at_boundary(s, i, lo)) return 0;
    size_t j = i;
    while (j < n && is_digit(s[j])) j++;
    return j - i >= 6 && ends_token(s, j, n) ? j - i : 0;
}

/* ---- the table --------------------------------------------------------------------------------
 */

struct rule {
    struct redact_rule_info info;
    size_t (*match)(const char *s, size_t i, size_t n, size_t lo);
};

static const struct rule rules[] = {
    {{"email", "[email]", "local@domain.tld addresses"}, match_email},
    {{"card", "[card]", "13-19 digits (spaces or dashes between) passing the Luhn check"},
     match_card},
    {{"phone", "[phone]",
      "UK numbers: +44 / 0044 / 0 then 9-10 digits, spaces, dashes, (0) and (area) allowed"},
     match_phone},
    {{"postcode", "[postcode]", "UK postcodes such as SW1A 1AA or m1 1ae"}, match_postcode},
    {{"number", "[number]", "stand-alone runs of 6 or more digits (account numbers)"},
     match_number},
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

size_t redact_rules(const struct redact_rule_info **out)
{
    static struct redact_rule_info infos[N_RULES];
    for (size_t k = 0; k < N_RULES; k++) infos[k] = rules[k].info; /* same values every time */
    *out = infos;
    return N_RULES;
}

/* The redacted copy and its length (it may hold NUL bytes when s did). */
static char *redact_buf(const char *s, size_t len, struct arena *a, size_t *out_len, size_t *masked)
{
    /* every match is at least 5 bytes and every token at most 10: the copy is at most 2x */
    char *out = arena_alloc(a, len * 2 + 1);
    size_t w = 0, m = 0, lo = 0;
    if (out == NULL) return NULL;
    for (size_t i = 0; i < len;) {
        size_t got = 0;
        const struct rule *hit = NULL;
        char c = s[i];
        if (is_alnum(c) || c == '+' || c == '(' || c == '.' || c == '_' || c == '%' || c == '-') {
            for (size_t k = 0; k < N_RULES && got == 0; k++) {
                got = rules[k].match(s, i, len, lo);
                hit = &rules[k];
            }
        }
        if (got == 0) {
            out[w++] = s[i++];
            continue;
        }
        size_t tl = strlen(hit->info.token);
        memcpy(out + w, hit->info.token, tl);
        w += tl;
        i += got;
        lo = i;
        m++;
    }
    out[w] = '\0';
    *out_len = w;
    if (masked != NULL) *masked = m;
    return out;
}

char *redact_text(const char *s, size_t len, struct arena *a, size_t *masked)
{
    size_t n;
    return redact_buf(s != NULL ? s : "", s != NULL ? len : 0, a, &n, masked);
}

int redact_json_fields(json_t *obj, struct arena *a)
{
    static const char *const fields[] = {"body", "subject", "needs_note"};
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        json_t *v = json_object_get(obj, fields[k]);
        if (!json_is_string(v)) continue;
        size_t n, masked;
        char *r = redact_buf(json_string_value(v), json_string_length(v), a, &n, &masked);
        if (r == NULL) return -1;
        if (masked > 0 && json_string_setn(v, r, n) != 0) return -1;
    }
    return 0;
}

char *redact_json_text(const char *json, struct arena *a)
{
    if (json == NULL) return NULL;
    json_t *j = json_loads(json, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(j) || redact_json_fields(j, a) != 0) {
        json_decref(j);
        return NULL;
    }
    return core_json_dump(j, a);
}
