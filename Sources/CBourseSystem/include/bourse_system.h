#ifndef BOURSE_SYSTEM_H
#define BOURSE_SYSTEM_H
/* Small wrappers for Linux calls Swift cannot make directly (variadic
 * functions, GNU extensions hidden behind _GNU_SOURCE). Each returns 0 or
 * -1 with errno set, like the call it wraps. */

/** Names the calling thread (at most 15 bytes are kept). */
int bourse_set_thread_name(const char *name);

#endif
