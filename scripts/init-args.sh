# SPDX-License-Identifier: GPL-2.0
#
# init-args.sh - sourced by scripts/run-vm.sh and scripts/mkdisk.sh: the
# guest kernel arguments that the environment asks /init for
# (scripts/initramfs-init.sh reads them).  Lists go as one kernel
# argument each, commas for spaces.
#
#   THV_KMOD_ARGS="mtf=0"      thv.kmod_args=: parameters for insmod thv.ko
#   THV_TESTS="survival_test"  thv.tests=: check mode runs only these
#   THV_REPEAT=N               thv.repeat=: ... N times over, in order

# thv_init_args PROG: print the arguments, or say what is wrong on
# stderr (prefixed with PROG) and return 2.
thv_init_args() {
	local prog=$1 out="" v

	for v in "${THV_KMOD_ARGS:-}" "${THV_TESTS:-}"; do
		case "$v" in
		*,*) echo "$prog: THV_KMOD_ARGS and THV_TESTS: no commas, please (spaces separate)" >&2
		     return 2 ;;
		esac
	done
	[ -z "${THV_KMOD_ARGS:-}" ] ||
		out="$out thv.kmod_args=$(echo "$THV_KMOD_ARGS" | xargs | tr ' ' ,)"
	[ -z "${THV_TESTS:-}" ] ||
		out="$out thv.tests=$(echo "$THV_TESTS" | xargs | tr ' ' ,)"
	case "${THV_REPEAT:-}" in
	"") ;;
	*[!0-9]*|0) echo "$prog: THV_REPEAT must be a count of 1 or more" >&2
		    return 2 ;;
	*) out="$out thv.repeat=$THV_REPEAT" ;;
	esac
	echo "$out"
}
