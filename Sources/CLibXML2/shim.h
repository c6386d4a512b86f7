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

#endif
