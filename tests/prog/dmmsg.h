/* SPDX-License-Identifier: GPL-2.0 */
/* Send a device-mapper target message through libdevmapper. */
#ifndef DMM_TEST_DMMSG_H
#define DMM_TEST_DMMSG_H

#include <libdevmapper.h>
#include <stdio.h>
#include <string.h>

/*
 * Send @msg to sector 0 of device @name; copy the response (if any) into
 * @resp.  Returns 0 on success, -1 on failure.
 */
static inline int dm_message(const char *name, const char *msg,
			     char *resp, size_t resp_len)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_TARGET_MSG);
	const char *r;
	int ret = -1;

	if (!dmt)
		return -1;
	if (!dm_task_set_name(dmt, name) || !dm_task_set_sector(dmt, 0) ||
	    !dm_task_set_message(dmt, msg) || !dm_task_run(dmt))
		goto out;
	if (resp && resp_len) {
		r = dm_task_get_message_response(dmt);
		snprintf(resp, resp_len, "%s", r ? r : "");
	}
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}

#endif
