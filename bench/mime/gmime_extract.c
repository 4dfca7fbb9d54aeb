/*
 * gmime_extract.c: the GMime 3 peer for bench/mime/run. Saves every
 * attachment (a leaf with a filename or disposition "attachment") of FILE
 * into DIR as DIR/N, decoded, the way shared/notes/machine.md describes:
 * g_mime_parser_construct_message over a stream on the file, then
 * g_mime_part_get_content + g_mime_data_wrapper_write_to_stream.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <gmime/gmime.h>

static const char *dir;
static int count;

static void
visit(GMimeObject *parent, GMimeObject *obj, gpointer data)
{
	GMimePart *part;
	GMimeDataWrapper *content;
	GMimeStream *out;
	const char *fn, *disp;
	char path[4096];
	int fd;

	(void)parent;
	(void)data;
	if (!GMIME_IS_PART(obj))
		return;
	part = GMIME_PART(obj);
	fn = g_mime_part_get_filename(part);
	disp = g_mime_object_get_disposition(obj);
	if (!fn && !(disp && g_ascii_strcasecmp(disp, "attachment") == 0))
		return;
	content = g_mime_part_get_content(part);
	if (!content)
		return;
	snprintf(path, sizeof(path), "%s/%d", dir, ++count);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		perror(path);
		return;
	}
	out = g_mime_stream_fs_new(fd);
	g_mime_data_wrapper_write_to_stream(content, out);
	g_mime_stream_flush(out);
	g_object_unref(out);
}

int
main(int argc, char **argv)
{
	GMimeStream *in;
	GMimeParser *parser;
	GMimeMessage *msg;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: gmime_extract DIR FILE\n");
		return 2;
	}
	dir = argv[1];
	g_mime_init();
	fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	in = g_mime_stream_fs_new(fd);
	parser = g_mime_parser_new_with_stream(in);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (!msg) {
		fprintf(stderr, "gmime: cannot parse %s\n", argv[2]);
		return 1;
	}
	g_mime_message_foreach(msg, visit, NULL);
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(in);
	g_mime_shutdown();
	return count ? 0 : 1;
}
