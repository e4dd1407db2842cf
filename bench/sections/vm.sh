#!/bin/bash
# bench-guest: kver=first
# bench-weight: 3
# vm: a whole VM live-migrated by migrate-dm and by libvirt's NBD +
# drive-mirror over the same link (bench/vm.sh, which says more; also run
# on its own by bench/vm-run.sh).  Boots a guest of its own, of the first
# test kernel (6.1, as make check-vm); writes build/bench/vm.csv.
exec bash bench/vm.sh
