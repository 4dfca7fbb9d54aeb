/* placeholder until the command line lands */
#include <stdio.h>
#include "cli.h"
int cli_main(int argc, char **argv) { (void)argc; (void)argv; fputs("pouch: not yet\n", stderr); return EXIT_POUCH_USAGE; }
