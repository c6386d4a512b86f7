#ifndef RENEWAL_RECON_CLIBXML2_SHIM_H
#define RENEWAL_RECON_CLIBXML2_SHIM_H

// Debian builds libxml2 with ICU, and its headers then include the system ICU
// (unicode/ucnv.h), whose enums clash with Foundation's own ICU in the same module.
// The parser never uses libxml2's ICU conversions, so the flag is dropped before the
// headers that would pull ICU in.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/encoding.h>
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

// Japanese senders write cp932 (Windows-31J) and declare it "Shift_JIS": the IBM characters
// as Windows writes them (髙 as 0xEEE0) are cp932's, not Shift_JIS's, and such a file would
// be refused at its first one. So the declared names read as cp932, as the CSV profiles'
// `cp932` does. The two also differ in a few mappings, which cp932's writers mean: 0x5C and
// 0x7E read as \ and ~ (not as the yen sign and overline), 0x8160 as a full-width tilde (not
// a wave dash). The aliases are global to libxml2 and not thread-safe: set once, before any
// parse.
static inline void recon_libxml2_read_shift_jis_as_cp932(void) {
    static const char *const names[] = {"SHIFT_JIS", "SHIFT-JIS", "SJIS", "X-SJIS", "MS_KANJI", "CSSHIFTJIS"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        xmlAddEncodingAlias("CP932", names[i]);
    }
}

#endif
