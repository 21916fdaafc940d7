#include "bourse_ring.h"
int bourse_ring_placeholder(void) { return 0; }
