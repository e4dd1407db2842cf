#!/bin/bash
# dmm-cost: 9
# Table parsing: good lines load, every bad line is refused with its own
# message and leaves no device behind.
. "$(dirname "$0")/../lib.sh"

tap_plan 14
dev=$(scratch_dev 64M)
sz=$(sectors_of "$dev")

check "valid table loads" dmsetup create mt_ok --table "0 $sz migrate $dev 128"
expect_eq "status: mode, chunk, dirty/total" "tracking 128 0/1024" \
	"$(dmsetup status mt_ok | cut -d' ' -f4-6)"
expect_eq "table round-trips" "0 $sz migrate $(cat /sys/class/block/"${dev#/dev/}"/dev) 128" \
	"$(dmsetup table mt_ok)"
dmsetup remove mt_ok

expect_fail_msg "too few arguments" "Invalid argument count" \
	dmsetup create mt_bad --table "0 $sz migrate $dev"
expect_fail_msg "chunk size not a power of two" "Invalid chunk size" \
	dmsetup create mt_bad --table "0 $sz migrate $dev 96"
expect_fail_msg "chunk size below 4 KiB" "Invalid chunk size" \
	dmsetup create mt_bad --table "0 $sz migrate $dev 4"
expect_fail_msg "chunk size above 8 MiB" "Invalid chunk size" \
	dmsetup create mt_bad --table "0 $sz migrate $dev 32768"
expect_fail_msg "chunk size not a number" "Invalid chunk size" \
	dmsetup create mt_bad --table "0 $sz migrate $dev 12abc"
expect_fail_msg "missing origin device" "Origin device lookup failed" \
	dmsetup create mt_bad --table "0 $sz migrate /dev/nonexistent 128"
expect_fail_msg "length differs from origin" "does not match the origin" \
	dmsetup create mt_bad --table "0 $((sz - 8)) migrate $dev 128"
expect_fail_msg "unknown feature" "Unrecognised feature argument" \
	dmsetup create mt_bad --table "0 $sz migrate $dev 128 1 frobnicate"
expect_fail_msg "too many feature arguments" "Invalid number of feature arguments" \
	dmsetup create mt_bad --table "0 $sz migrate $dev 128 2 receive receive"
expect_fail_msg "trailing garbage" "Unexpected argument" \
	dmsetup create mt_bad --table "0 $sz migrate $dev 128 0 junk"
expect_eq "no half-made devices left" "" "$(dmsetup ls | grep mt_bad)"
tap_done
