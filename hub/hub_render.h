/* hub_render.h - helpers shared by render.c and the dashboard (http.c). */
#ifndef HUB_RENDER_H
#define HUB_RENDER_H
#include "hub.h"

const char *hub_severity_name(int sev, bool en);
const char *hub_severity_token(int sev);
/* "12", "12.5" (or "12,5" with comma). */
void hub_fmt_num(double v, bool comma, char *buf, size_t size);
/* A cell as shown: number, "<k" when suppressed, "–" when absent. */
void hub_fmt_cell(const hub_cell *c, bool comma, char *buf, size_t size);
const hub_cell *hub_row_cell(const hub_row *r, const char *name);
/* JSON text of a result (malloc'd; caller frees). */
/* JSON pieces: a string (escaped), a number (as cJSON prints it), a row
 * object (with "key": val last when key is not NULL). */
void hub_json_str(FILE *out, const char *s);
void hub_json_num(FILE *out, double d);
void hub_json_row_write(FILE *out, const hub_row *w, bool detail, const char *key, const char *val);
char *hub_result_json(const hub_result *r);

/* Growing text buffer. */
typedef struct hub_buf {
	char *p;
	size_t n, cap;
	bool oom;
} hub_buf;
void hub_buf_put(hub_buf *b, const char *s);
void hub_buf_printf(hub_buf *b, const char *fmt, ...) PX_PRINTF(2, 3);
/* HTML-escaped text. */
void hub_buf_html(hub_buf *b, const char *s);
void hub_buf_free(hub_buf *b);
#endif
