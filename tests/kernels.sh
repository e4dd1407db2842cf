#!/bin/bash
# Print the kernel versions the tests run on: the newest installed Debian
# 6.1 and 6.12 generic amd64 kernels (image and headers both present).
for series in 6.1 6.12; do
	ls -d /lib/modules/"$series".*-amd64 2>/dev/null | xargs -rn1 basename |
	grep -v -e -rt- -e -cloud- | while read -r v; do
		[ -f "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/build" ] && echo "$v"
	done | sort -V | tail -n1
done
