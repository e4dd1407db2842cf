// SPDX-License-Identifier: GPL-2.0
/* Messages to the operator (err.h). */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

const char *mdm_prog = "migrate-dm";

void mdm_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", mdm_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
