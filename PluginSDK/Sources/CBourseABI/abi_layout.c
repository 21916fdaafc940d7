/* Compiles the ABI header once inside the SDK so that its layout asserts run
 * on every build, and provides a symbol SwiftPM needs for a C target. */
#include "bourse_plugin.h"

/** The ABI version this copy of the header describes, as "major.minor". */
const char *bourse_abi_header_version(void) {
#define BOURSE_STR2(x) #x
#define BOURSE_STR(x) BOURSE_STR2(x)
    return BOURSE_STR(BOURSE_ABI_MAJOR) "." BOURSE_STR(BOURSE_ABI_MINOR);
}

/* Sizes of ABI 1.0 structs that the host treats as minimums: frozen. */
_Static_assert(offsetof(bourse_plugin_descriptor, permissions) == 64, "ABI 1.0 descriptor is 64 bytes; 1.1 appends permissions");
_Static_assert(sizeof(bourse_plugin_descriptor) == 72, "ABI 1.1 descriptor is 72 bytes");
_Static_assert(sizeof(bourse_plugin_api) == 64, "ABI 1.0 plugin api is 64 bytes");
_Static_assert(offsetof(bourse_host_api, restart_count) == 8 + 17 * 8, "ABI 1.0 host api size; 1.2 appends restart_count");
_Static_assert(sizeof(bourse_host_api) == 8 + 19 * 8, "ABI 1.2 host api size: restart_count, run_id");
