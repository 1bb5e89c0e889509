/* From text to feature keys: UTF-8 normalisation and tokens, Snowball stems, word unigrams
 * and bigrams, and character n-grams inside word boundaries, each hashed to a 64-bit key.
 * The stemmer and the buffers live in a per-thread scratch so nlu_predict allocates nothing. */
#include "nlu_int.h"

#include "common/util.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 and letters --------------------------------------------------------------------- */

/* Decodes one code point at s[0..len); *n gets its length. Returns -1 (and *n = 1) for a
 * malformed or overlong sequence or a surrogate. */
static int32_t utf8_next(const unsigned char *s, size_t len, size_t *n)
{
    *n = 1;
    unsigned c = s[0];
    if (c < 0x80) return (int32_t)c;
    size_t need;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (len < need) return -1;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    *n = need;
    return (int32_t)cp;
}

static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Lower case for ASCII, Latin-1 and Latin Extended-A; other code points unchanged. The
 * lower-case form always has the same UTF-8 length, so the output never outgrows the input. */
static uint32_t to_lower(uint32_t c)
{
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
    if (c >= 0x100 && c <= 0x137 && c != 0x130) return c | 1;
    if (c >= 0x139 && c <= 0x148 && (c & 1)) return c + 1;
    if (c >= 0x14A && c <= 0x177) return c | 1;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E && (c & 1)) return c + 1;
    return c;
}

static bool is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

/* Letters: ASCII letters, Latin letters, and any code point of other scripts outside the
 * punctuation, symbol, space and emoji blocks (so Welsh, Greek or Chinese words survive). */
static bool is_word_char(uint32_t c)
{
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c);
    if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7) return false;
    if (c >= 0x2000 && c <= 0x2BFF) return false; /* punctuation, symbols, arrows, shapes */
    if (c >= 0x3000 && c <= 0x303F) return false; /* CJK punctuation */
    if (c >= 0xFE00 && c <= 0xFE0F) return false; /* variation selectors */
    if (c >= 0xFF00 && c <= 0xFF0F) return false; /* full-width punctuation */
    if (c >= 0x1F000) return false;               /* emoji and pictographs */
    return true;
}

static bool is_apostrophe(uint32_t c)
{
    return c == '\'' || c == 0x2019 || c == 0x2018;
}

size_t nlu_tokenize(const char *text, size_t len, char *out, struct nlu_token *tokens,
                    size_t max_tokens)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0, n = 0, i = 0;
    bool in_word = false;
    while (i < len && n < max_tokens) {
        size_t step;
        int32_t cp = utf8_next(s + i, len - i, &step);
        i += step;
        if (cp >= 0 && is_word_char((uint32_t)cp)) {
            if (!in_word) {
                tokens[n].off = (uint32_t)o;
                tokens[n].len = 0;
                tokens[n].number = true;
                in_word = true;
            }
            size_t w = utf8_put(to_lower((uint32_t)cp), out + o);
            o += w;
            tokens[n].len += (uint32_t)w;
            if (!is_digit((uint32_t)cp)) tokens[n].number = false;
            continue;
        }
        /* an apostrophe between two letters is dropped: "can't" → "cant" */
        if (in_word && cp >= 0 && is_apostrophe((uint32_t)cp) && i < len) {
            size_t next_step;
            int32_t next = utf8_next(s + i, len - i, &next_step);
            if (next >= 0 && is_word_char((uint32_t)next) && !is_digit((uint32_t)next)) continue;
        }
        if (in_word) {
            n++;
            in_word = false;
        }
    }
    if (in_word) n++;
    return n;
}

/* ---- per-thread scratch -------------------------------------------------------------------- */

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_destroy(void *p)
{
    struct nlu_scratch *s = p;
    if (s == NULL) return;
    if (s->stemmer != NULL) sb_stemmer_delete(s->stemmer);
    free(s);
}

static void scratch_key_init(void)
{
    (void)pthread_key_create(&scratch_key, scratch_destroy);
}

struct nlu_scratch *nlu_scratch_get(const char *language)
{
    pthread_once(&scratch_once, scratch_key_init);
    struct nlu_scratch *s = pthread_getspecific(scratch_key);
    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s == NULL) return NULL;
        if (pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (s->stemmer == NULL || strcmp(s->language, language) != 0) {
        if (s->stemmer != NULL) sb_stemmer_delete(s->stemmer);
        s->stemmer = NULL;
        if (strlen(language) >= sizeof(s->language)) return NULL;
        s->stemmer = sb_stemmer_new(language, "UTF_8");
        if (s->stemmer == NULL) return NULL;
        snprintf(s->language, sizeof(s->language), "%s", language);
    }
    return s;
}

bool nlu_language_supported(const char *language)
{
    struct sb_stemmer *st = sb_stemmer_new(language, "UTF_8");
    if (st == NULL) return false;
    sb_stemmer_delete(st);
    return true;
}

/* ---- feature keys --------------------------------------------------------------------------- */

uint64_t nlu_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* FNV-1a over a kind byte and the feature's bytes. */
static uint64_t hash_bytes(unsigned char kind, const char *p, size_t n)
{
    return nlu_mix64(util_fnv1a(util_fnv1a(UTIL_FNV1A_BASIS, &kind, 1), p, n));
}

static const char NUM_TOKEN[] = "<num>";

/* Character n-grams of one token padded with a space each side, sizes char_min..char_max in
 * code points. Returns the new count. */
static size_t char_grams(const char *tok, size_t len, int char_min, int char_max, uint64_t *keys,
                         size_t k)
{
    char padded[NLU_MAX_TEXT + 2];
    uint32_t starts[NLU_MAX_TEXT + 3]; /* byte offset of each code point, then the end */
    padded[0] = ' ';
    memcpy(padded + 1, tok, len);
    padded[len + 1] = ' ';
    size_t plen = len + 2, nc = 0;
    for (size_t i = 0; i < plen; i++)
        if (((unsigned char)padded[i] & 0xC0) != 0x80) starts[nc++] = (uint32_t)i;
    starts[nc] = (uint32_t)plen;
    for (int n = char_min; n <= char_max; n++) {
        if ((size_t)n > nc) break;
        for (size_t c = 0; c + (size_t)n <= nc; c++) {
            size_t from = starts[c], to = starts[c + (size_t)n];
            keys[k++] =
                hash_bytes((unsigned char)('0' + n), padded + from, to - from) | NLU_KEY_CHAR_BIT;
        }
    }
    return k;
}

size_t nlu_text_keys(struct nlu_scratch *s, const char *text, size_t len, int char_min,
                     int char_max)
{
    if (len > NLU_MAX_TEXT) len = NLU_MAX_TEXT;
    size_t nt = nlu_tokenize(text, len, s->norm, s->tokens, NLU_MAX_TOKENS);
    size_t k = 0;
    uint64_t prev = 0;
    for (size_t t = 0; t < nt; t++) {
        const struct nlu_token *tok = &s->tokens[t];
        const char *w = s->norm + tok->off;
        uint64_t stem_hash;
        if (tok->number) {
            stem_hash = hash_bytes('w', NUM_TOKEN, sizeof(NUM_TOKEN) - 1);
        } else {
            const sb_symbol *st = sb_stemmer_stem(s->stemmer, (const sb_symbol *)w, (int)tok->len);
            if (st != NULL)
                stem_hash =
                    hash_bytes('w', (const char *)st, (size_t)sb_stemmer_length(s->stemmer));
            else
                stem_hash = hash_bytes('w', w, tok->len);
        }
        s->keys[k++] = stem_hash & ~NLU_KEY_CHAR_BIT;
        if (t > 0)
            s->keys[k++] = nlu_mix64(prev * UINT64_C(31) + stem_hash + 'b') & ~NLU_KEY_CHAR_BIT;
        prev = stem_hash;
        if (!tok->number && char_min > 0)
            k = char_grams(w, tok->len, char_min, char_max, s->keys, k);
    }
    return k;
}
