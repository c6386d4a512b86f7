#ifndef RENEWAL_RECON_CLIBXML2_SHIM_H
#define RENEWAL_RECON_CLIBXML2_SHIM_H

// Debian builds libxml2 with ICU, and its headers then include the system ICU
// (unicode/ucnv.h), whose enums clash with Foundation's own ICU in the same module.
// The parser never uses libxml2's ICU conversions, so the flag is dropped before the
// headers that would pull ICU in.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>

// libxml2 prints some errors (encoding conversions, I/O) through its generic error function,
// straight to stderr. The reader reports every error itself, with its position, so this
// function, variadic and so written in C, swallows them. The setting is per thread: call it
// on the thread that parses.
static inline void recon_libxml2_ignore_error(void *context, const char *message, ...) {
    (void)context;
    (void)message;
}

static inline void recon_libxml2_silence_generic_errors(void) {
    xmlSetGenericErrorFunc(NULL, recon_libxml2_ignore_error);
}

#endif
