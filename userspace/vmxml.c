// SPDX-License-Identifier: GPL-2.0
/* A domain's disks from its XML, through libxml2 (vm.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "err.h"
#include "vm.h"

/* Copy attribute @attr of @node (or "") into @dst. */
static void get_attr(xmlNodePtr node, const char *attr, char *dst, size_t len)
{
	xmlChar *v = node ? xmlGetProp(node, (const xmlChar *)attr) : NULL;

	snprintf(dst, len, "%s", v ? (const char *)v : "");
	xmlFree(v);
}

static xmlNodePtr child(xmlNodePtr node, const char *name)
{
	xmlNodePtr c;

	for (c = node ? node->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)name))
			return c;
	return NULL;
}

static void read_disk(xmlNodePtr node, struct vm_disk *d)
{
	xmlNodePtr drv = child(node, "driver"), src = child(node, "source");

	memset(d, 0, sizeof(*d));
	get_attr(node, "type", d->type, sizeof(d->type));
	get_attr(node, "device", d->device, sizeof(d->device));
	if (!d->device[0])
		snprintf(d->device, sizeof(d->device), "disk");
	get_attr(drv, "type", d->format, sizeof(d->format));
	get_attr(drv, "cache", d->cache, sizeof(d->cache));
	get_attr(child(node, "target"), "dev", d->target, sizeof(d->target));
	get_attr(src, "dev", d->path, sizeof(d->path));
	if (!d->path[0])
		get_attr(src, "file", d->path, sizeof(d->path));
	d->readonly = child(node, "readonly") != NULL;
	d->shareable = child(node, "shareable") != NULL;
	/* A CD-ROM or any read-only disk: nothing to move, nothing written. */
	d->skip = d->readonly || !src || !d->path[0] || !strcmp(d->device, "cdrom") ||
		  !strcmp(d->device, "floppy");
}

int vm_disks_parse(const char *vm, const char *xml, struct vm_disk **disks, int *n)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL, dev, c;
	int count = 0;

	*disks = NULL;
	*n = 0;
	if (!root || xmlStrcmp(root->name, (const xmlChar *)"domain")) {
		mdm_err("%s: libvirt's XML of the domain cannot be read (not a <domain>); check 'virsh dumpxml %s'",
			vm, vm);
		xmlFreeDoc(doc);
		return -1;
	}
	dev = child(root, "devices");
	for (c = dev ? dev->children : NULL; c; c = c->next)
		count += c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)"disk");
	*disks = calloc(count ? (size_t)count : 1, sizeof(**disks));
	if (!*disks) {
		mdm_err("%s: out of memory", vm);
		xmlFreeDoc(doc);
		return -1;
	}
	for (c = dev ? dev->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)"disk"))
			read_disk(c, &(*disks)[(*n)++]);
	xmlFreeDoc(doc);
	return 0;
}

const char *vm_disk_unfit(const struct vm_disk *d)
{
	if (strcmp(d->type, "block"))
		return "not type='block': give it <disk type='block'> with <source dev='/dev/mapper/NAME'/> on a migrate device (libvirt refuses a file disk as unsafe to migrate without shared storage)";
	if (strcmp(d->device, "disk") && strcmp(d->device, "lun"))
		return "neither a disk nor a lun: only block disks are migrated";
	if (d->format[0] && strcmp(d->format, "raw"))
		return "not raw: give it <driver type='raw'/> (the migrate device carries the image's bytes as they are)";
	if (strcmp(d->cache, "none") && strcmp(d->cache, "directsync"))
		return "cache is not 'none' or 'directsync': set <driver cache='none'/> (a host page cache would hold writes the destination never sees)";
	if (d->shareable)
		return "shareable: a shared disk cannot be moved by one VM's migration; remove <shareable/> or detach it";
	if (strncmp(d->path, "/dev/mapper/", 12) || !d->path[12] || strchr(d->path + 12, '/'))
		return "its source is not a device under /dev/mapper: put it on a migrate device (dmsetup create NAME --table '0 SECTORS migrate ORIGIN 128')";
	return NULL;
}

int vm_disk_dm_name(struct vm_disk *d)
{
	if (strncmp(d->path, "/dev/mapper/", 12) || !d->path[12] || strchr(d->path + 12, '/'))
		return -1;
	snprintf(d->name, sizeof(d->name), "%s", d->path + 12);
	return 0;
}

int vm_disk_addr(const char *base, int index, char *out, size_t len)
{
	char host[64];
	const char *colon = strrchr(base, ':'), *port = NULL;
	unsigned long p = VM_DEFAULT_PORT;
	char *end;

	if (base[0] == '[') {
		const char *close = strchr(base, ']');

		if (!close || close == base + 1 || (close[1] && close[1] != ':') ||
		    (size_t)(close - base + 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(close - base + 1), base);
		port = close[1] ? close + 2 : NULL;
	} else if (colon && strchr(base, ':') == colon) {
		if (colon == base || (size_t)(colon - base) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - base), base);
		port = colon + 1;
	} else if (colon) {		/* a bare IPv6 address */
		if (strlen(base) + 3 > sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "[%s]", base);
	} else {
		if (!*base || strlen(base) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%s", base);
	}
	if (port) {
		p = strtoul(port, &end, 10);
		if (!*port || *end || !p)
			return -1;
	}
	if (p + (unsigned long)index > 65535)
		return -1;
	snprintf(out, len, "%s:%lu", host, p + (unsigned long)index);
	return 0;
}
