/*
 * main.c: picks the entry point. The offline MIME commands (--dump-mime,
 * --extract) live in src/cli_mime.c; everything else, the POP3 command line
 * and (later) the full-screen reader, in src/cli.c.
 */
#include <locale.h>
#include <string.h>

#include <pouch/cli.h>

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
			return cli_mime_main(argc, argv);
	}
	return cli_main(argc, argv);
}
