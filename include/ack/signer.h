/* The V3 ACS3-HMAC-SHA256 signature: canonical request, string to sign, Authorization. */
#pragma once

#include <stddef.h>

typedef struct SignHeader {
        const char *name;  /* any case; lowercased for signing */
        const char *value; /* trimmed for signing */
} SignHeader;

typedef struct SignInput {
        const char *method;          /* "GET" */
        const char *canonical_uri;   /* already percent-encoded path, "/tasks/T-..." */
        const char *canonical_query; /* "" when none (keys sorted, values encoded) */
        const SignHeader *headers;   /* the headers to sign: host, content-type, x-acs-* */
        size_t n_headers;
        const char *hashed_payload; /* lowercase hex SHA-256 of the body */
} SignInput;

typedef struct SignOutput {
        char *canonical_request;
        char *string_to_sign;
        char *signed_headers;
        char *authorization; /* "ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=..." */
} SignOutput;

/* Compute everything from input with the given key. Returns 0 or -ENOMEM / -EINVAL. */
int signer_sign(const SignInput *in, const char *access_key_id, const char *access_key_secret,
                SignOutput *ret);
void sign_output_clear(SignOutput *o);

/* Lowercase hex SHA-256 of data into out (65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);
