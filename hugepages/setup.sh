#!/usr/bin/env bash
# Reserves hugepages and mounts hugetlbfs for a Vigil appliance (hardware profiles).
#
#   hugepages/setup.sh --size 2M --pages 2048 [--mount /dev/hugepages] [--node N] [--dry-run]
#   hugepages/setup.sh --status
#
# --size 2M|1G    page size (1G pages may need `default_hugepagesz=1G hugepagesz=1G
#                 hugepages=N` on the kernel command line when memory is fragmented)
# --pages N       pages to reserve (per NUMA node with --node, else system-wide)
# --mount DIR     where to mount hugetlbfs (the profile's eal.args --huge-dir)
# --dry-run       print what would be done, change nothing
# --status        print the current reservation and mounts
# Exit codes: 0 done, 1 the kernel gave fewer pages than asked, 2 bad arguments.
set -euo pipefail

size=2M pages="" mount="" node="" dry=0 status=0
die() { echo "hugepages/setup.sh: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    --size) size=${2:-}; shift 2 ;;
    --pages) pages=${2:-}; shift 2 ;;
    --mount) mount=${2:-}; shift 2 ;;
    --node) node=${2:-}; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --status) status=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

case $size in
  2M) kb=2048 ;;
  1G) kb=1048576 ;;
  *) die "--size must be 2M or 1G, not $size" ;;
esac
mount=${mount:-$([[ $size == 1G ]] && echo /dev/hugepages-1G || echo /dev/hugepages)}

if ((status)); then
  grep -E '^Huge' /proc/meminfo
  for d in /sys/kernel/mm/hugepages/hugepages-*; do
    echo "$(basename "$d"): $(cat "$d/nr_hugepages") reserved, $(cat "$d/free_hugepages") free"
  done
  grep hugetlbfs /proc/mounts || echo "no hugetlbfs mounted"
  exit 0
fi

[[ $pages =~ ^[0-9]+$ ]] || die "--pages N is required (a whole number)"
if [[ -n $node ]]; then
  [[ $node =~ ^[0-9]+$ ]] || die "--node must be a NUMA node number"
  knob=/sys/devices/system/node/node$node/hugepages/hugepages-${kb}kB/nr_hugepages
else
  knob=/sys/kernel/mm/hugepages/hugepages-${kb}kB/nr_hugepages
fi

run() {
  if ((dry)); then echo "would run: $*"; else "$@"; fi
}

if ((dry)); then
  echo "would write $pages to $knob ($(( pages * kb / 1024 )) MiB of $size pages)"
else
  [[ $(id -u) -eq 0 ]] || die "run as root (writes $knob and mounts $mount)"
  [[ -e $knob ]] || die "$knob does not exist: this kernel or CPU has no $size pages"
  echo "$pages" > "$knob"
  got=$(cat "$knob")
  if ((got < pages)); then
    echo "hugepages/setup.sh: asked for $pages $size pages, the kernel reserved $got (memory fragmented? reserve at boot)" >&2
    exit 1
  fi
  echo "reserved $got $size pages ($(( got * kb / 1024 )) MiB) in $knob"
fi

if grep -qs " $mount hugetlbfs " /proc/mounts; then
  echo "hugetlbfs already mounted at $mount"
else
  run mkdir -p "$mount"
  run mount -t hugetlbfs -o "pagesize=$size" nodev "$mount"
fi
((dry)) && echo "(dry run: nothing changed)"
exit 0
