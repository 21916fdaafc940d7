#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include "bourse_system.h"

int bourse_set_thread_name(const char *name) {
    char buffer[16];
    strncpy(buffer, name, sizeof buffer - 1);
    buffer[sizeof buffer - 1] = '\0';
    return pthread_setname_np(pthread_self(), buffer);
}
