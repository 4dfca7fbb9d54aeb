/*
 * main.c: picks the entry point. The offline MIME commands (--dump-mime,
 * --extract) live in src/cli_mime.c; a URL followed by COMMANDs is the POP3
 * command line (src/cli.c); a URL alone, an account (-a NAME) or nothing at
 * all opens the full-screen reader (src/ui_start.c).
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/cli.h>
#include <pouch/cli_args.h>
#include <pouch/ui_start.h>

int
main(int argc, char **argv)
{
	struct cli_args a;
	char *err = NULL;
	int i, rc;

	setlocale(LC_ALL, "");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--dump-mime") == 0 ||
		    strcmp(argv[i], "--extract") == 0)
			return cli_mime_main(argc, argv);
	}
	/* The command line reports its own usage errors, help and version. */
	if (cli_args_parse(&a, argc, argv, &err) == CLI_ARGS_OK && a.ncmds == 0 && !a.sync) {
		rc = ui_start(&a);
		cli_args_free(&a);
		return rc;
	}
	free(err);
	cli_args_free(&a);
	return cli_main(argc, argv);
}
