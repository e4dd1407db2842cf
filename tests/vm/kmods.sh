# Sourced by the initramfs builders: copy_kmods KVER DIR MODULE...  puts
# the modules of KVER that MODULE... need into DIR, uncompressed, and their
# names in load order into DIR/order (modprobe prints the insmod lines in
# dependency order).
copy_kmods() {
	local kver=$1 dir=$2 ko name
	shift 2
	: > "$dir/order"
	for m in "$@"; do
		modprobe -S "$kver" --show-depends "$m"
	done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
	while read -r ko; do
		name=$(basename "$ko")
		case "$name" in
		*.ko.xz) xz -dc "$ko" > "$dir/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -qdc "$ko" > "$dir/${name%.zst}"; name=${name%.zst} ;;
		*) cp "$ko" "$dir/$name" ;;
		esac
		echo "$name" >> "$dir/order"
	done
}
