/*
 * main.c: picks the entry point. The offline MIME commands (--dump-mime,
 * --extract) live in src/mimecli.c; everything else, the POP3 command line
 * and (later) the full-screen reader, in src/cli.c.
 */
#include <locale.h>
#include <string.h>

#include "cli.h"

int
main(int argc, char **argv)
{
	int i;

	setlocale(LC_ALL, "");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--dump-mime") == 0 ||
		    strcmp(argv[i], "--extract") == 0)
			return mimecli_main(argc, argv);
	}
	return cli_main(argc, argv);
}
