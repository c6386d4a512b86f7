/*
 * bench-raw: the physical floor of scripts/bench.
 *
 * Parses each file given as an argument with libxml2's SAX2 push parser and no callbacks
 * at all (a zeroed xmlSAXHandler marked XML_SAX2_MAGIC), fed in 256 KiB chunks with
 * XML_PARSE_NONET, the way the job's camt reader feeds it; prints the bytes parsed.
 * Exits 1 when a file cannot be read or is not well-formed.
 *
 * Built by scripts/bench:
 *   cc -O2 $(pkg-config --cflags libxml-2.0) scripts/bench-raw.c -o OUT $(pkg-config --libs libxml-2.0)
 */
#include <libxml/xmlversion.h>
/* Debian builds libxml2 with ICU; its headers would then pull in the ICU headers. */
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (256 * 1024)

static int parse_file(const char *path, char *buffer, unsigned long long *total) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        perror(path);
        return -1;
    }
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;

    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, path);
    if (ctxt == NULL) {
        fprintf(stderr, "%s: cannot create the parser\n", path);
        fclose(file);
        return -1;
    }
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);

    int status = 0;
    size_t got;
    while (status == 0 && (got = fread(buffer, 1, CHUNK, file)) > 0) {
        *total += got;
        status = xmlParseChunk(ctxt, buffer, (int)got, 0);
    }
    if (ferror(file)) {
        perror(path);
        status = -1;
    }
    if (status == 0) status = xmlParseChunk(ctxt, NULL, 0, 1);
    int ok = status == 0 && ctxt->wellFormed;
    if (!ok) {
        fprintf(stderr, "%s: not well-formed (line %d)\n", path, xmlSAX2GetLineNumber(ctxt));
    }
    xmlFreeParserCtxt(ctxt);
    fclose(file);
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argv[0]);
        return 64;
    }
    LIBXML_TEST_VERSION
    char *buffer = malloc(CHUNK);
    if (buffer == NULL) return 70;
    unsigned long long total = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        if (parse_file(argv[i], buffer, &total) != 0) failed = 1;
    }
    free(buffer);
    xmlCleanupParser();
    printf("%llu bytes in %d file(s)\n", total, argc - 1);
    return failed;
}
