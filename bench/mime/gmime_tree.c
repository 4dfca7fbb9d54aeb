/*
 * gmime_tree.c: prints the part tree of FILE as GMime 3 sees it, one line per
 * node, leaves with their decoded size and SHA-256 prefix; bench/mime/diff-gmime
 * compares it with pouch --dump-mime.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <gmime/gmime.h>
static void
visit(GMimeObject *obj, int d)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	printf("%*s%s/%s", d * 2, "", g_mime_content_type_get_media_type(ct), g_mime_content_type_get_media_subtype(ct));
	if (GMIME_IS_MULTIPART(obj)) {
		int i, n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		printf("\n");
		for (i = 0; i < n; i++) visit(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), d + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		printf("\n");
		if (m) visit(g_mime_message_get_mime_part(m), d + 1);
	} else if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
		GByteArray *a = g_byte_array_new();
		GMimeStream *s = g_mime_stream_mem_new_with_byte_array(a);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
		if (w) g_mime_data_wrapper_write_to_stream(w, s);
		gchar *h = g_compute_checksum_for_data(G_CHECKSUM_SHA256, a->data, a->len);
		printf(" %u %.8s\n", a->len, h);
		g_free(h);
		g_object_unref(s);
		g_byte_array_free(a, TRUE);
	} else printf(" ?\n");
}
int main(int argc, char **argv) {
	g_mime_init();
	int fd = open(argv[1], O_RDONLY);
	GMimeStream *in = g_mime_stream_fs_new(fd);
	GMimeParser *p = g_mime_parser_new_with_stream(in);
	g_mime_parser_set_format(p, GMIME_FORMAT_MESSAGE);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	if (m) visit(g_mime_message_get_mime_part(m), 0);
	return 0;
}
