# SPDX-License-Identifier: GPL-2.0
#
# thv - top-level build.  Everything built goes under $(BUILD):
#   build/<kver>/thv.ko           the module, one per guest kernel
#   build/user/thv, libthv.a      the runner and its library
#   build/payloads/*.bin          guest payloads
#   build/tests/*                 self-tests (kselftest harness)
#   build/kselftest/*.h           kselftest headers from linux-source-6.1
#   build/logs/<kver>-<mode>.log  test VM console logs
#   build/logs/<kver>-vmx.log     the same for the Bochs (Intel VMX) lane
# The module is loaded only inside a test VM: QEMU emulating AMD SVM
# (scripts/run-vm.sh) or Bochs emulating Intel VMX (scripts/run-bochs.sh).
# "make help" lists the targets.

BUILD ?= build
override BUILD := $(abspath $(BUILD))
KSFT_DIR := $(BUILD)/kselftest
# Guest kernels: series ("6.1") or full versions, see scripts/kvers.sh.
KVERS ?= 6.1 6.12
# The demo boots one kernel; 6.12 boots fastest.
DEMO_KVER ?= 6.12
# Test lanes: svm (QEMU, AMD SVM), vmx (Bochs, Intel VMX) or all.  The
# demo runs in the svm lane unless LANE=vmx.
LANE ?= all
LINUX_SOURCE := /usr/src/linux-source-6.1.tar.xz

SUBMAKE := $(MAKE) --no-print-directory

.PHONY: all help deps kmod modules user payloads tests ksft-headers initramfs \
	check demo bench shell tour clean

all: kmod user payloads tests

help:
	@echo 'thv - a teaching hypervisor.  Targets:'
	@echo '  all        build thv.ko for each kernel in KVERS, the runner,'
	@echo '             payloads and tests (no package installs)'
	@echo '  deps       install missing Debian packages (scripts/install-deps.sh)'
	@echo '  check      deps + all + boot each kernel in KVERS in the test VMs,'
	@echo '             run every test, print one merged TAP stream;'
	@echo '             LANE=svm: QEMU lanes only (AMD SVM, about 30 s a kernel)'
	@echo '             LANE=vmx: Bochs lane only (Intel VMX, minutes a kernel)'
	@echo '  demo       deps + all + boot DEMO_KVER and run the hello payload'
	@echo '             with --trace (in QEMU; LANE=vmx: in Bochs)'
	@echo '  bench      deps + all + boot DEMO_KVER and time VM exits on thv and'
	@echo '             on KVM in the same guest (scripts/bench.sh, LANE=svm|vmx|all;'
	@echo '             docs/performance.md); BENCH_ARGS=--profile adds the'
	@echo '             instructions per kernel function and the hot-path check'
	@echo '  shell      boot DEMO_KVER with thv packed and give a shell (the lessons;'
	@echo '             LANE=vmx: in Bochs, Ctrl-] leaves)'
	@echo '  tour       regenerate docs/tour.md from the TOUR(n) comments'
	@echo '  kmod user payloads tests ksft-headers initramfs   single steps'
	@echo '  clean      remove $(BUILD)'
	@echo 'Variables:'
	@echo '  KVERS="$(KVERS)"  DEMO_KVER=$(DEMO_KVER)  LANE=$(LANE) (all|svm|vmx)'
	@echo '  BUILD=$(BUILD)'
	@echo '  THV_LIVE=1 (show the console during check)  THV_ACCEL=auto|tcg|kvm'
	@echo '  THV_VM_TIMEOUT=600 (s per boot; Bochs: 2400)'
	@echo '  THV_TEST_TIMEOUT=300 (s per test)'
	@echo '  THV_BOCHS_CPU=corei7_haswell_4770  THV_BOCHS_CPUS=2'
	@echo '  THV_BOCHS_IPS=40000000 (see scripts/run-bochs.sh --help)'
	@echo '  THV_KMOD_ARGS="mtf=1" (insmod thv.ko parameters in the guest)'
	@echo '  THV_TESTS="survival_test" THV_REPEAT=20 (check: only these test'
	@echo '             executables, all of them 20 times over: chasing a flaky test)'

deps:
	@scripts/install-deps.sh

# One thv.ko per guest kernel, each built in its own copy of the sources.
modules: kmod

kmod:
	@kvers=$$(scripts/kvers.sh $(KVERS)) || exit 1; \
	for v in $$kvers; do \
		scripts/build-kmod.sh "$$v" "$(BUILD)" || exit 1; \
	done

# user/, guest-payloads/ and tests/ each have their own Makefile.
define need_dir
	@test -f $(1)/Makefile || { echo "thv: $(1)/Makefile is missing" >&2; exit 1; }
endef

user:
	$(call need_dir,user)
	@$(SUBMAKE) -C user BUILD=$(BUILD)

payloads:
	$(call need_dir,guest-payloads)
	@$(SUBMAKE) -C guest-payloads BUILD=$(BUILD)

tests: user payloads ksft-headers
	$(call need_dir,tests)
	@$(SUBMAKE) -C tests BUILD=$(BUILD) KSFT_DIR=$(KSFT_DIR)

# kselftest_harness.h is not packaged on its own: take it (and
# kselftest.h) from Debian's kernel source tarball, once.
ksft-headers: $(KSFT_DIR)/kselftest_harness.h

$(KSFT_DIR)/kselftest_harness.h:
	@test -r $(LINUX_SOURCE) || \
		{ echo "thv: no $(LINUX_SOURCE) (run 'make deps')" >&2; exit 1; }
	@echo "thv: extracting kselftest headers into $(KSFT_DIR)"
	@mkdir -p $(KSFT_DIR)
	@tar -xJf $(LINUX_SOURCE) -C $(KSFT_DIR) --strip-components=4 \
		--wildcards '*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
	@test -f $(KSFT_DIR)/kselftest.h && touch $@

# The initramfs of each kernel in KVERS (needs "all" first).
initramfs:
	@kvers=$$(scripts/kvers.sh $(KVERS)) || exit 1; \
	for v in $$kvers; do \
		scripts/mkinitramfs.sh "$$v" "$(BUILD)" || exit 1; \
	done

# LANE must be one of these before anything is built or booted.
define check_lane
	@case "$(LANE)" in all|svm|vmx) ;; \
	*) echo "thv: LANE must be all, svm or vmx (not '$(LANE)')" >&2; exit 2 ;; \
	esac
endef

# Boot every kernel even if one fails, then judge all logs together.
# First, on the host, scripts/test-lanes.sh checks which machine each
# lane would pick on hosts with and without nested KVM (seconds), and
# scripts/test-docs.sh that docs/tour.md is not stale and the lessons
# parse (the lessons' commands run in the VM: tests/lessons_test.sh).
# scripts/test-shell.sh boots each kernel once as `make shell` does and
# types lesson 1's first command (seconds).
# The svm lane boots each kernel four times in QEMU (the whole suite,
# the suite with 5-level paging, no SVM, no NPT); the vmx lane boots
# each kernel four times in Bochs (the whole suite, then CPU models
# without VMX, without EPT, without unrestricted guest).  All boot the
# same initramfs.
check: deps
	$(call check_lane)
	@$(SUBMAKE) all KVERS="$(KVERS)"
	@$(SUBMAKE) initramfs KVERS="$(KVERS)"
	@kvers=$$(scripts/kvers.sh $(KVERS)) || exit 1; \
	scripts/test-lanes.sh "$(BUILD)" || true; \
	scripts/test-docs.sh "$(BUILD)" || true; \
	logs="$(BUILD)/logs/host-check.log $(BUILD)/logs/host-docs.log"; \
	if [ "$(LANE)" != vmx ]; then \
		for v in $$kvers; do \
			rm -f "$(BUILD)/logs/$$v-mkshell.log"; \
			scripts/test-shell.sh "$$v" "$(BUILD)" || true; \
			logs="$$logs $(BUILD)/logs/$$v-mkshell.log"; \
			rm -f "$(BUILD)/logs/$$v-check.log"; \
			scripts/run-vm.sh "$$v" check "$(BUILD)" || true; \
			logs="$$logs $(BUILD)/logs/$$v-check.log"; \
			for m in la57 nosvm nonpt; do \
				rm -f "$(BUILD)/logs/$$v-$$m.log"; \
				scripts/run-vm.sh "$$v" $$m "$(BUILD)" || true; \
				logs="$$logs $(BUILD)/logs/$$v-$$m.log"; \
			done; \
		done; \
	fi; \
	if [ "$(LANE)" != svm ]; then \
		for v in $$kvers; do \
			rm -f "$(BUILD)/logs/$$v-vmx.log"; \
			scripts/run-bochs.sh "$$v" check "$(BUILD)" || true; \
			logs="$$logs $(BUILD)/logs/$$v-vmx.log"; \
			for m in novmx noept noug; do \
				rm -f "$(BUILD)/logs/$$v-$$m.log"; \
				scripts/run-bochs.sh "$$v" $$m "$(BUILD)" || true; \
				logs="$$logs $(BUILD)/logs/$$v-$$m.log"; \
			done; \
		done; \
	fi; \
	scripts/check.sh $$logs

demo: deps
	$(call check_lane)
	@$(SUBMAKE) all KVERS="$(DEMO_KVER)"
	@$(SUBMAKE) initramfs KVERS="$(DEMO_KVER)"
	@v=$$(scripts/kvers.sh $(DEMO_KVER)) || exit 1; \
	if [ "$(LANE)" = vmx ]; then \
		scripts/run-bochs.sh "$$v" demo "$(BUILD)"; \
	else \
		scripts/run-vm.sh "$$v" demo "$(BUILD)"; \
	fi

# The cost of a VM exit, thv against KVM (scripts/bench.sh): the SVM lane
# boots twice (wall clock, then -icount), the VMX lane once in Bochs.
# BENCH_ARGS: more scripts/bench.sh options (--quick, --docs).
bench: deps
	$(call check_lane)
	@$(SUBMAKE) all KVERS="$(DEMO_KVER)"
	@$(SUBMAKE) initramfs KVERS="$(DEMO_KVER)"
	@scripts/bench.sh --lane $(LANE) \
		--kver "$$(scripts/kvers.sh $(DEMO_KVER))" $(BENCH_ARGS) "$(BUILD)"

# The test VM's shell, for the lessons: QEMU (SVM), or with LANE=vmx
# Bochs (VMX; its console reaches this terminal through socat).
shell:
	$(call check_lane)
	@$(SUBMAKE) initramfs KVERS="$(DEMO_KVER)"
	@v=$$(scripts/kvers.sh $(DEMO_KVER)) || exit 1; \
	if [ "$(LANE)" = vmx ]; then \
		scripts/run-bochs.sh "$$v" shell "$(BUILD)"; \
	else \
		scripts/run-vm.sh "$$v" shell "$(BUILD)"; \
	fi

# The guided tour, extracted from the source (scripts/tour.sh).
tour:
	@scripts/tour.sh

clean:
	rm -rf $(BUILD)
