// A webhook receiver (an HTTP function): checks the HMAC-SHA256 signature a sender puts in `X-Hub-Signature-256`
// (`sha256=<hex>` over the raw body, as GitHub and many others sign) with the secret in WEBHOOK_SECRET (deploy it as a
// function secret), then accepts the event.
//
//   POST with a valid signature  -> 202 and {"accepted":true,"event":"<X-GitHub-Event or ->","bytes":N}
//   POST with a missing or bad one -> 401 and a JSON error
//   any other method               -> 405 with Allow: POST
//
// The request comes as CGI variables (REQUEST_METHOD, HTTP_X_HUB_SIGNATURE_256, ...) and the body on stdin; the
// response is CGI headers on stdout, a blank line, then the body.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- SHA-256 (FIPS 180-4) and HMAC (RFC 2104) ----

typedef struct {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    size_t used;
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_compress(sha256 *s, const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->state[0], b = s->state[1], c = s->state[2], d = s->state[3];
    uint32_t e = s->state[4], f = s->state[5], g = s->state[6], h = s->state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s->state[0] += a; s->state[1] += b; s->state[2] += c; s->state[3] += d;
    s->state[4] += e; s->state[5] += f; s->state[6] += g; s->state[7] += h;
}

static void sha256_init(sha256 *s) {
    static const uint32_t initial[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(s->state, initial, sizeof initial);
    s->length = 0;
    s->used = 0;
}

static void sha256_update(sha256 *s, const uint8_t *data, size_t size) {
    s->length += size;
    while (size > 0) {
        size_t take = 64 - s->used < size ? 64 - s->used : size;
        memcpy(s->block + s->used, data, take);
        s->used += take;
        data += take;
        size -= take;
        if (s->used == 64) {
            sha256_compress(s, s->block);
            s->used = 0;
        }
    }
}

static void sha256_final(sha256 *s, uint8_t digest[32]) {
    uint64_t bits = s->length * 8;
    uint8_t pad = 0x80;
    sha256_update(s, &pad, 1);
    uint8_t zero = 0;
    while (s->used != 56) {
        sha256_update(s, &zero, 1);
    }
    uint8_t length[8];
    for (int i = 0; i < 8; i++) {
        length[i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    sha256_update(s, length, 8);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(s->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(s->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(s->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)s->state[i];
    }
}

static void hmac_sha256(const uint8_t *key, size_t key_size, const uint8_t *data, size_t size, uint8_t mac[32]) {
    uint8_t block[64] = {0};
    if (key_size > 64) {
        sha256 s;
        sha256_init(&s);
        sha256_update(&s, key, key_size);
        sha256_final(&s, block);
    } else {
        memcpy(block, key, key_size);
    }
    uint8_t inner_pad[64], outer_pad[64];
    for (int i = 0; i < 64; i++) {
        inner_pad[i] = block[i] ^ 0x36;
        outer_pad[i] = block[i] ^ 0x5c;
    }
    uint8_t inner[32];
    sha256 s;
    sha256_init(&s);
    sha256_update(&s, inner_pad, 64);
    sha256_update(&s, data, size);
    sha256_final(&s, inner);
    sha256_init(&s);
    sha256_update(&s, outer_pad, 64);
    sha256_update(&s, inner, 32);
    sha256_final(&s, mac);
}

// ---- the function ----

static void respond(int status, const char *reason, const char *extra_header, const char *json) {
    printf("Status: %d %s\r\n", status, reason);
    if (extra_header) {
        printf("%s\r\n", extra_header);
    }
    printf("Content-Type: application/json\r\n\r\n%s\n", json);
}

// Compares in time independent of where the strings differ.
static int equal_in_constant_time(const char *a, const char *b) {
    size_t n = strlen(a);
    if (n != strlen(b)) {
        return 0;
    }
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++) {
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
    }
    return diff == 0;
}

int main(void) {
    const char *method = getenv("REQUEST_METHOD");
    if (!method || strcmp(method, "POST") != 0) {
        respond(405, "Method Not Allowed", "Allow: POST", "{\"error\":\"send the event with POST\"}");
        return 0;
    }

    const char *secret = getenv("WEBHOOK_SECRET");
    if (!secret || !*secret) {
        respond(500, "Internal Server Error", NULL, "{\"error\":\"WEBHOOK_SECRET is not set: deploy it as a secret\"}");
        return 0;
    }

    // The raw body, byte for byte: the signature is over exactly these bytes.
    size_t size = 0, capacity = 64 * 1024;
    uint8_t *body = malloc(capacity);
    size_t n;
    while (body && (n = fread(body + size, 1, capacity - size, stdin)) > 0) {
        size += n;
        if (size == capacity) {
            capacity *= 2;
            body = realloc(body, capacity);
        }
    }
    if (!body) {
        respond(500, "Internal Server Error", NULL, "{\"error\":\"out of memory\"}");
        return 0;
    }

    uint8_t mac[32];
    hmac_sha256((const uint8_t *)secret, strlen(secret), body, size, mac);
    char expected[7 + 64 + 1] = "sha256=";
    for (int i = 0; i < 32; i++) {
        snprintf(expected + 7 + 2 * i, 3, "%02x", mac[i]);
    }

    const char *signature = getenv("HTTP_X_HUB_SIGNATURE_256");
    if (!signature || !equal_in_constant_time(signature, expected)) {
        respond(401, "Unauthorized", NULL, "{\"error\":\"the X-Hub-Signature-256 header is missing or does not match the body\"}");
        return 0;
    }

    const char *event = getenv("HTTP_X_GITHUB_EVENT");
    char accepted[256];
    snprintf(accepted, sizeof accepted, "{\"accepted\":true,\"event\":\"%.64s\",\"bytes\":%zu}",
             event && strspn(event, "abcdefghijklmnopqrstuvwxyz_") == strlen(event) ? event : "-", size);
    respond(202, "Accepted", NULL, accepted);
    // The event would be handed on here (an enqueue of another function, say). stderr goes to the execution's record.
    fprintf(stderr, "accepted a %zu-byte event\n", size);
    return 0;
}
