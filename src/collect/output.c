/*
 * The table of output types.
 */
#include <string.h>

#include "output.h"

static const collect_output_type *const types[] = {
    &collect_out_file, &collect_out_stdout, &collect_out_syslog,
    &collect_out_http, &collect_out_kafka,
};

const collect_output_type *collect_output_find(const char *name)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(types[i]->name, name) == 0) {
            return types[i];
        }
    }
    return NULL;
}
