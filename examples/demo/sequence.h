/* sequence.h: the demo's text rendering of the trace as a sequence diagram
 * (one lane per participant, one arrow per call or return). */
#ifndef DEMO_SEQUENCE_H
#define DEMO_SEQUENCE_H

#include <stdio.h>

/* Prints the current world's trace (fws2/trace.h) as a text sequence
 * diagram: a lane per participant in order of appearance (application,
 * ws2_32, the layers, the base provider), a line per call (solid arrow) or
 * return (dotted arrow; a return that directly follows its call shares the
 * call's line), the calling thread on the left (T1, T2, ... in order of
 * appearance). Kernel32 and allocation events are left out. */
void demo_print_sequence(FILE *out);

#endif
