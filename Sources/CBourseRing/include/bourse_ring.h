#ifndef BOURSE_RING_H
#define BOURSE_RING_H
/* Placeholder: the shared-memory ring is being written. */
int bourse_ring_placeholder(void);
#endif
