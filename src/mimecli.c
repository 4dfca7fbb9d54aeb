/* placeholder until the MIME commands land */
#include <stdio.h>
#include "cli.h"
int mimecli_main(int argc, char **argv) { (void)argc; (void)argv; fputs("pouch: not yet\n", stderr); return EXIT_POUCH_USAGE; }
