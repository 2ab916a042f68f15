// SPDX-License-Identifier: GPL-2.0
/*
 * exits_test.c - every exit reason of /dev/thv, end to end.
 *
 * Each test loads a few real-mode (or flat 32-bit) instructions, runs the
 * vCPU and checks the decoded fields of each exit against what the guest
 * did.  Values that come back into the guest (IN data, MMIO read data,
 * hypercall return) are sent out again through the report port so that
 * the host can see that they landed in the right register.
 *
 * Exit semantics under test (include/uapi/thv.h): at an exit, exit_rip
 * and regs.rip point AT the exiting instruction; the next THV_RUN
 * completes it and moves on.
 */
#include "kselftest_harness.h"
#include "test_util.h"

FIXTURE(exits) {
	struct thv_vm vm;
};

FIXTURE_SETUP(exits)
{
	THV_REQUIRE_DEV();
	vm_create(_metadata, &self->vm, GUEST_MEM_SIZE);
}

FIXTURE_TEARDOWN(exits)
{
	thv_vm_destroy(&self->vm);
}

/* ------------------------------------------------------------------ */
/* IO OUT: port, size 1/2/4, direction, count and data.                */

GUEST_SYMBOL(io_out_b);
GUEST_SYMBOL(io_out_w);
GUEST_SYMBOL(io_out_l);
GUEST_SYMBOL(io_out_dx);
GUEST_CODE16(io_out,
	"mov $0x11, %al\n"
	GUEST_LABEL(io_out_b)
	"outb %al, $0x80\n"
	"mov $0x2233, %ax\n"
	GUEST_LABEL(io_out_w)
	"outw %ax, $0x82\n"
	"mov $0x44556677, %eax\n"
	GUEST_LABEL(io_out_l)
	"outl %eax, $0x84\n"
	/* Ports above 0xff need the DX form. */
	"mov $0x3f8, %dx\n"
	"mov $0x5a, %al\n"
	GUEST_LABEL(io_out_dx)
	"outb %al, (%dx)\n"
	"hlt\n");

struct io_expect {
	const unsigned char *label;
	uint16_t port;
	uint8_t size;
	uint32_t data;
};

TEST_F(exits, io_out)
{
	const struct io_expect expect[] = {
		{ io_out_b, 0x80, 1, 0x11 },
		{ io_out_w, 0x82, 2, 0x2233 },
		{ io_out_l, 0x84, 4, 0x44556677 },
		{ io_out_dx, 0x3f8, 1, 0x5a },
	};
	struct thv_run *run;
	unsigned int i;

	guest_start_real(_metadata, &self->vm, io_out_start, io_out_end);

	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		uint32_t data = 0;

		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
		EXPECT_EQ(THV_EXIT_IO_OUT, run->io.direction)
			TH_LOG("exit %u: expected direction OUT", i);
		EXPECT_EQ(expect[i].port, run->io.port)
			TH_LOG("exit %u: expected port 0x%x, got 0x%x",
			       i, expect[i].port, run->io.port);
		ASSERT_EQ(expect[i].size, run->io.size)
			TH_LOG("exit %u: expected size %u, got %u",
			       i, expect[i].size, run->io.size);
		EXPECT_EQ(1, run->io.count)
			TH_LOG("exit %u: expected count 1, got %u",
			       i, run->io.count);
		ASSERT_LE(run->io.data_offset + 4, self->vm.run_size)
			TH_LOG("data_offset %llu lies outside the run area",
			       (unsigned long long)run->io.data_offset);
		memcpy(&data, thv_io_data(&self->vm), run->io.size);
		EXPECT_EQ(expect[i].data, data)
			TH_LOG("exit %u: expected data 0x%x, got 0x%x",
			       i, expect[i].data, data);
		EXPECT_EQ(guest_rip(io_out, expect[i].label), run->exit_rip)
			TH_LOG("exit %u: expected exit_rip 0x%llx, got 0x%llx", i,
			       (unsigned long long)guest_rip(io_out, expect[i].label),
			       (unsigned long long)run->exit_rip);
	}
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* IO IN: the host's data lands in AL / AX / EAX, the rest untouched.  */

GUEST_SYMBOL(io_in_b);
GUEST_SYMBOL(io_in_w);
GUEST_SYMBOL(io_in_l);
GUEST_CODE16(io_in,
	"mov $0xaaaaaaaa, %eax\n"
	GUEST_LABEL(io_in_b)
	"inb $0x60, %al\n"
	G_REPORT_EAX
	"mov $0xaaaaaaaa, %eax\n"
	GUEST_LABEL(io_in_w)
	"inw $0x62, %ax\n"
	G_REPORT_EAX
	"mov $0xaaaaaaaa, %eax\n"
	"mov $0x3fc, %dx\n"
	GUEST_LABEL(io_in_l)
	"inl (%dx), %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, io_in)
{
	/* The host always offers 4 bytes; only size bytes may be taken. */
	const uint32_t offered = 0x12345678;
	const struct io_expect expect[] = {
		{ io_in_b, 0x60, 1, 0xaaaaaa78 },
		{ io_in_w, 0x62, 2, 0xaaaa5678 },
		{ io_in_l, 0x3fc, 4, 0x12345678 },
	};
	struct thv_run *run;
	unsigned int i;
	uint32_t got;

	guest_start_real(_metadata, &self->vm, io_in_start, io_in_end);

	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
		ASSERT_EQ(THV_EXIT_IO_IN, run->io.direction)
			TH_LOG("exit %u: expected direction IN", i);
		EXPECT_EQ(expect[i].port, run->io.port)
			TH_LOG("exit %u: expected port 0x%x, got 0x%x",
			       i, expect[i].port, run->io.port);
		ASSERT_EQ(expect[i].size, run->io.size)
			TH_LOG("exit %u: expected size %u, got %u",
			       i, expect[i].size, run->io.size);
		EXPECT_EQ(1, run->io.count)
			TH_LOG("exit %u: expected count 1, got %u",
			       i, run->io.count);
		EXPECT_EQ(guest_rip(io_in, expect[i].label), run->exit_rip)
			TH_LOG("exit %u: exit_rip 0x%llx is not the IN", i,
			       (unsigned long long)run->exit_rip);
		ASSERT_LE(run->io.data_offset + 4, self->vm.run_size)
			TH_LOG("data_offset %llu lies outside the run area",
			       (unsigned long long)run->io.data_offset);
		memcpy(thv_io_data(&self->vm), &offered, sizeof(offered));

		got = guest_report(_metadata, &self->vm);
		EXPECT_EQ(expect[i].data, got)
			TH_LOG("IN size %u: guest EAX expected 0x%x, got 0x%x",
			       expect[i].size, expect[i].data, got);
	}
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* MMIO write: a store to a GPA no slot backs, decoded.                */

GUEST_SYMBOL(mmio_w_b);
GUEST_SYMBOL(mmio_w_w);
GUEST_SYMBOL(mmio_w_l);
GUEST_SYMBOL(mmio_w_imm);
GUEST_CODE16(mmio_write,
	"mov $0x12, %bl\n"
	GUEST_LABEL(mmio_w_b)
	"mov %bl, 0xc000\n"		/* 88 /r */
	"mov $0x3456, %ax\n"
	GUEST_LABEL(mmio_w_w)
	"mov %ax, 0xc010\n"		/* a3 moffs */
	"mov $0x789abcde, %ecx\n"
	GUEST_LABEL(mmio_w_l)
	"mov %ecx, 0xc020\n"		/* 66 89 /r */
	GUEST_LABEL(mmio_w_imm)
	"movw $0xbeef, 0xc030\n"	/* c7 /0 imm16 */
	"hlt\n");

struct mmio_expect {
	const unsigned char *label;
	uint64_t gpa;
	uint32_t len;
	uint32_t data;
};

/* The instruction bytes in the exit must be the guest's own. */
static void check_mmio_insn(struct __test_metadata *_metadata,
			    struct thv_vm *vm)
{
	struct thv_run *run = vm->run;
	const uint8_t *code = thv_gpa_to_hva(vm, run->exit_rip);

	ASSERT_NE(NULL, code) TH_LOG("exit_rip 0x%llx is outside guest RAM",
				     (unsigned long long)run->exit_rip);
	ASSERT_GE(run->mmio.insn_len, 1)
		TH_LOG("expected the instruction bytes, got insn_len 0");
	ASSERT_LE(run->mmio.insn_len, THV_RUN_INSN_MAX)
		TH_LOG("insn_len %u is over %u", run->mmio.insn_len,
		       THV_RUN_INSN_MAX);
	EXPECT_EQ(0, memcmp(run->mmio.insn, code, run->mmio.insn_len))
		TH_LOG("insn bytes differ from the guest's code at 0x%llx",
		       (unsigned long long)run->exit_rip);
}

TEST_F(exits, mmio_write)
{
	const struct mmio_expect expect[] = {
		{ mmio_w_b, 0xc000, 1, 0x12 },
		{ mmio_w_w, 0xc010, 2, 0x3456 },
		{ mmio_w_l, 0xc020, 4, 0x789abcde },
		{ mmio_w_imm, 0xc030, 2, 0xbeef },
	};
	struct thv_run *run;
	unsigned int i;

	guest_start_real(_metadata, &self->vm, mmio_write_start,
			 mmio_write_end);

	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		uint32_t data = 0;

		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
		EXPECT_EQ(1, run->mmio.is_write)
			TH_LOG("exit %u: expected a write, got a read", i);
		EXPECT_EQ(expect[i].gpa, run->mmio.phys_addr)
			TH_LOG("exit %u: expected phys_addr 0x%llx, got 0x%llx", i,
			       (unsigned long long)expect[i].gpa,
			       (unsigned long long)run->mmio.phys_addr);
		ASSERT_EQ(expect[i].len, run->mmio.len)
			TH_LOG("exit %u: expected len %u, got %u",
			       i, expect[i].len, run->mmio.len);
		memcpy(&data, run->mmio.data, run->mmio.len);
		EXPECT_EQ(expect[i].data, data)
			TH_LOG("exit %u: expected data 0x%x, got 0x%x",
			       i, expect[i].data, data);
		EXPECT_EQ(guest_rip(mmio_write, expect[i].label), run->exit_rip)
			TH_LOG("exit %u: exit_rip 0x%llx is not the store", i,
			       (unsigned long long)run->exit_rip);
		check_mmio_insn(_metadata, &self->vm);
	}
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* MMIO read: the host's data lands in the destination register.       */

GUEST_SYMBOL(mmio_r_b);
GUEST_SYMBOL(mmio_r_w);
GUEST_SYMBOL(mmio_r_l);
GUEST_CODE16(mmio_read,
	"mov $0xaaaaaaaa, %eax\n"
	GUEST_LABEL(mmio_r_b)
	"mov 0xc000, %al\n"		/* a0 moffs */
	G_REPORT_EAX
	"mov $0xaaaaaaaa, %ebx\n"
	GUEST_LABEL(mmio_r_w)
	"mov 0xc010, %bx\n"		/* 8b /r */
	"mov %ebx, %eax\n"
	G_REPORT_EAX
	"mov $0xaaaaaaaa, %ecx\n"
	GUEST_LABEL(mmio_r_l)
	"mov 0xc020, %ecx\n"		/* 66 8b /r */
	"mov %ecx, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, mmio_read)
{
	/* Offer 8 bytes; only len of them may reach the register. */
	const uint64_t offered = 0x0123456789abcdefULL;
	const struct mmio_expect expect[] = {
		{ mmio_r_b, 0xc000, 1, 0xaaaaaaef },
		{ mmio_r_w, 0xc010, 2, 0xaaaacdef },
		{ mmio_r_l, 0xc020, 4, 0x89abcdef },
	};
	struct thv_run *run;
	unsigned int i;
	uint32_t got;

	guest_start_real(_metadata, &self->vm, mmio_read_start, mmio_read_end);

	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
		ASSERT_EQ(0, run->mmio.is_write)
			TH_LOG("exit %u: expected a read, got a write", i);
		EXPECT_EQ(expect[i].gpa, run->mmio.phys_addr)
			TH_LOG("exit %u: expected phys_addr 0x%llx, got 0x%llx", i,
			       (unsigned long long)expect[i].gpa,
			       (unsigned long long)run->mmio.phys_addr);
		ASSERT_EQ(expect[i].len, run->mmio.len)
			TH_LOG("exit %u: expected len %u, got %u",
			       i, expect[i].len, run->mmio.len);
		EXPECT_EQ(guest_rip(mmio_read, expect[i].label), run->exit_rip)
			TH_LOG("exit %u: exit_rip 0x%llx is not the load", i,
			       (unsigned long long)run->exit_rip);
		memcpy(run->mmio.data, &offered, sizeof(offered));

		got = guest_report(_metadata, &self->vm);
		EXPECT_EQ(expect[i].data, got)
			TH_LOG("MMIO read len %u: register expected 0x%x, got 0x%x",
			       expect[i].len, expect[i].data, got);
	}
	guest_expect_hlt(_metadata, &self->vm);
}

/* movzx / movsx from MMIO: zero- and sign-extension done right. */
GUEST_CODE16(mmio_extend,
	"mov $0xaaaaaaaa, %edx\n"
	"movzbl 0xc000, %edx\n"		/* 66 0f b6 /r */
	"mov %edx, %eax\n"
	G_REPORT_EAX
	"mov $0xaaaaaaaa, %edx\n"
	"movsbl 0xc000, %edx\n"		/* 66 0f be /r */
	"mov %edx, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, mmio_read_movzx_movsx)
{
	const uint32_t expect[] = { 0x00000080, 0xffffff80 };
	struct thv_run *run;
	unsigned int i;
	uint32_t got;

	guest_start_real(_metadata, &self->vm, mmio_extend_start,
			 mmio_extend_end);

	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
		ASSERT_EQ(0, run->mmio.is_write)
			TH_LOG("exit %u: expected a read", i);
		ASSERT_EQ(1, run->mmio.len)
			TH_LOG("exit %u: a byte source, got len %u",
			       i, run->mmio.len);
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		run->mmio.data[0] = 0x80;

		got = guest_report(_metadata, &self->vm);
		EXPECT_EQ(expect[i], got)
			TH_LOG("%s of 0x80: expected 0x%08x, got 0x%08x",
			       i ? "movsx" : "movzx", expect[i], got);
	}
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* HLT: exits at the HLT; the next RUN continues after it.             */

GUEST_SYMBOL(hlt_insn);
GUEST_CODE16(hlt_guest,
	GUEST_LABEL(hlt_insn)
	"hlt\n"
	"mov $0x1234, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, hlt)
{
	struct thv_regs regs;
	struct thv_run *run;
	uint32_t got;
	int ret;

	guest_start_real(_metadata, &self->vm, hlt_guest_start, hlt_guest_end);

	run = guest_expect_hlt(_metadata, &self->vm);
	EXPECT_EQ(guest_rip(hlt_guest, hlt_insn), run->exit_rip)
		TH_LOG("expected exit_rip 0x%llx, got 0x%llx",
		       (unsigned long long)guest_rip(hlt_guest, hlt_insn),
		       (unsigned long long)run->exit_rip);
	ret = thv_get_regs(&self->vm, &regs);
	ASSERT_EQ(0, ret) TH_LOG("GET_REGS: %s", strerror(-ret));
	EXPECT_EQ(guest_rip(hlt_guest, hlt_insn), regs.rip)
		TH_LOG("regs.rip 0x%llx should point at the HLT",
		       (unsigned long long)regs.rip);

	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x1234, got)
		TH_LOG("after HLT the guest should go on: expected 0x1234, got 0x%x",
		       got);
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* SHUTDOWN: a triple fault, and the VM stays dead.                    */

/*
 * An IDT limit of 0 makes every interrupt vector fall outside the table:
 * INT3 -> #GP -> #DF -> shutdown (APM Vol. 2 8.2.9, 15.11; in real mode
 * the same rule holds for the interrupt vector table).
 */
GUEST_CODE16(triple,
	"lidt " GPA(triple, triple_idt) "\n"
	"int3\n"
	"hlt\n"
	".p2align 3\n"
	"triple_idt: .word 0\n"
	".long 0\n");

TEST_F(exits, shutdown)
{
	struct thv_run *run;

	guest_start_real(_metadata, &self->vm, triple_start, triple_end);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_SHUTDOWN);
	/* RUN again without a reset: still SHUTDOWN, the guest stays dead. */
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_SHUTDOWN);
	EXPECT_EQ(THV_EXIT_SHUTDOWN, run->exit_reason);
}

/* ------------------------------------------------------------------ */
/* HYPERCALL: nr and four arguments out, the return value back in RAX. */

GUEST_SYMBOL(hc_vmmcall_insn);
GUEST_CODE16(hc_vmmcall,
	"mov $0x1234abcd, %eax\n"
	"mov $0x11111111, %ebx\n"
	"mov $0x22222222, %ecx\n"
	"mov $0x33333333, %edx\n"
	"mov $0x44444444, %esi\n"
	GUEST_LABEL(hc_vmmcall_insn)
	".byte 0x0f, 0x01, 0xd9\n"	/* vmmcall */
	G_REPORT_EAX
	"hlt\n");

GUEST_SYMBOL(hc_vmcall_insn);
GUEST_CODE16(hc_vmcall,
	"mov $0x1234abcd, %eax\n"
	"mov $0x11111111, %ebx\n"
	"mov $0x22222222, %ecx\n"
	"mov $0x33333333, %edx\n"
	"mov $0x44444444, %esi\n"
	GUEST_LABEL(hc_vmcall_insn)
	".byte 0x0f, 0x01, 0xc1\n"	/* vmcall */
	G_REPORT_EAX
	"hlt\n");

static void check_hypercall(struct __test_metadata *_metadata,
			    struct thv_vm *vm, uint64_t insn_rip,
			    uint32_t insn_kind)
{
	const uint64_t args[4] = {
		0x11111111, 0x22222222, 0x33333333, 0x44444444
	};
	struct thv_run *run;
	uint32_t got;
	int i;

	run = vcpu_run_expect(_metadata, vm, THV_EXIT_HYPERCALL);
	EXPECT_EQ(0x1234abcd, run->hypercall.nr)
		TH_LOG("expected nr 0x1234abcd (RAX), got 0x%llx",
		       (unsigned long long)run->hypercall.nr);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(args[i], run->hypercall.args[i])
			TH_LOG("expected args[%d] 0x%llx, got 0x%llx", i,
			       (unsigned long long)args[i],
			       (unsigned long long)run->hypercall.args[i]);
	}
	EXPECT_EQ(insn_kind, run->hypercall.insn)
		TH_LOG("expected insn %u (THV_HC_INSN_*), got %u",
		       insn_kind, run->hypercall.insn);
	EXPECT_EQ(insn_rip, run->exit_rip)
		TH_LOG("expected exit_rip 0x%llx, got 0x%llx",
		       (unsigned long long)insn_rip,
		       (unsigned long long)run->exit_rip);

	run->hypercall.ret = 0x600d;
	got = guest_report(_metadata, vm);
	EXPECT_EQ(0x600d, got)
		TH_LOG("hypercall.ret should land in RAX: expected 0x600d, got 0x%x",
		       got);
	guest_expect_hlt(_metadata, vm);
}

TEST_F(exits, hypercall_vmmcall)
{
	guest_start_real(_metadata, &self->vm, hc_vmmcall_start,
			 hc_vmmcall_end);
	check_hypercall(_metadata, &self->vm,
			guest_rip(hc_vmmcall, hc_vmmcall_insn),
			THV_HC_INSN_VMMCALL);
}

TEST_F(exits, hypercall_vmcall)
{
	guest_start_real(_metadata, &self->vm, hc_vmcall_start, hc_vmcall_end);
	check_hypercall(_metadata, &self->vm,
			guest_rip(hc_vmcall, hc_vmcall_insn),
			THV_HC_INSN_VMCALL);
}

/* ------------------------------------------------------------------ */
/* FAIL_ENTRY: a CR0 the hardware refuses at VMRUN / VM entry.        */

GUEST_CODE16(report_and_halt,
	"mov $0x5eed, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, fail_entry_bad_cr0)
{
	struct thv_sregs sregs;
	struct thv_caps caps;
	struct thv_run *run;
	struct thv_vm fresh;
	uint32_t got;
	int ret;

	get_caps(_metadata, &caps);
	guest_start_real(_metadata, &self->vm, report_and_halt_start,
			 report_and_halt_end);

	ret = thv_get_sregs(&self->vm, &sregs);
	ASSERT_EQ(0, ret) TH_LOG("GET_SREGS: %s", strerror(-ret));
	if (caps.backend == THV_BACKEND_VMX) {
		/*
		 * SDM Vol. 3C 27.3.1.1: even with unrestricted guest,
		 * CR0.PG=1 needs CR0.PE=1.  (VMX does not check CD/NW.)
		 */
		sregs.cr0 |= 1ULL << 31;
		sregs.cr0 &= ~1ULL;
	} else {
		/* APM Vol. 2 15.5.1: CR0.CD=0 with CR0.NW=1 is illegal. */
		sregs.cr0 |= 1ULL << 29;
		sregs.cr0 &= ~(1ULL << 30);
	}
	ret = thv_set_sregs(&self->vm, &sregs);
	ASSERT_EQ(0, ret) TH_LOG("SET_SREGS with a bad CR0 0x%llx: expected 0, got %d (%s)",
				 (unsigned long long)sregs.cr0, ret,
				 strerror(-ret));

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_FAIL_ENTRY);
	EXPECT_EQ(THV_FAIL_CR0, run->fail_entry.reason)
		TH_LOG("expected reason CR0, got %s (%u)",
		       thv_fail_name(run->fail_entry.reason),
		       run->fail_entry.reason);
	if (caps.backend == THV_BACKEND_SVM) {
		/* SVM: the VMEXIT_INVALID code, -1 (APM Vol. 2 15.5.1). */
		EXPECT_EQ(0xffffffffffffffffULL,
			  run->fail_entry.hardware_entry_failure_reason)
			TH_LOG("expected hw code VMEXIT_INVALID (-1), got 0x%llx",
			       (unsigned long long)
			       run->fail_entry.hardware_entry_failure_reason);
	} else {
		/*
		 * VMX: exit reason 33 "VM-entry failure due to invalid guest
		 * state" with bit 31 set (SDM Vol. 3C 27.8, Appendix C); not
		 * a VMfail, so no VM-instruction error.
		 */
		EXPECT_EQ(0x80000021ULL,
			  run->fail_entry.hardware_entry_failure_reason)
			TH_LOG("expected exit reason 0x80000021, got 0x%llx",
			       (unsigned long long)
			       run->fail_entry.hardware_entry_failure_reason);
		EXPECT_EQ(0, run->fail_entry.vm_instruction_error)
			TH_LOG("expected no VM-instruction error, got %u",
			       run->fail_entry.vm_instruction_error);
	}

	/* The same vCPU runs again once its state is fixed. */
	sregs.cr0 = 0x60000010;		/* CD, NW, ET: the reset value */
	ret = thv_set_sregs(&self->vm, &sregs);
	ASSERT_EQ(0, ret) TH_LOG("SET_SREGS back to a good CR0: %s", strerror(-ret));
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x5eed, got) TH_LOG("fixed vCPU: expected 0x5eed, got 0x%x", got);

	/* The host is unharmed: a fresh VM runs. */
	vm_create(_metadata, &fresh, GUEST_MEM_SIZE);
	guest_start_real(_metadata, &fresh, report_and_halt_start,
			 report_and_halt_end);
	got = guest_report(_metadata, &fresh);
	EXPECT_EQ(0x5eed, got) TH_LOG("fresh VM: expected 0x5eed, got 0x%x", got);
	guest_expect_hlt(_metadata, &fresh);
	thv_vm_destroy(&fresh);
}

/* ------------------------------------------------------------------ */
/* INTERNAL_ERROR: string I/O and an MMIO instruction thv can't decode. */

/* ------------------------------------------------------------------ */
/* String I/O: INS/OUTS, every size, both directions, REP in chunks.   */

/* Expect an IO exit on port 0xe9 of count elements of size bytes. */
static uint8_t *expect_strio(struct __test_metadata *_metadata,
			     struct thv_vm *vm, int out, unsigned int size,
			     unsigned int count)
{
	struct thv_run *run = vcpu_run_expect(_metadata, vm, THV_EXIT_IO);

	EXPECT_EQ(PORT_DEBUG, run->io.port);
	EXPECT_EQ(out ? THV_EXIT_IO_OUT : THV_EXIT_IO_IN, run->io.direction);
	EXPECT_EQ(size, run->io.size) TH_LOG("size %u, want %u", run->io.size,
					     size);
	EXPECT_EQ(count, run->io.count) TH_LOG("count %u, want %u",
					       run->io.count, count);
	return thv_io_data(vm);
}

GUEST_SYMBOL(outs_rcx0);
GUEST_CODE16(strio_out,
	"mov $0xe9, %dx\n"
	"cld\n"
	"mov $0x5000, %si\n"
	"mov $5, %cx\n"
	"rep outsb\n"			/* 10 11 12 13 14 */
	"mov %si, %ax\n"
	G_REPORT_EAX
	"mov %cx, %ax\n"
	G_REPORT_EAX
	"mov $0x5000, %si\n"
	"mov $3, %cx\n"
	"rep outsw\n"			/* 1110 1312 1514 */
	"mov $0x5000, %si\n"
	"mov $2, %cx\n"
	"rep outsl\n"			/* 13121110 17161514 */
	"mov $0x5004, %si\n"
	"std\n"
	"mov $4, %cx\n"
	"rep outsb\n"			/* backwards: 14 13 12 11 */
	"cld\n"
	"mov %si, %ax\n"
	G_REPORT_EAX
	"mov $0x5000, %si\n"
	"es outsb\n"			/* no REP: one element; ES = DS = 0 */
	"mov %si, %ax\n"
	G_REPORT_EAX
	"xor %cx, %cx\n"
	GUEST_LABEL(outs_rcx0)
	"rep outsb\n"			/* rCX = 0: nothing at all */
	"mov $0x1234, %ax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, string_io_outs)
{
	static const uint8_t w[] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15 };
	static const uint8_t back[] = { 0x14, 0x13, 0x12, 0x11 };
	uint8_t *ram = thv_gpa_to_hva(&self->vm, GUEST_DATA_GPA);
	uint8_t *data;
	uint32_t got;
	int i;

	for (i = 0; i < 16; i++)
		ram[i] = 0x10 + i;
	guest_start_real(_metadata, &self->vm, strio_out_start, strio_out_end);

	data = expect_strio(_metadata, &self->vm, 1, 1, 5);
	EXPECT_EQ(0, memcmp(data, w, 5)) TH_LOG("rep outsb data");
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x5005, got) TH_LOG("SI after rep outsb: 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0, got) TH_LOG("CX after rep outsb: 0x%x", got);

	data = expect_strio(_metadata, &self->vm, 1, 2, 3);
	EXPECT_EQ(0, memcmp(data, w, 6)) TH_LOG("rep outsw data");
	data = expect_strio(_metadata, &self->vm, 1, 4, 2);
	EXPECT_EQ(0, memcmp(data, ram, 8)) TH_LOG("rep outsl data");

	data = expect_strio(_metadata, &self->vm, 1, 1, 4);
	EXPECT_EQ(0, memcmp(data, back, 4))
		TH_LOG("with DF=1: %02x %02x %02x %02x", data[0], data[1],
		       data[2], data[3]);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x5000, got) TH_LOG("SI after the backward rep: 0x%x", got);

	data = expect_strio(_metadata, &self->vm, 1, 1, 1);
	EXPECT_EQ(0x10, data[0]);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x5001, got) TH_LOG("SI after one outsb: 0x%x", got);

	/* rep outsb with CX = 0 must not exit: the next exit is the report. */
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x1234, got);
	guest_expect_hlt(_metadata, &self->vm);
}

GUEST_CODE16(strio_in,
	"mov $0xe9, %dx\n"
	"cld\n"
	"mov $0x5100, %di\n"
	"mov $4, %cx\n"
	"rep insw\n"
	"mov %di, %ax\n"
	G_REPORT_EAX
	"mov $0x5207, %di\n"
	"std\n"
	"mov $3, %cx\n"
	"rep insb\n"
	"cld\n"
	"mov %di, %ax\n"
	G_REPORT_EAX
	"mov $0x5300, %di\n"
	"insl\n"
	"mov %di, %ax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, string_io_ins)
{
	static const uint8_t in8[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t *ram = thv_gpa_to_hva(&self->vm, 0);
	uint8_t *data;
	uint32_t got;

	guest_start_real(_metadata, &self->vm, strio_in_start, strio_in_end);

	data = expect_strio(_metadata, &self->vm, 0, 2, 4);
	memcpy(data, in8, 8);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x5108, got) TH_LOG("DI after rep insw: 0x%x", got);
	EXPECT_EQ(0, memcmp(ram + 0x5100, in8, 8)) TH_LOG("rep insw stored");

	data = expect_strio(_metadata, &self->vm, 0, 1, 3);
	data[0] = 0xa1;
	data[1] = 0xa2;
	data[2] = 0xa3;
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x5204, got) TH_LOG("DI after the backward rep: 0x%x", got);
	EXPECT_EQ(0xa1, ram[0x5207]);
	EXPECT_EQ(0xa2, ram[0x5206]);
	EXPECT_EQ(0xa3, ram[0x5205]);
	EXPECT_EQ(0, ram[0x5204]) TH_LOG("one byte too many was stored");

	data = expect_strio(_metadata, &self->vm, 0, 4, 1);
	memcpy(data, "\x78\x56\x34\x12", 4);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x5304, got);
	EXPECT_EQ(0, memcmp(ram + 0x5300, "\x78\x56\x34\x12", 4));
	guest_expect_hlt(_metadata, &self->vm);
}

/*
 * 3000 bytes do not fit in the run area's data part (2 KiB): the kernel
 * hands them over in chunks, and the guest's REP goes on where it was.
 */
GUEST_CODE16(strio_long,
	"mov $0xe9, %dx\n"
	"cld\n"
	"mov $0x2000, %si\n"
	"mov $3000, %cx\n"
	"rep outsb\n"
	"mov %si, %ax\n"
	G_REPORT_EAX
	"mov %cx, %ax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, string_io_rep_in_chunks)
{
	uint8_t *ram = thv_gpa_to_hva(&self->vm, 0x2000);
	unsigned int total = 0, exits = 0, i;
	struct thv_run *run;
	uint32_t got;

	for (i = 0; i < 3000; i++)
		ram[i] = i * 7;
	guest_start_real(_metadata, &self->vm, strio_long_start,
			 strio_long_end);
	while (total < 3000) {
		uint8_t *data;

		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
		ASSERT_EQ(PORT_DEBUG, run->io.port)
			TH_LOG("after %u of 3000 bytes: port 0x%x", total,
			       run->io.port);
		ASSERT_LE(run->io.count, 3000 - total);
		data = thv_io_data(&self->vm);
		for (i = 0; i < run->io.count; i++)
			ASSERT_EQ((uint8_t)((total + i) * 7), data[i])
				TH_LOG("byte %u", total + i);
		total += run->io.count;
		exits++;
	}
	EXPECT_LE(2, exits) TH_LOG("3000 bytes in %u exit(s)", exits);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x2000 + 3000, got) TH_LOG("SI at the end: 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0, got) TH_LOG("CX at the end: 0x%x", got);
	guest_expect_hlt(_metadata, &self->vm);
}

GUEST_SYMBOL(incw_insn);
GUEST_CODE16(bad_mmio,
	GUEST_LABEL(incw_insn)
	"incw 0xc000\n"			/* ff /0: read-modify-write, no MOV */
	"hlt\n");

/*
 * An MMIO instruction the kernel does not decode (INC m16) goes to
 * userspace whole: the bytes, the address, the direction, RIP unmoved.
 */
TEST_F(exits, mmio_user_decode)
{
	struct thv_regs regs;
	struct thv_run *run;

	guest_start_real(_metadata, &self->vm, bad_mmio_start, bad_mmio_end);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.user_decode)
		TH_LOG("expected user_decode for INC m16");
	EXPECT_EQ(0xc000, run->mmio.phys_addr)
		TH_LOG("expected the MMIO address 0xc000, got 0x%llx",
		       (unsigned long long)run->mmio.phys_addr);
	EXPECT_EQ(0, run->mmio.len);
	EXPECT_EQ(guest_rip(bad_mmio, incw_insn), run->exit_rip)
		TH_LOG("expected exit_rip at the INC 0x%llx, got 0x%llx",
		       (unsigned long long)guest_rip(bad_mmio, incw_insn),
		       (unsigned long long)run->exit_rip);
	ASSERT_GE(run->mmio.insn_len, 4)
		TH_LOG("expected at least the 4 bytes of incw, got %u",
		       run->mmio.insn_len);
	/* incw 0xc000 in 16-bit code: ff 06 00 c0 */
	EXPECT_EQ(0xff, run->mmio.insn[0]);
	EXPECT_EQ(0x06, run->mmio.insn[1]);
	EXPECT_EQ(0x00, run->mmio.insn[2]);
	EXPECT_EQ(0xc0, run->mmio.insn[3]);
	ASSERT_EQ(0, ioctl(self->vm.vcpu_fd, THV_GET_REGS, &regs));
	EXPECT_EQ(guest_rip(bad_mmio, incw_insn), regs.rip)
		TH_LOG("RIP moved to 0x%llx", (unsigned long long)regs.rip);

	/* Not emulated: the guest faults on it again, and nothing else. */
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.user_decode);
	EXPECT_EQ(guest_rip(bad_mmio, incw_insn), run->exit_rip);
}

GUEST_CODE16(exec_mmio,
	"ljmp $0, $0xc000\n");		/* code at 0xc000: no slot there */

/* Code fetched from MMIO cannot be emulated: INTERNAL_ERROR EMULATION. */
TEST_F(exits, internal_error_emulation)
{
	struct thv_run *run;

	guest_start_real(_metadata, &self->vm, exec_mmio_start, exec_mmio_end);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(THV_INTERNAL_EMULATION, run->internal.suberror)
		TH_LOG("expected suberror EMULATION (%d), got %u",
		       THV_INTERNAL_EMULATION, run->internal.suberror);
	ASSERT_EQ(8, run->internal.ndata);
	EXPECT_EQ(0xc000, run->internal.data[4])
		TH_LOG("expected the MMIO address 0xc000 in data[4], got 0x%llx",
		       (unsigned long long)run->internal.data[4]);
	EXPECT_EQ(0xc000, run->exit_rip)
		TH_LOG("expected exit_rip 0xc000, got 0x%llx",
		       (unsigned long long)run->exit_rip);
}

/* ------------------------------------------------------------------ */
/* CPUID: handled in the kernel, never seen by userspace.              */

GUEST_CODE16(cpuid_guest,
	"mov $1, %eax\n"
	"xor %ecx, %ecx\n"
	"cpuid\n"
	"mov %ecx, %eax\n"
	G_REPORT_EAX
	"mov $0x40000000, %eax\n"
	"cpuid\n"
	G_REPORT_EAX
	"mov %ebx, %eax\n"
	G_REPORT_EAX
	"mov %ecx, %eax\n"
	G_REPORT_EAX
	"mov %edx, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, cpuid_in_kernel)
{
	struct thv_run *run = self->vm.run;
	uint32_t leaf1_ecx, max_leaf, sig[3];
	uint64_t exits_before;
	int i;

	guest_start_real(_metadata, &self->vm, cpuid_guest_start,
			 cpuid_guest_end);

	/* guest_report() fails the test on any exit but the report OUT. */
	leaf1_ecx = guest_report(_metadata, &self->vm);
	EXPECT_NE(0, leaf1_ecx & (1u << 31))
		TH_LOG("CPUID.1:ECX bit 31 (hypervisor) should be set, ECX=0x%08x",
		       leaf1_ecx);
	exits_before = run->exits;

	max_leaf = guest_report(_metadata, &self->vm);
	/* One CPUID exit handled in the kernel, plus this IO exit. */
	EXPECT_LE(exits_before + 2, run->exits)
		TH_LOG("exits went from %llu to %llu: the CPUID exit is not counted",
		       (unsigned long long)exits_before,
		       (unsigned long long)run->exits);
	EXPECT_EQ(0x40000001, max_leaf)
		TH_LOG("CPUID.0x40000000:EAX expected 0x40000001, got 0x%08x",
		       max_leaf);
	for (i = 0; i < 3; i++)
		sig[i] = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0, memcmp(sig, "thvthvthv\0\0\0", 12))
		TH_LOG("expected signature \"thvthvthv\", got \"%.12s\"",
		       (const char *)sig);
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* exit_rip and regs.rip agree, and run->exits counts every exit.      */

GUEST_SYMBOL(rip_out1);
GUEST_SYMBOL(rip_out2);
GUEST_CODE16(rip_guest,
	"mov $1, %eax\n"
	GUEST_LABEL(rip_out1)
	G_REPORT_EAX
	"nop\n"
	"nop\n"
	"mov $2, %eax\n"
	GUEST_LABEL(rip_out2)
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, exit_rip_matches_regs)
{
	const unsigned char *labels[] = { rip_out1, rip_out2 };
	struct thv_regs regs;
	struct thv_run *run = self->vm.run;
	unsigned int i;
	uint32_t got;
	int ret;

	guest_start_real(_metadata, &self->vm, rip_guest_start, rip_guest_end);

	for (i = 0; i < ARRAY_SIZE(labels); i++) {
		uint64_t want = guest_rip(rip_guest, labels[i]);

		got = guest_report(_metadata, &self->vm);
		EXPECT_EQ(i + 1, got) TH_LOG("expected report %u, got %u",
					     i + 1, got);
		EXPECT_EQ(want, run->exit_rip)
			TH_LOG("exit %u: expected exit_rip 0x%llx, got 0x%llx", i,
			       (unsigned long long)want,
			       (unsigned long long)run->exit_rip);
		ret = thv_get_regs(&self->vm, &regs);
		ASSERT_EQ(0, ret) TH_LOG("GET_REGS: %s", strerror(-ret));
		EXPECT_EQ(want, regs.rip)
			TH_LOG("exit %u: expected regs.rip 0x%llx, got 0x%llx", i,
			       (unsigned long long)want,
			       (unsigned long long)regs.rip);
	}
	guest_expect_hlt(_metadata, &self->vm);
}

GUEST_CODE16(count_guest,
	G_REPORT_EAX
	G_REPORT_EAX
	G_REPORT_EAX
	"hlt\n");

TEST_F(exits, exits_counter)
{
	struct thv_run *run = self->vm.run;
	uint64_t last;
	int i;

	guest_start_real(_metadata, &self->vm, count_guest_start,
			 count_guest_end);

	last = run->exits;
	for (i = 0; i < 3; i++) {
		guest_report(_metadata, &self->vm);
		EXPECT_LT(last, run->exits)
			TH_LOG("exit %d: exits should grow, was %llu, now %llu", i,
			       (unsigned long long)last,
			       (unsigned long long)run->exits);
		last = run->exits;
	}
	guest_expect_hlt(_metadata, &self->vm);
	EXPECT_LT(last, run->exits)
		TH_LOG("the HLT exit was not counted (%llu)",
		       (unsigned long long)run->exits);
}

/* ------------------------------------------------------------------ */
/* A flat 32-bit protected-mode guest: RAM, stack, CR0.PE and MMIO.    */

GUEST_SYMBOL(flat32_store);
GUEST_CODE32(flat32,
	"movl $0xcafef00d, 0x5000\n"
	"movl 0x5000, %eax\n"
	G_REPORT_EAX
	"pushl $0x600df00d\n"
	"popl %eax\n"
	G_REPORT_EAX
	"mov %cr0, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(flat32_store)
	"movl $0x600dc0de, 0x100000\n"	/* c7 05 disp32 imm32: above 1 MiB */
	"hlt\n");

TEST_F(exits, flat32_guest)
{
	struct thv_run *run;
	uint32_t got, data = 0;
	uint32_t *ram;

	guest_start_flat32(_metadata, &self->vm, flat32_start, flat32_end);

	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0xcafef00d, got)
		TH_LOG("store/load through RAM: expected 0xcafef00d, got 0x%x",
		       got);
	ram = thv_gpa_to_hva(&self->vm, GUEST_DATA_GPA);
	EXPECT_EQ(0xcafef00d, *ram)
		TH_LOG("host view of GPA 0x5000: expected 0xcafef00d, got 0x%x",
		       *ram);

	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x600df00d, got)
		TH_LOG("push/pop through the stack: expected 0x600df00d, got 0x%x",
		       got);

	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(1, got & 1) TH_LOG("CR0.PE should be set, CR0=0x%x", got);
	EXPECT_EQ(0, got & 0x80000000u)
		TH_LOG("CR0.PG should be clear, CR0=0x%x", got);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	EXPECT_EQ(0x100000, run->mmio.phys_addr)
		TH_LOG("expected phys_addr 0x100000, got 0x%llx",
		       (unsigned long long)run->mmio.phys_addr);
	EXPECT_EQ(1, run->mmio.is_write) TH_LOG("expected a write");
	ASSERT_EQ(4, run->mmio.len) TH_LOG("expected len 4, got %u",
					   run->mmio.len);
	memcpy(&data, run->mmio.data, 4);
	EXPECT_EQ(0x600dc0de, data) TH_LOG("expected data 0x600dc0de, got 0x%x",
					   data);
	EXPECT_EQ(guest_rip(flat32, flat32_store), run->exit_rip)
		TH_LOG("exit_rip 0x%llx is not the store",
		       (unsigned long long)run->exit_rip);
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* THV_SET_CPUID: the CPU the guest believes in, filtered by thv.       */

GUEST_CODE16(cpuid_table,
	"xor %eax, %eax\n"
	"cpuid\n"
	"mov %ebx, %eax\n"
	G_REPORT_EAX
	"mov %edx, %eax\n"
	G_REPORT_EAX
	"mov %ecx, %eax\n"
	G_REPORT_EAX
	"mov $1, %eax\n"
	"cpuid\n"
	G_REPORT_EAX
	"mov %ecx, %eax\n"
	G_REPORT_EAX
	"mov %edx, %eax\n"
	G_REPORT_EAX
	"mov $0x40000000, %eax\n"
	"cpuid\n"
	"mov %ebx, %eax\n"
	G_REPORT_EAX
	"hlt\n");

struct cpuid_seen {
	uint32_t vendor[3], eax1, ecx1, edx1, sig;
};

static void cpuid_table_run(struct __test_metadata *_metadata,
			    struct thv_vm *vm, struct cpuid_seen *c)
{
	guest_start_real(_metadata, vm, cpuid_table_start, cpuid_table_end);
	c->vendor[0] = guest_report(_metadata, vm);
	c->vendor[1] = guest_report(_metadata, vm);
	c->vendor[2] = guest_report(_metadata, vm);
	c->eax1 = guest_report(_metadata, vm);
	c->ecx1 = guest_report(_metadata, vm);
	c->edx1 = guest_report(_metadata, vm);
	c->sig = guest_report(_metadata, vm);
	guest_expect_hlt(_metadata, vm);
}

static void cpuid_entry(struct thv_cpuid_entry *e, uint32_t fn, uint32_t a,
			uint32_t b, uint32_t c, uint32_t d)
{
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->eax = a;
	e->ebx = b;
	e->ecx = c;
	e->edx = d;
}

TEST_F(exits, cpuid_table)
{
	struct cpuid_seen def, got;
	struct thv_cpuid t;
	uint32_t v[3];
	int ret;

	cpuid_table_run(_metadata, &self->vm, &def);

	memset(&t, 0, sizeof(t));
	memcpy(v, "ThvTestCPU!!", 12);
	t.nent = 3;
	/* Leaf 0: vendor in EBX, EDX, ECX. */
	cpuid_entry(&t.entries[0], 0, 0xd, v[0], v[2], v[1]);
	/* Leaf 1: no features asked for, hypervisor bit clear, all EDX. */
	cpuid_entry(&t.entries[1], 1, 0x000306c3, 0x00010800, 0, ~0u);
	/* thv's own signature leaf cannot be replaced. */
	cpuid_entry(&t.entries[2], 0x40000000, 0, 0x11111111, 0, 0);
	ret = thv_vcpu_set_cpuid(&self->vm, &t);
	ASSERT_EQ(0, ret) TH_LOG("THV_SET_CPUID: %s", strerror(-ret));

	cpuid_table_run(_metadata, &self->vm, &got);
	EXPECT_EQ(0, memcmp(got.vendor, "ThvTestCPU!!", 12))
		TH_LOG("vendor %.12s", (char *)got.vendor);
	EXPECT_EQ(0x000306c3, got.eax1) TH_LOG("leaf 1 EAX 0x%x", got.eax1);
	EXPECT_EQ(0x80000000, got.ecx1)
		TH_LOG("leaf 1 ECX: only the hypervisor bit may stay, got 0x%x",
		       got.ecx1);
	/*
	 * All of thv's bits, plus APIC (bit 9): a table that sets it says
	 * userspace emulates a local APIC.
	 */
	EXPECT_EQ(def.edx1 | (1u << 9), got.edx1)
		TH_LOG("leaf 1 EDX: all ones asked, thv's 0x%x | APIC expected, got 0x%x",
		       def.edx1, got.edx1);
	EXPECT_EQ(def.sig, got.sig) TH_LOG("the signature leaf changed: 0x%x",
					   got.sig);

	/* nent = 0: back to thv's defaults. */
	t.nent = 0;
	ASSERT_EQ(0, thv_vcpu_set_cpuid(&self->vm, &t));
	cpuid_table_run(_metadata, &self->vm, &got);
	EXPECT_EQ(0, memcmp(got.vendor, def.vendor, 12));
	EXPECT_EQ(def.ecx1, got.ecx1);
}

TEST_F(exits, cpuid_table_bad)
{
	struct thv_cpuid t;

	memset(&t, 0, sizeof(t));
	t.nent = THV_CPUID_MAX + 1;
	EXPECT_EQ(-E2BIG, thv_vcpu_set_cpuid(&self->vm, &t));
	t.nent = 2;
	cpuid_entry(&t.entries[0], 1, 0, 0, 0, 0);
	cpuid_entry(&t.entries[1], 1, 0, 0, 0, 0);
	EXPECT_EQ(-EINVAL, thv_vcpu_set_cpuid(&self->vm, &t))
		TH_LOG("the same leaf twice");
	t.entries[1].function = 2;
	t.entries[1].flags = 2;
	EXPECT_EQ(-EINVAL, thv_vcpu_set_cpuid(&self->vm, &t))
		TH_LOG("unknown flags");
	t.entries[1].flags = 0;
	t.entries[1].padding = 1;
	EXPECT_EQ(-EINVAL, thv_vcpu_set_cpuid(&self->vm, &t))
		TH_LOG("non-zero padding");
	t.entries[1].padding = 0;
	EXPECT_EQ(0, thv_vcpu_set_cpuid(&self->vm, &t));
	EXPECT_EQ(-EFAULT, ioctl(self->vm.vcpu_fd, THV_SET_CPUID, 8UL) ? -errno : 0);
}

TEST_HARNESS_MAIN
