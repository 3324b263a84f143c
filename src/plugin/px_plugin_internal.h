/*
 * px_plugin_internal.h - shared between the host's files; not installed.
 * Internal non-static symbols begin with pxi_.
 */
#ifndef PX_PLUGIN_INTERNAL_H
#define PX_PLUGIN_INTERNAL_H

#include "px_plugin_host.h"

/* Valid UTF-8 of at most max bytes, without control characters. */
bool pxi_text_ok(const char *s, size_t max);
/* "entier"/"integer"... in the user's language. */
const char *pxi_type_name(pxp_param_type t);
/* The plugin a parameter set belongs to. */
const px_plugin *pxi_params_plugin(const px_plugin_params *prm);
/* A hook of p, NULL when absent or beyond the hooks size it declared. */
typedef enum { PXI_HOOK_AUDIT, PXI_HOOK_CHANGE, PXI_HOOK_INDICATORS, PXI_HOOK_CALENDAR } pxi_hook;
bool pxi_has_hook(const px_plugin *p, pxi_hook h);
const pxp_hooks *pxi_hooks(const px_plugin *p);

#endif
