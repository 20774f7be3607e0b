/* The ACK endpoint of a region, derived the way the official SDK derives it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config-internal.h"

/* @alicloud/cs20151215 7.2.0, client.js _endpointMap (rule "regional"): these regions are
 * served by the central endpoint. The SDK consults the map before its network rule, so a
 * VPC client in one of them is sent there too; so are we. Sorted: searched with bsearch(). */
static const char *const central_regions[] = {
        "ap-northeast-2-pop",
        "cn-beijing-finance-pop",
        "cn-beijing-gov-1",
        "cn-beijing-nu16-b01",
        "cn-edge-1",
        "cn-fujian",
        "cn-haidian-cm12-c01",
        "cn-hangzhou-bj-b01",
        "cn-hangzhou-internal-prod-1",
        "cn-hangzhou-internal-test-1",
        "cn-hangzhou-internal-test-2",
        "cn-hangzhou-internal-test-3",
        "cn-hangzhou-test-306",
        "cn-hongkong-finance-pop",
        "cn-qingdao-nebula",
        "cn-shanghai-et15-b01",
        "cn-shanghai-et2-b01",
        "cn-shanghai-inner",
        "cn-shanghai-internal-test-1",
        "cn-shenzhen-inner",
        "cn-shenzhen-st4-d01",
        "cn-shenzhen-su18-b01",
        "cn-wuhan",
        "cn-yushanfang",
        "cn-zhangbei",
        "cn-zhangbei-na61-b01",
        "cn-zhangjiakou-na62-a01",
        "cn-zhengzhou-nebula-1",
        "eu-west-1-oxs",
        "rus-west-1-pop",
};

static const char *const network_names[_CONFIG_NETWORK_MAX] = {
        [CONFIG_NETWORK_PUBLIC] = "public",
        [CONFIG_NETWORK_VPC] = "vpc",
};

const char *config_network_to_string(ConfigNetwork n) {
        return n >= 0 && n < _CONFIG_NETWORK_MAX ? network_names[n] : NULL;
}

int config_network_from_string(const char *s) {
        for (size_t i = 0; i < _CONFIG_NETWORK_MAX; i++)
                if (streq(network_names[i], s))
                        return (int) i;
        return -EINVAL;
}

static int compare_region(const void *key, const void *member) {
        return strcmp(key, *(const char *const *) member);
}

bool config_region_is_central(const char *region) {
        return region && bsearch(region, central_regions, ELEMENTSOF(central_regions),
                                 sizeof(central_regions[0]), compare_region);
}

int config_endpoint_for_region(const char *region, ConfigNetwork network, char **ret) {
        char *e;
        int n;

        if (!region || !*region || !ret || network < 0 || network >= _CONFIG_NETWORK_MAX)
                return -EINVAL;
        if (config_region_is_central(region))
                e = strdup("https://cs.aliyuncs.com");
        else {
                n = asprintf(&e, "https://cs%s.%s.aliyuncs.com",
                             network == CONFIG_NETWORK_VPC ? "-vpc" : "", region);
                if (n < 0)
                        e = NULL;
        }
        if (!e)
                return -ENOMEM;
        *ret = e;
        return 0;
}
