# SPDX-License-Identifier: GPL-2.0
#
# dm-migrate top-level Makefile.
#
#   make               build the module for KVER (default: running kernel) and
#                      the userspace tools
#   make check         build everything and run the test suite in QEMU guests
#                      (Debian 6.1 and 6.12 kernels); ends "N passed, N failed"
#   make check-vm      the VM test: a nested VM live-migrated between two
#                      libvirt hosts inside one 6.1 guest (tests/vmtests/)
#   make check-debug   the same on a debug kernel (KASAN, lockdep, kmemleak...)
#   make bench         benchmarks against dm-linear and peers, in a guest
#   make demo          the README's quick start on a throwaway guest: a running
#                      VM live-migrated between two libvirt hosts
#   make demo-disk     the same for one volume, with the single-device commands
#   make install       install module (for KVER) and tools
#   make lint          checkpatch --strict and sparse on the kernel code; no
#                      dependency cycles between the userspace objects
#   make fuzz          build the libFuzzer targets and run each FUZZ_TIME s
#   make sim           the deadline controller in a simulated cluster: the
#                      paper's table, and a plot of one migration (bench/sim/)

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
BUILD	:= $(CURDIR)/build
DESTDIR	?=
PREFIX	?= /usr/local

CC	?= gcc
CFLAGS	?= -O2 -g
# Warnings are errors even with CFLAGS given on the command line.
override CFLAGS += -Wall -Wextra -Werror -std=gnu11
KSFT	:= $(BUILD)/kselftest
UNIT_CFLAGS := $(CFLAGS) -Itests/unit -Ikmod -Iinclude -I$(KSFT) -Itests/prog

KSRC	:= Kbuild $(wildcard kmod/*.[ch]) $(wildcard include/uapi/linux/*.h)
SRC_TARBALL := /usr/src/linux-source-6.1.tar.xz

.PHONY: all module modules tools tests bench-tools sim check check-vm check-debug bench demo demo-disk install \
	lint clean deps dkms-check fuzz fuzzers

all: module tools

# Kbuild writes objects next to the sources; build each kernel in its own
# copy so that several kernels can be built from one tree.
$(BUILD)/%/dm-migrate.ko: $(KSRC)
	@mkdir -p $(BUILD)/$*
	@cp -r Kbuild kmod include $(BUILD)/$*/
	$(MAKE) -C /lib/modules/$*/build M=$(BUILD)/$* modules

module: $(BUILD)/$(KVER)/dm-migrate.ko

modules:
	@for v in $$(tests/kernels.sh); do \
		$(MAKE) --no-print-directory $(BUILD)/$$v/dm-migrate.ko || exit 1; \
	done

# kselftest.h comes from Debian's linux-source-6.1 at build time.
$(KSFT)/kselftest.h:
	@mkdir -p $(KSFT)
	tar -xJf $(SRC_TARBALL) -C $(KSFT) --strip-components=4 \
		linux-source-6.1/tools/testing/selftests/kselftest.h

TEST_PROGS := $(BUILD)/tests/chunkset $(BUILD)/tests/inflight \
	$(BUILD)/tests/bitmap_test $(BUILD)/tests/wire_test \
	$(BUILD)/tests/badpeer $(BUILD)/tests/olddest $(BUILD)/tests/ratectl_test \
	$(BUILD)/tests/model_test $(BUILD)/tests/deadline_test $(BUILD)/tests/encsel_test \
	$(BUILD)/tests/units_test $(BUILD)/tests/nlbad $(BUILD)/tests/nlrand \
	$(BUILD)/tests/vmrec $(BUILD)/vm/vmlinux $(BUILD)/vm/initrd.gz \
	$(BUILD)/tests/vmxml_test $(BUILD)/tests/climit_test $(BUILD)/tests/plan_test \
	$(BUILD)/sim/sim

tests: $(TEST_PROGS)

$(BUILD)/tests/chunkset: tests/prog/chunkset.c kmod/bitmap.c kmod/bitmap.h kmod/portable.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/prog/chunkset.c kmod/bitmap.c

$(BUILD)/tests/bitmap_test: tests/unit/bitmap_test.c kmod/bitmap.c kmod/bitmap.h kmod/portable.h tests/unit/portable_user.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -pthread -o $@ tests/unit/bitmap_test.c kmod/bitmap.c

$(BUILD)/tests/ratectl_test: tests/unit/ratectl_test.c kmod/ratectl.c kmod/ratectl.h kmod/args.h kmod/portable.h tests/unit/portable_user.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/ratectl_test.c kmod/ratectl.c

$(BUILD)/tests/encsel_test: tests/unit/encsel_test.c kmod/encsel.c kmod/encsel.h kmod/wire.h kmod/portable.h \
		tests/unit/portable_user.h include/uapi/linux/dm-migrate.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/encsel_test.c kmod/encsel.c
$(BUILD)/tests/model_test: tests/unit/model_test.c kmod/model.c kmod/model.h kmod/ratectl.c kmod/ratectl.h kmod/args.h kmod/portable.h tests/unit/portable_user.h include/uapi/linux/dm-migrate.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/model_test.c kmod/model.c kmod/ratectl.c -lm

$(BUILD)/tests/deadline_test: tests/unit/deadline_test.c kmod/deadline.c kmod/deadline.h kmod/model.c kmod/model.h kmod/args.h kmod/portable.h tests/unit/portable_user.h include/uapi/linux/dm-migrate.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/deadline_test.c kmod/deadline.c kmod/model.c

WIRE_SRC := kmod/wire.c tests/unit/crc32c_user.c
WIRE_DEPS := $(WIRE_SRC) kmod/wire.h kmod/portable.h tests/unit/portable_user.h \
	include/uapi/linux/dm-migrate.h

$(BUILD)/tests/wire_test: tests/unit/wire_test.c $(WIRE_DEPS) $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/wire_test.c $(WIRE_SRC)

$(BUILD)/tests/badpeer: tests/prog/badpeer.c tests/prog/peer.c tests/prog/peer.h $(WIRE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Wno-deprecated-declarations -o $@ tests/prog/badpeer.c \
		tests/prog/peer.c $(WIRE_SRC) -lcrypto -llz4 -lzstd

$(BUILD)/tests/olddest: tests/prog/olddest.c tests/prog/peer.c tests/prog/peer.h $(WIRE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Wno-deprecated-declarations -o $@ tests/prog/olddest.c \
		tests/prog/peer.c $(WIRE_SRC) -lcrypto -llzo2 -llz4 -lzstd

$(BUILD)/tests/nlbad: tests/prog/nlbad.c include/uapi/linux/dm-migrate.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Iinclude/uapi $(NL_CFLAGS) -o $@ tests/prog/nlbad.c $(NL_LIBS)

$(BUILD)/tests/nlrand: tests/prog/nlrand.c include/uapi/linux/dm-migrate.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Iinclude/uapi $(NL_CFLAGS) -o $@ tests/prog/nlrand.c $(NL_LIBS)

# The VM test's record writer runs in the nested guest's busybox initramfs:
# static.
$(BUILD)/tests/vmrec: tests/prog/vmrec.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ tests/prog/vmrec.c

# The nested guest of the VM test (tests/vmhost.sh): the first test
# kernel, uncompressed (booted through PVH), and its initramfs.
VM_KVER := $(shell tests/kernels.sh | head -n1)

$(BUILD)/vm/vmlinux: tests/vm/extract-vmlinux.py /boot/vmlinuz-$(VM_KVER)
	@mkdir -p $(@D)
	tests/vm/extract-vmlinux.py /boot/vmlinuz-$(VM_KVER) $@
	@echo $(VM_KVER) > $(@D)/kver

$(BUILD)/vm/initrd.gz: tests/vm/mkvmguest.sh tests/vm/nested/init $(BUILD)/tests/vmrec
	@mkdir -p $(@D)
	tests/vm/mkvmguest.sh $(VM_KVER) $(BUILD)/tests/vmrec $@

# The nested VM booted once on this machine (one level of TCG: seconds)
# and saved: the VM test restores it instead of booting it in the guest.
$(BUILD)/vm/vm1.save: $(BUILD)/vm/vmlinux $(BUILD)/vm/initrd.gz tests/vmhost.sh \
		tests/vm/mkvmsnap.sh /usr/bin/qemu-system-x86_64
	tests/vm/mkvmsnap.sh $(BUILD)/vm

$(BUILD)/tests/inflight: tests/prog/inflight.c tests/prog/dmmsg.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/prog/inflight.c -ldevmapper -lpthread

# libFuzzer targets (tests/fuzz/), built with clang from the module's own
# sources; the LZO, LZ4 and zstd they decode with are the kernel's lib/lzo/,
# lib/lz4/ and lib/zstd/ (with lib/xxhash.c), extracted from Debian's
# linux-source-6.1 at build time and built through tests/fuzz/shim/
# (sanitized like the rest).
FUZZ_CC	?= clang-14
FUZZ_TIME ?= 60
FUZZ	:= $(BUILD)/fuzz
FUZZERS	:= fuzz_wire fuzz_decode fuzz_args
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 $(FUZZ_SAN) -fno-strict-aliasing -Wall -Wextra -Werror \
	-std=gnu11 -Itests/fuzz -Itests/unit -Ikmod -Iinclude
LZO_DIR	:= $(FUZZ)/lzo
LZO_OBJ	:= $(LZO_DIR)/lzo1x_compress.o $(LZO_DIR)/lzo1x_decompress_safe.o
LZ4_DIR	:= $(FUZZ)/lz4
LZ4_OBJ	:= $(LZ4_DIR)/lz4_compress.o $(LZ4_DIR)/lz4_decompress.o
ZSTD_DIR := $(FUZZ)/zstd
ZSTD_SRC := xxhash zstd/zstd_compress_module zstd/zstd_decompress_module \
	$(addprefix zstd/common/,debug entropy_common error_private fse_decompress \
		zstd_common) \
	$(addprefix zstd/compress/,fse_compress hist huf_compress zstd_compress \
		zstd_compress_literals zstd_compress_sequences \
		zstd_compress_superblock zstd_double_fast zstd_fast zstd_lazy \
		zstd_ldm zstd_opt) \
	$(addprefix zstd/decompress/,huf_decompress zstd_ddict zstd_decompress \
		zstd_decompress_block)
ZSTD_OBJ := $(addprefix $(ZSTD_DIR)/obj/,$(addsuffix .o,$(ZSTD_SRC)))
FUZZ_SHIM := $(wildcard tests/fuzz/shim/*/*.h)
FUZZ_DEPS := tests/fuzz/fuzz.h $(WIRE_DEPS)

fuzzers: $(addprefix $(FUZZ)/,$(FUZZERS))

fuzz: deps
	$(MAKE) fuzzers
	@for f in $(FUZZERS); do \
		echo "== $$f: $(FUZZ_TIME) s"; \
		tests/fuzz/run.sh $$f $(FUZZ_TIME) || exit 1; \
	done

$(LZO_DIR)/lib/lzo/lzodefs.h:
	@mkdir -p $(LZO_DIR)
	tar -xJf $(SRC_TARBALL) -C $(LZO_DIR) --strip-components=1 \
		linux-source-6.1/lib/lzo linux-source-6.1/include/linux/lzo.h
	@touch $@

# The kernel's code, built as the kernel builds it: wrapping arithmetic.
$(LZO_DIR)/%.o: $(LZO_DIR)/lib/lzo/lzodefs.h $(FUZZ_SHIM)
	$(FUZZ_CC) -g -O1 $(FUZZ_SAN) -fno-strict-aliasing -fwrapv -Wall -Werror -std=gnu11 \
		-Itests/fuzz/shim -I$(LZO_DIR)/include -c -o $@ $(LZO_DIR)/lib/lzo/$*.c

$(FUZZ)/fuzz_wire: tests/fuzz/fuzz_wire.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_wire.c $(WIRE_SRC)

$(LZ4_DIR)/lib/lz4/lz4defs.h:
	@mkdir -p $(LZ4_DIR)
	tar -xJf $(SRC_TARBALL) -C $(LZ4_DIR) --strip-components=1 \
		linux-source-6.1/lib/lz4 linux-source-6.1/include/linux/lz4.h
	@touch $@

$(LZ4_DIR)/%.o: $(LZ4_DIR)/lib/lz4/lz4defs.h $(FUZZ_SHIM)
	$(FUZZ_CC) -g -O1 $(FUZZ_SAN) -fno-strict-aliasing -fwrapv -Wall -Werror -std=gnu11 \
		-Itests/fuzz/shim -I$(LZ4_DIR)/include -c -o $@ $(LZ4_DIR)/lib/lz4/$*.c

$(ZSTD_DIR)/lib/xxhash.c:
	@mkdir -p $(ZSTD_DIR)
	tar -xJf $(SRC_TARBALL) -C $(ZSTD_DIR) --strip-components=1 \
		linux-source-6.1/lib/zstd linux-source-6.1/lib/xxhash.c \
		linux-source-6.1/include/linux/zstd.h linux-source-6.1/include/linux/zstd_lib.h \
		linux-source-6.1/include/linux/zstd_errors.h linux-source-6.1/include/linux/xxhash.h
	@touch $@

$(ZSTD_DIR)/obj/%.o: $(ZSTD_DIR)/lib/xxhash.c $(FUZZ_SHIM)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 $(FUZZ_SAN) -fno-strict-aliasing -fwrapv -Wall -Werror -std=gnu11 \
		-Itests/fuzz/shim -I$(ZSTD_DIR)/include -c -o $@ $(ZSTD_DIR)/lib/$*.c

$(FUZZ)/fuzz_decode: tests/fuzz/fuzz_decode.c kmod/compress.c kmod/compress.h \
		$(FUZZ_DEPS) $(FUZZ_SHIM) $(LZO_OBJ) $(LZ4_OBJ) $(ZSTD_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz/shim -I$(LZO_DIR)/include -I$(LZ4_DIR)/include \
		-I$(ZSTD_DIR)/include -o $@ tests/fuzz/fuzz_decode.c kmod/compress.c \
		$(WIRE_SRC) $(LZO_OBJ) $(LZ4_OBJ) $(ZSTD_OBJ)

$(FUZZ)/fuzz_args: tests/fuzz/fuzz_args.c kmod/args.c kmod/args.h $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_args.c kmod/args.c

# The operator CLI.
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 json-c 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 json-c 2>/dev/null)
# The VM commands: libvirt's C API, and libxml2 for its domain XML.
VIRT_CFLAGS := $(shell pkg-config --cflags libvirt libxml-2.0 2>/dev/null)
VIRT_LIBS := $(shell pkg-config --libs libvirt libxml-2.0 2>/dev/null)
# migrate-dm-vm is the whole tool; migrate-dm leaves the VM commands out
# (and libvirt's sixty shared libraries with them: every command would
# load them) and runs migrate-dm-vm for them (vmexec.c).
VM_SRC	:= userspace/vm_prepare.c userspace/vm_migrate.c userspace/vm_preflight.c \
	userspace/vmconn.c userspace/vmdisks.c userspace/vmshow.c userspace/vmxml.c \
	userspace/vm_evacuate.c
CLI_SRC := $(filter-out userspace/vmexec.c,$(wildcard userspace/*.c))
CLI_HDR := $(wildcard userspace/*.h) include/uapi/linux/dm-migrate.h
CLI_OBJ := $(patsubst userspace/%.c,$(BUILD)/userspace/%.o,$(CLI_SRC))
LEAN_OBJ := $(patsubst userspace/%.c,$(BUILD)/userspace/%.o,\
	$(filter-out $(VM_SRC),$(CLI_SRC)) userspace/vmexec.c)

tools: $(BUILD)/migrate-dm $(BUILD)/migrate-dm-vm

# One object per source file, so that scripts/depcycles can check them.
$(BUILD)/userspace/%.o: userspace/%.c $(CLI_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iinclude/uapi -Iuserspace $(NL_CFLAGS) $(VIRT_CFLAGS) -c -o $@ $<

$(BUILD)/migrate-dm: $(LEAN_OBJ) $(BUILD)/userspace/model.o
	$(CC) $(CFLAGS) -o $@ $(LEAN_OBJ) $(BUILD)/userspace/model.o $(NL_LIBS) -ldevmapper -lm

# The evacuation's plan (plan.c: both tools parse --order with it)
# predicts times with the module's pure pre-copy model, built for
# userspace as the unit tests build it.
PURE_INC := -Ikmod -Itests/unit -Iinclude
$(BUILD)/userspace/plan.o: override CFLAGS += $(PURE_INC)
$(BUILD)/userspace/model.o: kmod/model.c kmod/model.h kmod/args.h kmod/portable.h \
		tests/unit/portable_user.h include/uapi/linux/dm-migrate.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PURE_INC) -c -o $@ kmod/model.c

$(BUILD)/migrate-dm-vm: $(CLI_OBJ) $(BUILD)/userspace/model.o
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/userspace/model.o $(NL_LIBS) $(VIRT_LIBS) \
		-ldevmapper -lm -lpthread

$(BUILD)/tests/units_test: tests/unit/units_test.c userspace/units.c userspace/units.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuserspace -I$(KSFT) -o $@ tests/unit/units_test.c userspace/units.c -lm

$(BUILD)/tests/vmxml_test: tests/unit/vmxml_test.c userspace/vmxml.c userspace/err.c $(CLI_HDR) $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iinclude/uapi -Iuserspace -I$(KSFT) $(NL_CFLAGS) $(VIRT_CFLAGS) -o $@ \
		tests/unit/vmxml_test.c userspace/vmxml.c userspace/err.c $(VIRT_LIBS)

$(BUILD)/tests/plan_test: tests/unit/plan_test.c userspace/plan.c userspace/plan.h userspace/units.c \
		userspace/units.h kmod/model.c kmod/model.h kmod/args.h kmod/portable.h \
		tests/unit/portable_user.h include/uapi/linux/dm-migrate.h $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuserspace $(PURE_INC) -I$(KSFT) -o $@ tests/unit/plan_test.c \
		userspace/plan.c userspace/units.c kmod/model.c -lm

# The bench's offline pieces: the compressibility limit of a volume's
# content (bench/climit.c), and an ext4 image of a lived-in root's /usr,
# built once on this machine (bench/mkimage-fs.sh) for the guest to copy.
CLIMIT_SRC := bench/climit_rule.c bench/climit_codecs.c
CLIMIT_DEPS := $(CLIMIT_SRC) bench/climit.h include/uapi/linux/dm-migrate.h
CLIMIT_LIBS := -llzo2 -llz4 -lzstd

bench-tools: $(BUILD)/bench/climit $(BUILD)/bench/fs.img $(BUILD)/bench/text.sample

$(BUILD)/bench/climit: bench/climit.c $(CLIMIT_DEPS) userspace/units.c userspace/units.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iinclude/uapi -Iuserspace -o $@ bench/climit.c $(CLIMIT_SRC) \
		userspace/units.c $(CLIMIT_LIBS) -lm

# The size of make bench's volume (bench/lib.sh, size=): content fs must
# fill it exactly.
BENCH_FS_MIB ?= 128
$(BUILD)/bench/fs.img: bench/mkimage-fs.sh
	bench/mkimage-fs.sh $@ $(BENCH_FS_MIB)

# 16 MiB of the host's headers and documentation, the text of content
# image-like (bench/contents.sh): read here once, not over 9p by the guest
# for every fill (a minute under TCG).
$(BUILD)/bench/text.sample:
	@mkdir -p $(@D)
	find /usr/include /usr/share/doc -type f -exec cat {} + 2>/dev/null | head -c 16M > $@.tmp
	test -s $@.tmp && mv $@.tmp $@

$(BUILD)/tests/climit_test: tests/unit/climit_test.c $(CLIMIT_DEPS) $(KSFT)/kselftest.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iinclude/uapi -Ibench -I$(KSFT) -o $@ tests/unit/climit_test.c \
		$(CLIMIT_SRC) $(CLIMIT_LIBS)

# The simulator: the module's controller and model in a cluster of hosts.
SIM_SRC := bench/sim/main.c bench/sim/world.c bench/sim/plot.c \
	kmod/deadline.c kmod/model.c kmod/ratectl.c
SIM_DEPS := $(SIM_SRC) bench/sim/sim.h kmod/deadline.h kmod/model.h kmod/ratectl.h \
	kmod/args.h kmod/portable.h tests/unit/portable_user.h include/uapi/linux/dm-migrate.h

$(BUILD)/sim/sim: $(SIM_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Ikmod -Iinclude -Ibench/sim -o $@ $(SIM_SRC) -lm

sim: $(BUILD)/sim/sim
	$(BUILD)/sim/sim --table
	$(BUILD)/sim/sim --deadline 350 --load 0.25 --plot $(BUILD)/sim/task.svg

deps:
	tests/deps.sh

check: deps
	$(MAKE) modules tools tests
	tests/run.sh

# The VM test: a nested VM (booted and saved on this machine first: it
# takes 4-6 min to boot under TCG in TCG) live-migrated between two libvirt
# hosts in one guest of the first kernel of tests/kernels.sh.
check-vm: deps
	$(MAKE) modules tools tests $(BUILD)/vm/vm1.save
	DMM_KVERS=$$(tests/kernels.sh | head -n1) tests/run.sh --no-host --only $$(ls tests/vmtests/*.sh | sed 's|^tests/||; s|\.sh$$||' | paste -sd,)

DEBUG_SHARDS ?= 2
check-debug: deps
	$(MAKE) tools tests
	tests/debug-kernel.sh
	# The debug kernel is ~5x slower under TCG: every test but the long
	# fault-injection one, whose timings assume the production kernels.
	# 16-nlrand: random netlink requests under KASAN.  66-mitm's checks
	# of the sealed stream run here through 65-badpeer's tamper and replay.
	# The host tests are make check's.
	# Over DEBUG_SHARDS guests (2: in CI they run beside check-vm's one).
	DMM_SHARDS=$(DEBUG_SHARDS) tests/run.sh --debug --no-host --only 10-table,15-netlink,16-nlrand,20-tracking,30-inflight,40-reload,50-limits,60-migrate,62-pause,65-badpeer,73-peers,74-handoff,75-edges,77-memory

# Its section vm migrates check-vm's saved VM (bench/vm.sh).
bench: deps
	$(MAKE) modules tools tests bench-tools $(BUILD)/vm/vm1.save
	bench/run.sh

# The VM demo runs on the harness of check-vm, with its saved VM.
demo: deps
	$(MAKE) modules tools tests $(BUILD)/vm/vm1.save
	tests/demo.sh vm

demo-disk: deps
	$(MAKE) modules tools tests
	tests/demo.sh disk

# Pure kernel code not in the module yet (Kbuild): sparse checks it in
# lint's own build of the module all the same.
LINT_ONLY := kmod/deadline.o

lint: $(BUILD)/checkpatch/checkpatch.pl $(CLI_OBJ) $(LEAN_OBJ)
	scripts/depcycles $(CLI_OBJ)
	scripts/depcycles $(LEAN_OBJ)
	$(BUILD)/checkpatch/checkpatch.pl --no-tree --strict --terse \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f \
		kmod/*.c kmod/*.h include/uapi/linux/*.h
	@v=$$(tests/kernels.sh | head -n1); rm -rf $(BUILD)/sparse; \
	mkdir -p $(BUILD)/sparse && cp -r Kbuild kmod include $(BUILD)/sparse/ && \
	for o in $(LINT_ONLY); do echo "dm-migrate-y += $$o" >> $(BUILD)/sparse/Kbuild; done && \
	$(MAKE) -C /lib/modules/$$v/build M=$(BUILD)/sparse C=2 \
		CHECK="sparse -Wsparse-error" modules 2>&1 | tee $(BUILD)/sparse.log; \
	! grep -E '(warning|error):' $(BUILD)/sparse.log
	# The module's files depend one way (docs/architecture.rst).
	scripts/depcycles $(BUILD)/sparse/kmod/*.o

$(BUILD)/checkpatch/checkpatch.pl:
	@mkdir -p $(BUILD)/checkpatch
	tar -xJf $(SRC_TARBALL) -C $(BUILD)/checkpatch --strip-components=2 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch

install: module tools
	$(MAKE) -C $(KDIR) M=$(BUILD)/$(KVER) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	install -D -m 0644 include/uapi/linux/dm-migrate.h \
		$(DESTDIR)$(PREFIX)/include/linux/dm-migrate.h
	install -D -m 0755 $(BUILD)/migrate-dm $(DESTDIR)$(PREFIX)/sbin/migrate-dm
	install -D -m 0755 $(BUILD)/migrate-dm-vm $(DESTDIR)$(PREFIX)/sbin/migrate-dm-vm
	install -D -m 0644 docs/migrate-dm.8 $(DESTDIR)$(PREFIX)/share/man/man8/migrate-dm.8
	install -D -m 0644 userspace/migrate-dm.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/migrate-dm
	$(if $(DESTDIR),,depmod -a $(KVER))

clean:
	rm -rf $(BUILD)
