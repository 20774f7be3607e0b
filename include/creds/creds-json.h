/* The replies that carry temporary credentials: the ECS metadata server's and STS's. */
#pragma once

#include <stddef.h>

#include "creds/credentials.h"
#include "util/time-util.h"

/* GET /latest/meta-data/ram/security-credentials/<role>: {"Code": "Success", "AccessKeyId",
 * "AccessKeySecret", "SecurityToken", "Expiration", ...}. source goes into the Credentials.
 * -EBADMSG with *error (never quoting a secret) when it is not that. */
int creds_parse_metadata_reply(const char *body, size_t len, const char *source,
                               Credentials **ret, char **error);

/* An STS reply ({"Credentials": {...}}, HTTP 200) or its error body ({"Code", "Message",
 * "RequestId"}, any other status): -EBADMSG with *error saying which. */
int creds_parse_sts_reply(long http_status, const char *body, size_t len, const char *source,
                          Credentials **ret, char **error);
